import Crypto

/// One SMTP session (RFC 5321) that can deliver many messages in turn:
/// greeting, EHLO (HELO as fallback), STARTTLS or implicit TLS, AUTH, then
/// any number of transactions (`send`), separated by RSET, and QUIT.
///
/// All calls block the calling thread, bounded by the configured timeouts;
/// run them off Swift's cooperative pool (`SMTPConnectionPool` does). Not
/// for concurrent use: one thread at a time, which is what the pool
/// guarantees by lending a connection to one send at a time.
public final class SMTPConnection: @unchecked Sendable {
    public let configuration: SMTPConfiguration
    /// What the server announced in its last EHLO (after STARTTLS, the new one).
    public private(set) var capabilities = SMTPCapabilities()
    /// False once the session failed in a way that leaves its state unknown
    /// (I/O error, timeout, 421, protocol error) or after `close()`.
    public private(set) var isUsable = true
    /// Transactions attempted on this connection (accepted or not).
    public private(set) var transactionCount = 0
    /// Set by each transaction, cleared by RSET: the next one starts clean.
    private var needsReset = false

    let connection: TLSConnection
    var reader = SMTPReplyReader()

    private init(configuration: SMTPConfiguration, connection: TLSConnection) {
        self.configuration = configuration
        self.connection = connection
    }

    deinit { connection.close() }

    public var isEncrypted: Bool { connection.isEncrypted }

    /// Connects, greets, secures and logs in. On any failure the socket is
    /// closed before the error is thrown.
    public static func open(_ configuration: SMTPConfiguration) throws -> SMTPConnection {
        try checkLine(configuration.clientName, what: "client name")
        let connection = try TLSConnection.connect(
            host: configuration.host, port: configuration.port, timeout: configuration.connectTimeout,
            policy: configuration.outbound)
        let session = SMTPConnection(configuration: configuration, connection: connection)
        do {
            try session.handshake()
            return session
        } catch {
            session.close(waitForReply: false)
            throw error
        }
    }

    private func handshake() throws {
        let serverName = configuration.tlsServerName ?? configuration.host
        if configuration.security == .tls {
            try guarded { try connection.startTLS(serverName: serverName, configuration: configuration.tls, timeout: configuration.commandTimeout) }
        }
        let greeting = try readReply()
        guard greeting.code == 220 else { throw DeliveryError.reply(greeting, during: "greeting") }
        try hello()

        if configuration.security == .starttls {
            // Without this check a man in the middle could strip STARTTLS
            // from the EHLO reply and read everything, credentials included.
            guard capabilities.startTLS else {
                throw DeliveryError(.tls, "\(configuration.host):\(configuration.port) does not offer STARTTLS, refusing to continue in clear")
            }
            let reply = try command("STARTTLS")
            guard reply.code == 220 else { throw DeliveryError.reply(reply, during: "STARTTLS") }
            guard !reader.hasBufferedData else {
                throw DeliveryError(.protocol, "server sent data after its STARTTLS reply (possible injection)")
            }
            try guarded { try connection.startTLS(serverName: serverName, configuration: configuration.tls, timeout: configuration.commandTimeout) }
            // RFC 3207 §4.2: forget everything learnt in clear and ask again.
            try hello()
        }
        if let username = configuration.username {
            try authenticate(username: username, password: configuration.password ?? "")
        }
    }

    /// EHLO, or HELO for servers that do not know EHLO (then no extensions).
    private func hello() throws {
        let reply = try command("EHLO " + configuration.clientName)
        if reply.code == 250 {
            capabilities = SMTPCapabilities(ehlo: reply)
            return
        }
        guard reply.code == 500 || reply.code == 502 else { throw DeliveryError.reply(reply, during: "EHLO") }
        let helo = try command("HELO " + configuration.clientName)
        guard helo.code == 250 else { throw DeliveryError.reply(helo, during: "HELO") }
        capabilities = SMTPCapabilities()
    }

    private func authenticate(username: String, password: String) throws {
        let offered = capabilities.authMechanisms
        guard !offered.isEmpty else {
            throw DeliveryError(.permanent, "\(configuration.host) offers no AUTH, but a username is configured")
        }
        let mechanism = configuration.authMechanism ?? (offered.contains("PLAIN") ? .plain : .login)
        guard offered.contains(mechanism.rawValue) else {
            throw DeliveryError(.permanent, "\(configuration.host) does not offer AUTH \(mechanism.rawValue) (offers \(offered.sorted().joined(separator: " ")))")
        }
        var reply: SMTPReply
        switch mechanism {
        case .plain:
            guard !username.utf8.contains(0), !password.utf8.contains(0) else {
                throw DeliveryError(.permanent, "AUTH PLAIN cannot carry NUL in a username or password")
            }
            let token = Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
            reply = try command("AUTH PLAIN " + token)
            if reply.code == 334 { reply = try command(token) }  // server ignored the initial response
        case .login:
            reply = try command("AUTH LOGIN")
            if reply.code == 334 { reply = try command(Base64.encode(Array(username.utf8))) }
            if reply.code == 334 { reply = try command(Base64.encode(Array(password.utf8))) }
        }
        guard reply.code == 235 else {
            if reply.code == 334 { _ = try? command("*") }  // cancel an exchange that would go on
            throw DeliveryError.reply(reply, during: "AUTH \(mechanism.rawValue)")
        }
    }

    /// RSET: ends any half-done transaction; also proves a pooled idle
    /// connection is still alive before a message is entrusted to it.
    public func reset() throws {
        let reply = try command("RSET")
        guard reply.code == 250 else { throw abandon(DeliveryError.reply(reply, during: "RSET")) }
        needsReset = false
    }

    /// QUIT (briefly, best effort) and close. Safe to call more than once.
    public func close() { close(waitForReply: true) }

    /// After a failed open the server's reply to QUIT is of no interest,
    /// and a misbehaving server must not delay the error.
    func close(waitForReply: Bool) {
        if isUsable {
            isUsable = false
            let deadline = Deadline.after(min(configuration.commandTimeout, .seconds(2)))
            if (try? connection.write(Array("QUIT\r\n".utf8), deadline: deadline)) != nil, waitForReply {
                _ = try? reader.read(from: connection, deadline: deadline)
            }
        }
        connection.close()
    }

    // MARK: - Commands

    /// Sends one command line and reads its reply.
    func command(_ line: String) throws -> SMTPReply {
        try write(lines: [line], timeout: configuration.commandTimeout)
        return try readReply()
    }

    func write(lines: [String], timeout: Duration) throws {
        var bytes: [UInt8] = []
        for line in lines {
            try Self.checkLine(line, what: "command")
            bytes += Array(line.utf8) + [13, 10]
        }
        try guarded { try connection.write(bytes, deadline: .after(timeout)) }
    }

    func readReply(timeout: Duration? = nil) throws -> SMTPReply {
        let reply = try guarded {
            try reader.read(from: connection, deadline: .after(timeout ?? configuration.commandTimeout))
        }
        // 421: the server is closing the session; nothing more can be sent.
        if reply.code == 421 { isUsable = false }
        return reply
    }

    /// Runs an I/O step; if it fails (timeout, reset, garbage) the session
    /// state is unknown, so the connection is marked unusable.
    func guarded<T>(_ body: () throws -> T) throws -> T {
        guard isUsable else { throw DeliveryError(.transient, "SMTP connection to \(configuration.poolKey) is closed") }
        do {
            return try body()
        } catch {
            isUsable = false
            connection.close()
            throw error
        }
    }

    /// A command argument must never carry a line break (command injection).
    static func checkLine(_ text: String, what: String) throws {
        if text.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
            throw DeliveryError(.invalidMessage, "\(what) contains CR, LF or NUL")
        }
    }

    /// Called at the start of each transaction: RSET first unless the
    /// session is fresh or was just reset.
    func beginTransaction() throws {
        if needsReset { try reset() }
        needsReset = true
        transactionCount += 1
    }

    /// Gives up on the session (its state is unknown) and returns `error`.
    func abandon(_ error: DeliveryError) -> DeliveryError {
        isUsable = false
        connection.close()
        return error
    }
}
