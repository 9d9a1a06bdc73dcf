/// The I/O side of one accepted socket, owned and touched only by its event loop's thread.
final class ServerConnection {
    let fd: Int32
    /// Distinguishes this connection from a later one that reuses the same fd number, so a late
    /// handler response or a stale epoll event is never applied to the wrong socket.
    let serial: UInt32
    var machine: HTTPConnectionStateMachine
    /// Serialized responses not yet accepted by the socket, from `outputIndex` on.
    var output: [UInt8] = []
    var outputIndex = 0
    /// Edge-triggered readiness: set by an EPOLLIN edge, cleared when a read would block.
    var readable = false
    /// The peer shut down or the socket errored: read until EOF/error instead of trusting a
    /// short read to mean "drained".
    var hangup = false
    var closed = false
    var queuedForRedrive = false

    init(fd: Int32, serial: UInt32, machine: HTTPConnectionStateMachine) {
        self.fd = fd
        self.serial = serial
        self.machine = machine
    }

    var epollData: UInt64 { UInt64(UInt32(bitPattern: fd)) | UInt64(serial) << 32 }
}
