@testable import Store
import Testing

/// The group-commit state machine on its own: no database, no clock.
@Suite struct SendGroupStateTests {
    struct Item: SendGroupItem, Equatable {
        let name: String
        var groupKey: String? = nil
    }

    static func names(_ action: SendGroupState<Item>.Action) -> [String]? {
        if case .commit(let items) = action { return items.map(\.name) }
        return nil
    }

    @Test func anIdleSendCommitsAloneAtOnce() {
        var state = SendGroupState<Item>(limit: 10)
        #expect(Self.names(state.submit(Item(name: "a"))) == ["a"])
        #expect(state.committing)
        #expect(Self.names(state.finished()) == nil)
        #expect(!state.committing)
        #expect(Self.names(state.submit(Item(name: "b"))) == ["b"], "idle again: the next send goes alone")
    }

    @Test func sendsArrivingDuringACommitGoTogetherNext() {
        var state = SendGroupState<Item>(limit: 10)
        _ = state.submit(Item(name: "a"))
        for name in ["b", "c", "d"] { #expect(Self.names(state.submit(Item(name: name))) == nil) }
        #expect(Self.names(state.finished()) == ["b", "c", "d"])
        #expect(Self.names(state.finished()) == nil)
    }

    @Test func aGroupHoldsAtMostTheLimitInArrivalOrder() {
        var state = SendGroupState<Item>(limit: 2)
        _ = state.submit(Item(name: "a"))
        for name in ["b", "c", "d"] { _ = state.submit(Item(name: name)) }
        #expect(Self.names(state.finished()) == ["b", "c"])
        #expect(Self.names(state.finished()) == ["d"])
    }

    @Test func aRepeatedKeyWaitsForTheNextGroup() {
        var state = SendGroupState<Item>(limit: 10)
        _ = state.submit(Item(name: "a"))
        _ = state.submit(Item(name: "b", groupKey: "t\u{0}k"))
        _ = state.submit(Item(name: "c", groupKey: "t\u{0}k"))
        _ = state.submit(Item(name: "d", groupKey: "t\u{0}other"))
        _ = state.submit(Item(name: "e"))
        #expect(Self.names(state.finished()) == ["b", "d", "e"])
        #expect(Self.names(state.finished()) == ["c"])
    }
}
