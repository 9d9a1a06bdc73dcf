// libFuzzer entry point for the JSON parser, compiled into the JSON module by
// deploy/fuzz.sh (never by SwiftPM). Any trap, sanitizer report or hang is a finding.
//
// Invariants checked on every input the parser accepts:
// - encode → parse gives back an equal value (compact and pretty-printed), where a
//   whole double and the integer it prints as count as equal: `1e4` is written `10000`
//   and read back as an integer, the way JavaScript would,
// - encoding is a fixed point: encoding the re-parsed value gives the same bytes,
// - the String entry point agrees with the byte entry point on valid UTF-8.
// Inputs it refuses must fail with a JSONError whose offset lies within the input.

@_cdecl("LLVMFuzzerTestOneInput")
public func jsonFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    // A small depth limit too, so the depth check itself is exercised.
    for maxDepth in [JSONParser.defaultMaxDepth, 4] {
        checkJSON(bytes, maxDepth: maxDepth)
    }
    return 0
}

private func checkJSON(_ bytes: [UInt8], maxDepth: Int) {
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes, maxDepth: maxDepth)
    } catch {
        fuzzCheck(error.offset >= 0 && error.offset <= bytes.count, "error offset \(error.offset) outside 0...\(bytes.count)")
        return
    }
    if let text = String(validating: bytes, as: UTF8.self) {
        let fromString = try? JSONParser.parse(text, maxDepth: maxDepth)
        fuzzCheck(fromString == value, "String and byte entry points disagree")
    }
    for pretty in [false, true] {
        let encoded = value.encoded(prettyPrinted: pretty)
        // The encoder may nest no deeper than the input did: parse with the same limit.
        let reparsed: JSONValue
        do {
            reparsed = try JSONParser.parse(encoded, maxDepth: maxDepth)
        } catch {
            fuzzFail("encoded value does not parse (\(error)): \(String(decoding: encoded, as: UTF8.self))")
        }
        fuzzCheck(sameJSON(reparsed, value), "round trip changed the value: \(String(decoding: encoded, as: UTF8.self))")
        fuzzCheck(reparsed.encoded(prettyPrinted: pretty) == encoded, "encoding is not a fixed point")
    }
}

/// `==` except that numbers compare by value across `.int` and `.double`.
func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
    case (.array(let xs), .array(let ys)):
        return xs.count == ys.count && zip(xs, ys).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)):
        return x.keys == y.keys && x.keys.allSatisfy { sameJSON(x[$0]!, y[$0]!) }
    default: return a == b
    }
}

private func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fuzzFail(message()) }
}

private func fuzzFail(_ message: String) -> Never {
    // libFuzzer saves the input when the process dies on a signal; fatalError traps.
    fatalError("invariant violated: \(message)")
}
