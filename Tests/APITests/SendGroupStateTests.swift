@testable import Store
import Testing

/// The group-commit state machine on its own: no database, no clock.
@Suite struct SendGroupStateTests {
    struct Item: SendGroupItem, Equatable {
        let name: String
        var groupKey: String? = nil
    }

    static func group(_ action: SendGroupState<Item>.Action) -> [Item]? {
        if case .commit(let items) = action { return items }
        return nil
    }

    static func names(_ action: SendGroupState<Item>.Action) -> [String]? { group(action)?.map(\.name) }

    static func items(_ names: String...) -> [Item] { names.map { Item(name: $0) } }

    @Test func anIdleSendCommitsAloneAtOnce() {
        var state = SendGroupState<Item>(limit: 10, maxInFlight: 1)
        #expect(Self.names(state.submit(Item(name: "a"))) == ["a"])
        #expect(state.committing)
        #expect(Self.names(state.finished(Self.items("a"))) == nil)
        #expect(!state.committing)
        #expect(Self.names(state.submit(Item(name: "b"))) == ["b"], "idle again: the next send goes alone")
    }

    @Test func sendsArrivingDuringACommitGoTogetherNext() {
        var state = SendGroupState<Item>(limit: 10, maxInFlight: 1)
        _ = state.submit(Item(name: "a"))
        for name in ["b", "c", "d"] { #expect(Self.names(state.submit(Item(name: name))) == nil) }
        #expect(Self.names(state.finished(Self.items("a"))) == ["b", "c", "d"])
        #expect(Self.names(state.finished(Self.items("b", "c", "d"))) == nil)
    }

    @Test func aGroupHoldsAtMostTheLimitInArrivalOrder() {
        var state = SendGroupState<Item>(limit: 2, maxInFlight: 1)
        _ = state.submit(Item(name: "a"))
        for name in ["b", "c", "d"] { _ = state.submit(Item(name: name)) }
        #expect(Self.names(state.finished(Self.items("a"))) == ["b", "c"])
        #expect(Self.names(state.finished(Self.items("b", "c"))) == ["d"])
    }

    @Test func aRepeatedKeyWaitsForTheNextGroup() {
        var state = SendGroupState<Item>(limit: 10, maxInFlight: 1)
        _ = state.submit(Item(name: "a"))
        _ = state.submit(Item(name: "b", groupKey: "t\u{0}k"))
        _ = state.submit(Item(name: "c", groupKey: "t\u{0}k"))
        _ = state.submit(Item(name: "d", groupKey: "t\u{0}other"))
        _ = state.submit(Item(name: "e"))
        let second = Self.group(state.finished(Self.items("a")))
        #expect(second?.map(\.name) == ["b", "d", "e"])
        #expect(Self.names(state.finished(second ?? [])) == ["c"])
    }

    @Test func twoGroupsGoAtOnceAndTheRestWaitsForEither() {
        var state = SendGroupState<Item>(limit: 10)
        #expect(Self.names(state.submit(Item(name: "a"))) == ["a"])
        #expect(Self.names(state.submit(Item(name: "b"))) == ["b"], "a second write slot is free")
        for name in ["c", "d"] { #expect(Self.names(state.submit(Item(name: name))) == nil) }
        #expect(Self.names(state.finished(Self.items("b"))) == ["c", "d"], "whichever group ends first frees a slot")
        #expect(state.inFlight == 2)
        #expect(Self.names(state.finished(Self.items("a"))) == nil)
        #expect(Self.names(state.finished(Self.items("c", "d"))) == nil)
        #expect(!state.committing)
    }

    @Test func aKeyBeingWrittenHoldsBackItsRepeatEvenWithASlotFree() {
        var state = SendGroupState<Item>(limit: 10)
        let first = Self.group(state.submit(Item(name: "a", groupKey: "t\u{0}k")))
        #expect(first?.map(\.name) == ["a"])
        #expect(Self.names(state.submit(Item(name: "b", groupKey: "t\u{0}k"))) == nil, "its key is in flight")
        #expect(Self.names(state.submit(Item(name: "c"))) == ["c"], "others still use the free slot")
        #expect(Self.names(state.finished(first ?? [])) == ["b"])
    }
}
