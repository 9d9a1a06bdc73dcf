import JSON
import Testing

@Suite struct JSONObjectTests {
    @Test func keepsInsertionOrderAndUpdatesInPlace() {
        var object: JSONObject = ["b": 1, "a": 2]
        object["c"] = 3
        object["b"] = 4
        #expect(object.keys == ["b", "a", "c"])
        #expect(object["b"] == 4)
        #expect(object.map(\.key) == ["b", "a", "c"])
        #expect(object.map(\.value) == [4, 2, 3])
    }

    @Test func removal() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = nil
        object["missing"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["b"] == nil)
        #expect(object["c"] == 3)
        #expect(object.count == 2)
    }

    @Test func largeObjectsStayConsistentAcrossTheIndexThreshold() {
        var object = JSONObject()
        for i in 0..<200 { object["key\(i)"] = .int(Int64(i)) }
        for i in 0..<200 { #expect(object["key\(i)"] == .int(Int64(i))) }
        for i in stride(from: 0, to: 200, by: 2) { object["key\(i)"] = nil }
        #expect(object.count == 100)
        #expect(object["key0"] == nil)
        #expect(object["key1"] == 1)
        #expect(object["key199"] == 199)
        for i in 0..<190 { object["key\(i)"] = nil }
        #expect(object.keys == (190..<200).filter { $0 % 2 == 1 }.map { "key\($0)" })
        #expect(object["key191"] == 191)
        object["new"] = true
        #expect(object["new"] == true)
    }

    @Test func equalityAndHashIgnoreOrder() {
        let a: JSONObject = ["x": 1, "y": [true, nil]]
        let b: JSONObject = ["y": [true, nil], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1])
        #expect(a != ["x": 2, "y": [true, nil]])
        #expect(Set<JSONValue>([.object(a), .object(b)]).count == 1)
    }

    @Test func storageAndPrecomputedHashLookups() {
        let object: JSONObject = ["name": "Ada", "age": 36]
        #expect(object.storage == ["name": "Ada", "age": 36])
        #expect(object.value(forKey: "name", hash: JSONObject.hash(of: "name")) == "Ada")
        #expect(JSONValue.object(object).member("age", hash: JSONObject.hash(of: "age")) == 36)
        #expect(JSONValue.string("x").member("age", hash: JSONObject.hash(of: "age")) == nil)
    }

    @Test func mergingLaysObjectsOverEachOtherAtEveryDepth() {
        let base: JSONValue = ["tenant": ["name": "T", "plan": "pro"], "keep": 1]
        #expect(base.merging(["tenant": ["name": "X"], "new": true]) == ["tenant": ["name": "X", "plan": "pro"], "keep": 1, "new": true])
        #expect(base.merging(["tenant": "flat"]) == ["tenant": "flat", "keep": 1], "a non-object replaces")
        // Either side empty: the other as it is, key order included.
        let variables: JSONValue = ["z": 1, "a": ["b": 2]]
        #expect(JSONValue.object(JSONObject()).merging(variables).encoded() == variables.encoded())
        #expect(base.merging(.object(JSONObject())).encoded() == base.encoded())
        #expect(base.merging("text") == "text")
    }
}
