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
        #expect(Self.names(state.finished(Self.items("a")).next) == nil)
        #expect(!state.committing)
        #expect(Self.names(state.submit(Item(name: "b"))) == ["b"], "idle again: the next send goes alone")
    }

    @Test func sendsArrivingDuringACommitGoTogetherNext() {
        var state = SendGroupState<Item>(limit: 10, maxInFlight: 1)
        _ = state.submit(Item(name: "a"))
        for name in ["b", "c", "d"] { #expect(Self.names(state.submit(Item(name: name))) == nil) }
        #expect(Self.names(state.finished(Self.items("a")).next) == ["b", "c", "d"])
        #expect(Self.names(state.finished(Self.items("b", "c", "d")).next) == nil)
    }

    @Test func aGroupHoldsAtMostTheLimitInArrivalOrder() {
        var state = SendGroupState<Item>(limit: 2, maxInFlight: 1)
        _ = state.submit(Item(name: "a"))
        for name in ["b", "c", "d"] { _ = state.submit(Item(name: name)) }
        #expect(Self.names(state.finished(Self.items("a")).next) == ["b", "c"])
        #expect(Self.names(state.finished(Self.items("b", "c")).next) == ["d"])
    }

    @Test func aRepeatedKeyFollowsItsLeaderAndIsHandedBackWhenTheLeadersGroupEnds() {
        var state = SendGroupState<Item>(limit: 10, maxInFlight: 1)
        _ = state.submit(Item(name: "a"))
        _ = state.submit(Item(name: "b", groupKey: "t\u{0}k"))
        _ = state.submit(Item(name: "c", groupKey: "t\u{0}k"))
        _ = state.submit(Item(name: "d", groupKey: "t\u{0}other"))
        _ = state.submit(Item(name: "e"))
        _ = state.submit(Item(name: "f", groupKey: "t\u{0}k"))
        let first = state.finished(Self.items("a"))
        #expect(first.followers.isEmpty)
        let second = Self.group(first.next)
        #expect(second?.map(\.name) == ["b", "d", "e"], "one leader per key is written")
        let end = state.finished(second ?? [])
        #expect(end.followers.mapValues { $0.map(\.name) } == ["t\u{0}k": ["c", "f"]], "its followers come back in order")
        #expect(Self.names(end.next) == nil, "followers are never written on their own")
        #expect(!state.committing)
        #expect(Self.names(state.submit(Item(name: "g", groupKey: "t\u{0}k"))) == ["g"], "the key is free again")
    }

    @Test func twoGroupsGoAtOnceAndTheRestWaitsForEither() {
        var state = SendGroupState<Item>(limit: 10)
        #expect(Self.names(state.submit(Item(name: "a"))) == ["a"])
        #expect(Self.names(state.submit(Item(name: "b"))) == ["b"], "a second write slot is free")
        for name in ["c", "d"] { #expect(Self.names(state.submit(Item(name: name))) == nil) }
        #expect(Self.names(state.finished(Self.items("b")).next) == ["c", "d"], "whichever group ends first frees a slot")
        #expect(state.inFlight == 2)
        #expect(Self.names(state.finished(Self.items("a")).next) == nil)
        #expect(Self.names(state.finished(Self.items("c", "d")).next) == nil)
        #expect(!state.committing)
    }

    @Test func aKeyBeingWrittenTakesItsRepeatAsAFollowerEvenWithASlotFree() {
        var state = SendGroupState<Item>(limit: 10)
        let first = Self.group(state.submit(Item(name: "a", groupKey: "t\u{0}k")))
        #expect(first?.map(\.name) == ["a"])
        #expect(Self.names(state.submit(Item(name: "b", groupKey: "t\u{0}k"))) == nil, "its key is in flight")
        #expect(Self.names(state.submit(Item(name: "c"))) == ["c"], "others still use the free slot")
        let end = state.finished(first ?? [])
        #expect(end.followers["t\u{0}k"]?.map(\.name) == ["b"])
        #expect(Self.names(end.next) == nil)
        #expect(state.followers.isEmpty)
    }

    @Test func aFollowerIsAnsweredOnlyWhereTheDatabaseWouldAnswerTheSame() {
        func send(_ digest: String) -> Store.PendingSend {
            Store.PendingSend(Store.NewNotification(tenantId: "t", templateId: nil, templateName: "hello", channelId: nil, type: .inapp,
                                                    to: ["u"], locale: "en", variables: [:], rendered: nil),
                              idempotencyKey: "k", requestDigest: digest)
        }
        func answer(_ follower: String, _ result: Result<Store.SendOutcome, any Error>) -> Store.SendOutcome?? {
            SendGroupCommitter.answer(send(follower), from: send("same"), result).map { try? $0.get() }
        }
        let queued = Result<Store.SendOutcome, any Error>.success(.queued(notificationId: "n1"))
        #expect(answer("same", queued) == .some(.queued(notificationId: "n1")), "the same body: the leader's notification")
        #expect(answer("other", queued) == .some(.keyConflict), "another body: the key holds the leader's")
        #expect(answer("same", .success(.keyConflict)) == .some(.keyConflict))
        #expect(answer("other", .success(.keyConflict)) == nil, "it may match the body the key holds: ask the database")
        #expect(answer("same", .success(.staleLookups)) == nil, "nothing was written: it goes again")
        #expect(answer("same", .failure(StoreError(.missingReference, "gone"))) == nil, "the leader failed alone")
        let down = SendGroupCommitter.answer(send("same"), from: send("same"), .failure(StoreError(.unavailable, "down")))
        #expect((down.map { if case .failure = $0 { true } else { false } }) == true, "the database is down for the follower too")
    }
}
