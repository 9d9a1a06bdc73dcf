import Glibc
internal import COpenSSL

/// A client TCP connection that starts in clear and can be upgraded to TLS
/// in place (STARTTLS) or right after connecting (implicit TLS, port 465).
///
/// OpenSSL talks to memory BIOs and this class moves the bytes to and from
/// the socket itself, so every byte goes through the deadline-aware,
/// SIGPIPE-free `TCPSocket` calls and one code path serves both modes.
///
/// Not thread-safe: one thread uses a connection at a time (the SMTP pool
/// hands each connection to a single send at a time).
public final class TLSConnection {
    private let socket: TCPSocket
    private var ssl: OpaquePointer?
    private var readBIO: OpaquePointer?
    private var writeBIO: OpaquePointer?
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)

    public var host: String { socket.host }
    public var port: Int { socket.port }
    /// True once a TLS handshake has completed.
    public private(set) var isEncrypted = false

    private init(socket: TCPSocket) { self.socket = socket }

    deinit { close() }

    /// A plain TCP connection; call `startTLS` for TLS.
    /// With a `policy`, only to addresses it allows (`OutboundPolicy`).
    public static func connect(host: String, port: Int, timeout: Duration, policy: OutboundPolicy? = nil) throws -> TLSConnection {
        TLSConnection(socket: try TCPSocket.connect(host: host, port: port, deadline: .after(timeout), policy: policy))
    }

    /// Handshakes as a TLS client, verifying the chain against `configuration`
    /// and the certificate against `serverName` (a DNS name, sent as SNI, or
    /// an IP address literal, matched against IP SANs).
    public func startTLS(serverName: String, configuration: TLSConfiguration = .system, timeout: Duration) throws {
        guard ssl == nil else { throw DeliveryError(.tls, "TLS already started") }
        let context = try TLSContext.shared(for: configuration)
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer),
              let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            throw tlsError("creating a TLS session")
        }
        SSL_set_bio(ssl, rbio, wbio)  // the SSL object owns both BIOs now
        self.ssl = ssl
        readBIO = rbio
        writeBIO = wbio
        _ = herald_delivery_set_moving_buffer_mode(ssl)
        SSL_set_connect_state(ssl)

        if isIPAddress(serverName) {
            // RFC 6066: no SNI for address literals; match an IP SAN instead.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                throw tlsError("setting the expected IP address")
            }
        } else {
            X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl), UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            guard SSL_set1_host(ssl, serverName) == 1, herald_delivery_set_sni(ssl, serverName) == 1 else {
                throw tlsError("setting the expected host name")
            }
        }

        let deadline = Deadline.after(timeout)
        do {
            _ = try drive(deadline: deadline, what: "TLS handshake with \(host):\(port)") { SSL_connect($0) }
        } catch let error as DeliveryError where error.code == .tls {
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                let reason = String(cString: X509_verify_cert_error_string(verify))
                throw DeliveryError(.tls, "certificate verification failed for \(serverName): \(reason)")
            }
            throw error
        }
        isEncrypted = true
    }

    /// Writes all bytes before `deadline` (encrypted once TLS is on).
    public func write(_ bytes: [UInt8], timeout: Duration) throws {
        try write(bytes, deadline: .after(timeout))
    }

    func write(_ bytes: [UInt8], deadline: Deadline) throws {
        guard ssl != nil else {
            try bytes.withUnsafeBytes { try socket.send($0, deadline: deadline) }
            return
        }
        var offset = 0
        while offset < bytes.count {
            let count = min(bytes.count - offset, 16 * 1024)
            let written = try bytes.withUnsafeBytes { raw in
                try drive(deadline: deadline, what: "TLS write to \(host):\(port)") {
                    SSL_write($0, raw.baseAddress! + offset, Int32(count))
                }
            }
            offset += Int(written)
        }
    }

    /// Reads what is available, at most `maxCount` bytes; an empty result
    /// means the peer closed the connection.
    public func read(maxCount: Int = 16 * 1024, timeout: Duration) throws -> [UInt8] {
        try read(maxCount: maxCount, deadline: .after(timeout))
    }

    func read(maxCount: Int = 16 * 1024, deadline: Deadline) throws -> [UInt8] {
        let limit = min(maxCount, scratch.count)
        let count: Int
        if ssl == nil {
            count = try scratch.withUnsafeMutableBytes {
                try socket.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<limit]), deadline: deadline)
            }
        } else {
            count = Int(try scratch.withUnsafeMutableBytes { raw in
                try drive(deadline: deadline, what: "TLS read from \(host):\(port)") {
                    SSL_read($0, raw.baseAddress, Int32(limit))
                }
            })
        }
        return Array(scratch[..<count])
    }

    /// Sends close_notify when TLS is up (best effort, briefly), then closes.
    public func close() {
        if let ssl {
            if isEncrypted {
                ERR_clear_error()
                SSL_shutdown(ssl)
                try? flushWriteBIO(deadline: .after(.milliseconds(200)))
            }
            SSL_free(ssl)
            ERR_clear_error()
            self.ssl = nil
        }
        socket.close()
    }

    /// Runs one SSL call until it makes progress: output OpenSSL produced is
    /// sent, and when it wants input, bytes are read from the socket into its
    /// read BIO. Returns the call's positive result, or 0 for a clean close.
    private func drive(deadline: Deadline, what: String, _ operation: (OpaquePointer) -> Int32) throws -> Int32 {
        guard let ssl else { throw DeliveryError(.tls, "\(what): TLS not started") }
        while true {
            ERR_clear_error()
            let result = operation(ssl)
            let error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, result)
            try flushWriteBIO(deadline: deadline)
            switch error {
            case SSL_ERROR_NONE:
                return result
            case SSL_ERROR_ZERO_RETURN:
                return 0
            case SSL_ERROR_WANT_READ:
                if try !fillReadBIO(deadline: deadline) {
                    // EOF without close_notify: a read sees end of stream;
                    // anything else (a handshake) fails.
                    if isEncrypted { return 0 }
                    throw DeliveryError(.tls, "\(what): connection closed by peer")
                }
            case SSL_ERROR_WANT_WRITE:
                continue  // memory BIOs never fill up; the flush above made room
            default:
                throw tlsError(what)
            }
        }
    }

    private func flushWriteBIO(deadline: Deadline) throws {
        guard let writeBIO else { return }
        while BIO_ctrl_pending(writeBIO) > 0 {
            let count = scratch.withUnsafeMutableBytes { BIO_read(writeBIO, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else { return }
            try scratch.withUnsafeBytes {
                try socket.send(UnsafeRawBufferPointer(rebasing: $0[..<Int(count)]), deadline: deadline)
            }
        }
    }

    /// False at end of stream.
    private func fillReadBIO(deadline: Deadline) throws -> Bool {
        guard let readBIO else { return false }
        var incoming = [UInt8](repeating: 0, count: 16 * 1024)
        let count = try incoming.withUnsafeMutableBytes { try socket.receive(into: $0, deadline: deadline) }
        guard count > 0 else { return false }
        let written = incoming.withUnsafeBytes { BIO_write(readBIO, $0.baseAddress, Int32(count)) }
        guard written == Int32(count) else { throw tlsError("buffering TLS input") }
        return true
    }
}

/// Whether `text` is an IPv4 or IPv6 address literal.
func isIPAddress(_ text: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
}
