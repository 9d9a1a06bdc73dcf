@testable import Postgres
import Testing

/// The pool's bookkeeping without threads, connections or sleeping: time is
/// an argument.
@Suite struct PoolStateTests {
    final class Caller {
        let name: String
        init(_ name: String) { self.name = name }
    }

    typealias State = PostgresPoolState<String, Caller>
    let start = ContinuousClock.now

    private func created(_ action: State.AcquireAction) -> Int? {
        if case .create(let id) = action { return id }
        return nil
    }

    private func waited(_ action: State.AcquireAction) -> Bool? {
        if case .wait(let startSweep) = action { return startSweep }
        return nil
    }

    @Test func createsUpToItsSizeThenQueuesWithOneSweep() {
        var state = State(size: 2, acquireTimeout: .seconds(10))
        let action1 = state.acquire(Caller("a"), now: start)
        #expect(created(action1) == 1)
        let action2 = state.acquire(Caller("b"), now: start)
        #expect(created(action2) == 2)
        let action3 = state.acquire(Caller("c"), now: start)
        #expect(waited(action3) == true)
        let action4 = state.acquire(Caller("d"), now: start)
        #expect(waited(action4) == false, "one sweep covers the whole queue")
        #expect(state.inUse == 2 && state.total == 2 && state.waiters.count == 2 && state.peakInUse == 2)
    }

    @Test func releasedWorkersGoToTheFirstWaiterThenToTheIdleStack() {
        var state = State(size: 1, acquireTimeout: .seconds(10))
        _ = state.acquire(Caller("a"), now: start)
        let second = Caller("b"), third = Caller("c")
        _ = state.acquire(second, now: start)
        _ = state.acquire(third, now: start + .seconds(1))
        guard case .handOff(let first) = state.release("w1") else { Issue.record("no hand-off"); return }
        #expect(first === second)
        guard case .handOff(let next) = state.release("w1") else { Issue.record("no hand-off"); return }
        #expect(next === third)
        guard case .idle = state.release("w1") else { Issue.record("not idle"); return }
        #expect(state.inUse == 0 && state.idle == ["w1"])
        guard case .reuse(let worker) = state.acquire(Caller("d"), now: start) else { Issue.record("not reused"); return }
        #expect(worker == "w1")
    }

    @Test func waitersExpireExactlyAtTheAcquireTimeoutInOrder() {
        var state = State(size: 1, acquireTimeout: .seconds(10))
        _ = state.acquire(Caller("a"), now: start)
        let early = Caller("early"), late = Caller("late")
        _ = state.acquire(early, now: start)
        _ = state.acquire(late, now: start + .seconds(3))
        var sweep = state.expire(now: start + .seconds(10) - .milliseconds(1))
        #expect(sweep.expired.isEmpty && sweep.more)
        sweep = state.expire(now: start + .seconds(10))
        #expect(sweep.expired.map(\.name) == ["early"])
        #expect(sweep.error.code == .poolTimeout)
        #expect(sweep.error.message.contains("1 still waiting"))
        #expect(sweep.more)
        sweep = state.expire(now: start + .seconds(13))
        #expect(sweep.expired.map(\.name) == ["late"])
        #expect(!sweep.more)
        // The queue emptied: the next waiter schedules a sweep again.
        let action5 = state.acquire(Caller("again"), now: start + .seconds(14))
        #expect(waited(action5) == true)
    }

    @Test func aCancelledWaiterLeavesTheQueueOnce() {
        var state = State(size: 1, acquireTimeout: .seconds(10))
        _ = state.acquire(Caller("a"), now: start)
        let quitter = Caller("quitter")
        _ = state.acquire(quitter, now: start)
        let removed = state.cancel(quitter), again = state.cancel(quitter)
        #expect(removed)
        #expect(!again)
        guard case .idle = state.release("w1") else { Issue.record("handed to a cancelled waiter"); return }
    }

    @Test func closingFailsWaitersStopsIdleWorkersAndLateReleases() {
        var state = State(size: 2, acquireTimeout: .seconds(10))
        _ = state.acquire(Caller("a"), now: start)
        _ = state.acquire(Caller("b"), now: start)
        _ = state.release("w2")
        _ = state.acquire(Caller("c"), now: start) // reuses w2
        _ = state.acquire(Caller("waiting"), now: start)
        _ = state.release("w2") // handed to "waiting"
        _ = state.acquire(Caller("queued"), now: start)
        let (waiters, idle) = state.close()
        #expect(waiters.map(\.name) == ["queued"])
        #expect(idle.isEmpty)
        guard case .stop = state.release("w1") else { Issue.record("a released worker must stop"); return }
        guard case .fail(let error) = state.acquire(Caller("late"), now: start) else { Issue.record("acquired after close"); return }
        #expect(error.code == .poolClosed)
        #expect(state.total == 1 && state.inUse == 1)
    }

    @Test func anUnreachableServerFailsEveryQueuedWaiterAtOnce() {
        var state = State(size: 1, acquireTimeout: .seconds(10))
        _ = state.acquire(Caller("a"), now: start)
        _ = state.acquire(Caller("b"), now: start)
        _ = state.acquire(Caller("c"), now: start)
        let failed = state.failAll()
        #expect(failed.map(\.name) == ["b", "c"])
        guard case .idle = state.release("w1") else { Issue.record("a failed waiter was handed a worker"); return }
        #expect(state.waiters.isEmpty && state.inUse == 0)
    }

    @Test func aWaiterWithItsOwnDeadlineExpiresByItEvenBehindOthers() {
        var state = State(size: 1, acquireTimeout: .seconds(10))
        _ = state.acquire(Caller("a"), now: start)
        _ = state.acquire(Caller("patient"), now: start)
        _ = state.acquire(Caller("hurried"), now: start, deadline: start + .seconds(2))
        var sweep = state.expire(now: start + .seconds(2))
        #expect(sweep.expired.map(\.name) == ["hurried"])
        #expect(sweep.more)
        sweep = state.expire(now: start + .seconds(10))
        #expect(sweep.expired.map(\.name) == ["patient"])
    }
}
