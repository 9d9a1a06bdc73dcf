import Basics
import Glibc

/// One access-log record, handed to `HTTPServerConfiguration.accessLog` after a response has
/// been queued for writing (including responses the server makes itself: 400, 408, 413, ...).
public struct HTTPAccessLogEntry: Sendable {
    /// Empty when the request line never parsed.
    public var method: String
    /// The raw request target's path; empty when the request line never parsed.
    public var path: String
    public var status: Int
    /// From the complete request head to the response being queued.
    public var duration: Duration
    public var requestID: String
    public var remoteAddress: String
}

/// Everything the server can be tuned with. Limits are enforced while bytes arrive; timeouts
/// are measured on the monotonic clock and checked every `timerResolution`.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind: an IPv4/IPv6 literal or a host name ("localhost").
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; `HTTPServer.localPort` tells which.
    public var port: Int = 8080
    /// Event-loop threads; each runs its own epoll set and accepts from the shared socket.
    public var eventLoopCount: Int = HTTPServerConfiguration.processorCount
    public var backlog: Int32 = 1024

    /// Open connections across all loops. A new connection beyond it takes the place of the
    /// longest-idle connection that has no request in progress (one that never sent a byte, an
    /// idle keep-alive one, or one lingering after its last response), which is closed; only
    /// when every open connection is mid-request is the new one answered `503` and closed.
    public var maxConnections: Int = 1024
    public var maxTargetLength: Int = 8192
    /// Total bytes of the header section (all field lines with their CRLFs).
    public var maxHeaderBytes: Int = 16384
    public var maxHeaderCount: Int = 100
    /// Largest accepted request body. The default is 1 MiB plus 64 KiB of room for framing
    /// around a 1 MiB document; the API raises it to about 2 MiB.
    public var maxBodySize: Int = 1_114_112
    /// Pipelined bytes buffered while a request is being handled; reading pauses beyond it.
    public var readAheadLimit: Int = 65536

    /// From accept to the first byte of the first request: a connection that sends nothing is
    /// closed after this (silently), so silent sockets cannot hold the connection cap for a
    /// whole idle timeout.
    public var firstByteTimeout: Duration = .seconds(5)
    /// Total time for a request head from its first byte (slowloris guard). Answered with 408.
    public var headTimeout: Duration = .seconds(10)
    /// Keep-alive connections with no request in progress are closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// Total time for a request body after its head. Answered with 408.
    public var bodyTimeout: Duration = .seconds(30)
    /// A pending write that makes no progress for this long (peer not reading) closes the connection.
    public var writeTimeout: Duration = .seconds(30)
    /// After a final response on a closing connection, input is read and discarded for up to
    /// this long so the peer sees the response rather than a reset.
    public var lingerTimeout: Duration = .seconds(2)
    /// After `shutdown()`, in-flight requests get this long before connections are cut.
    public var shutdownGracePeriod: Duration = .seconds(30)
    /// How often deadlines are checked; nil derives it from the shortest timeout (1/10 of it,
    /// between 5 ms and 250 ms).
    public var timerResolution: Duration? = nil

    /// Run handlers on the event-loop thread that read the request (the loop is the handler
    /// task's executor preference) instead of on the concurrency pool. This saves two thread
    /// hops per request, but a handler that blocks its thread (a synchronous database call, heavy
    /// CPU work) then stalls every connection of that loop. Off by default.
    public var runHandlersOnEventLoop: Bool = false

    /// `Server` header value (nil for none) and whether to send `Date`.
    public var serverName: String? = "herald"
    public var sendDateHeader: Bool = true

    /// Called on the event-loop thread for every response; keep it cheap (hand off to a queue).
    public var accessLog: (@Sendable (HTTPAccessLogEntry) -> Void)? = nil

    /// Renders the errors the server answers by itself: parse errors and limits (400, 413,
    /// 414, 417, 431, 505), slow requests (408) and the over-cap refusal (503). The
    /// application supplies its own error shape here (and to `Router.errorRenderer` for 404 and
    /// 405); the default is plain text. Runs on the event-loop thread: keep it cheap.
    public var errorRenderer: HTTPErrorRenderer = HTTPError.plainText

    public init() {}

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }

    public var parserLimits: HTTPParserLimits {
        HTTPParserLimits(maxTargetLength: maxTargetLength, maxHeaderBytes: maxHeaderBytes,
                         maxHeaderCount: maxHeaderCount, maxBodySize: maxBodySize)
    }

    var timeouts: HTTPConnectionTimeouts {
        HTTPConnectionTimeouts(firstByte: firstByteTimeout.wholeNanoseconds, head: headTimeout.wholeNanoseconds, idle: idleTimeout.wholeNanoseconds,
                               body: bodyTimeout.wholeNanoseconds, write: writeTimeout.wholeNanoseconds,
                               linger: lingerTimeout.wholeNanoseconds)
    }

    var tickInterval: UInt64 {
        if let timerResolution { return max(timerResolution.wholeNanoseconds, 1_000_000) }
        let shortest = [firstByteTimeout, headTimeout, idleTimeout, bodyTimeout, writeTimeout, lingerTimeout]
            .map(\.wholeNanoseconds).min() ?? 1_000_000_000
        return min(max(shortest / 10, 5_000_000), 250_000_000)
    }

    static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

