import Glibc

/// Plain TCP connections that never send a byte (the lock-out attack), closed on deinit.
final class SilentSockets: @unchecked Sendable {
    private(set) var fds: [Int32] = []

    init(port: Int, count: Int) throws {
        fds.reserveCapacity(count)
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SilentSocketError(operation: "socket", errno: errno) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else {
                let e = errno
                close(fd)
                throw SilentSocketError(operation: "connect", errno: e)
            }
            fds.append(fd)
        }
    }

    deinit { for fd in fds { close(fd) } }

    /// Whether the server has closed socket `index` (EOF or reset), without waiting.
    func isClosedByServer(_ index: Int) -> Bool { peerHasClosed(fds[index]) }

    var closedByServer: [Int] { fds.indices.filter(isClosedByServer) }
}

/// Whether the other end of `fd` has closed it (EOF or reset), without waiting or consuming
/// data.
func peerHasClosed(_ fd: Int32) -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN) | 0x2000 /* POLLRDHUP */, revents: 0)
    guard poll(&pfd, 1, 0) > 0 else { return false }
    var byte: UInt8 = 0
    let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
}

struct SilentSocketError: Error {
    var operation: String
    var errno: Int32
}

/// Raises the soft limit on open files towards `wanted` (never beyond the hard limit).
/// Returns whether at least `wanted` descriptors are now allowed.
func raiseOpenFileLimit(to wanted: Int) -> Bool {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
    if limit.rlim_cur >= rlim_t(wanted) { return true }
    limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
    guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
    return limit.rlim_cur >= rlim_t(wanted)
}
