/// Making room at the connection cap. Each loop owns its connections, so a loop only ever
/// closes its own: the loop that accepted an over-cap connection evicts one of its own
/// evictable connections and adopts the new one in its place; if it has none, it hands the new
/// connection to the next loop, which does the same, until every loop has been asked. Only
/// then is the new connection refused with 503. The evicted connection's slot of the cap passes
/// straight to the new one, so the count never goes over the cap and no other accept can take
/// the slot in between.
extension EventLoop {
    func adoptReplacing(fd: Int32, remote: String, loopsLeft: Int, now: UInt64) {
        if !draining, let victim = oldestEvictableConnection() ?? longestTricklingConnection(now: now) {
            let action = victim.machine.evict(now: now)
            if case .close = action {
                closeConnection(victim, releasingSlot: false)
                adopt(fd: fd, remote: remote, now: now)  // holds the victim's slot now
                return
            }
        }
        if loopsLeft > 0, !draining, let next = context.loop(after: self), next !== self,
           next.post(.adoptReplacing(fd: fd, remote: remote, loopsLeft: loopsLeft - 1)) {
            return
        }
        refuse(fd)
    }

    /// The connection that has been idle (or lingering) longest among those the state machine
    /// calls evictable. One with input waiting to be read is skipped: it may hold a request.
    /// A linear scan, only done at the cap; connections are at most a few thousand.
    func oldestEvictableConnection() -> ServerConnection? {
        var oldest: ServerConnection?
        for case let connection? in connections
        where !connection.readable && connection.machine.isEvictable {
            if let current = oldest, current.machine.idleSince <= connection.machine.idleSince { continue }
            oldest = connection
        }
        return oldest
    }

    /// The connection whose head has been arriving longest, when that is past the trickle
    /// allowance: a slowloris client's sockets are only worth keeping while nothing idle is left
    /// to close. Whether bytes are waiting does not matter here (a trickler's always might be).
    func longestTricklingConnection(now: UInt64) -> ServerConnection? {
        var longest: ServerConnection?
        for case let connection? in connections where connection.machine.isTricklingHead(now: now) {
            if let current = longest, current.machine.headStartedAt <= connection.machine.headStartedAt { continue }
            longest = connection
        }
        return longest
    }
}
