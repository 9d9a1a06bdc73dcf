import Glibc

/// epoll, eventfd and accept4 are not in Swift's Glibc module map, and the HTTP target may not
/// add a C shim. They are plain libc symbols, so they are looked up once with `dlsym` and called
/// through C function pointers, which is ABI-exact (unlike `@_silgen_name`).
enum Sys {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    nonisolated(unsafe) static let epollCreate1: EpollCreate1 = symbol("epoll_create1")
    nonisolated(unsafe) static let epollCtlFn: EpollCtl = symbol("epoll_ctl")
    nonisolated(unsafe) static let epollWaitFn: EpollWait = symbol("epoll_wait")
    nonisolated(unsafe) static let eventfdFn: EventFD = symbol("eventfd")
    nonisolated(unsafe) static let accept4Fn: Accept4 = symbol("accept4")

    private static func symbol<F>(_ name: String) -> F {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else {
            fatalError("libc symbol \(name) not found")
        }
        return unsafeBitCast(pointer, to: F.self)
    }

    // Values from <sys/epoll.h> and <sys/eventfd.h> (identical on x86_64 and aarch64).
    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    static let EPOLLRDHUP: UInt32 = 0x2000
    static let EPOLLEXCLUSIVE: UInt32 = 1 << 28
    static let EPOLLET: UInt32 = 1 << 31
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2
    static let EPOLL_CLOEXEC: Int32 = 0o2000000
    static let EFD_CLOEXEC: Int32 = 0o2000000
    static let EFD_NONBLOCK: Int32 = 0o4000

    /// `struct epoll_event` is packed on x86_64 (12 bytes) and naturally aligned elsewhere (16).
    #if arch(x86_64)
    static let epollEventSize = 12
    #else
    static let epollEventSize = 16
    #endif
    static let epollDataOffset = epollEventSize - 8

    static func epollCtl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        var raw = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &raw) { p in
            p.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: data, toByteOffset: epollDataOffset, as: UInt64.self)
            return epollCtlFn(epfd, op, fd, p.baseAddress)
        }
    }

    /// Reads event `i` of an epoll_wait result buffer.
    @inline(__always)
    static func event(_ buffer: UnsafeMutableRawPointer, _ i: Int) -> (events: UInt32, data: UInt64) {
        let base = buffer + i * epollEventSize
        return (base.loadUnaligned(as: UInt32.self),
                base.loadUnaligned(fromByteOffset: epollDataOffset, as: UInt64.self))
    }

    /// Adds one to an eventfd counter: a single write(2), so it is async-signal-safe.
    @inline(__always)
    static func signal(eventFD fd: Int32) {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(fd, $0.baseAddress, 8) }
    }

    /// Resets an eventfd counter (non-blocking; EAGAIN when already zero is fine).
    @inline(__always)
    static func drain(eventFD fd: Int32) {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { read(fd, $0.baseAddress, 8) }
    }

    /// Monotonic time in nanoseconds: the clock behind every timeout.
    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
