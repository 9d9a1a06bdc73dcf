import Glibc
import Crypto

/// How to reach and log in to one SMTP server.
public struct SMTPConfiguration: Sendable, Hashable, CustomStringConvertible {
    public enum Security: String, Sendable, Hashable {
        /// Clear text the whole way, credentials included: only for tests
        /// and relays on the same host.
        case none
        /// Plain connect, then STARTTLS, which must be offered (port 587).
        case starttls
        /// TLS from the first byte, "implicit TLS" (port 465, RFC 8314).
        case tls
    }

    /// SASL mechanism; nil picks PLAIN when offered, else LOGIN.
    public enum AuthMechanism: String, Sendable, Hashable {
        case plain = "PLAIN"
        case login = "LOGIN"
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var authMechanism: AuthMechanism?
    /// Trust anchors for the server certificate (system store by default).
    public var tls: TLSConfiguration
    /// The name the certificate must match; defaults to `host`.
    public var tlsServerName: String?
    /// The name we give in EHLO; defaults to this machine's host name.
    public var clientName: String
    public var connectTimeout: Duration
    /// For each command's reply, and for the greeting.
    public var commandTimeout: Duration
    /// For sending the message body and the reply to its final ".", which
    /// servers send only after queueing (spam checks can take a while).
    public var dataTimeout: Duration
    /// Where a tenant's server may be (`OutboundPolicy`); nil for the
    /// operator's own relay, which is not checked.
    public var outbound: OutboundPolicy?

    public init(
        host: String, port: Int, security: Security = .starttls,
        username: String? = nil, password: String? = nil, authMechanism: AuthMechanism? = nil,
        tls: TLSConfiguration = .system, tlsServerName: String? = nil, clientName: String? = nil,
        connectTimeout: Duration = .seconds(10), commandTimeout: Duration = .seconds(60),
        dataTimeout: Duration = .seconds(120), outbound: OutboundPolicy? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.authMechanism = authMechanism
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.clientName = clientName ?? Self.localHostName()
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.dataTimeout = dataTimeout
        self.outbound = outbound
    }

    /// Connections are shared only between sends with the same key: same
    /// server, security, trust and login. The password is part of it (as a
    /// digest): in a multi-tenant service, a send configured with the same
    /// user but a wrong password must never ride on a session someone else
    /// authenticated.
    public struct PoolKey: Sendable, Hashable, CustomStringConvertible {
        public let host: String
        public let port: Int
        public let security: Security
        public let username: String?
        let tls: TLSConfiguration
        let tlsServerName: String?
        let passwordDigest: [UInt8]?
        /// A tenant's send never rides on a session opened unchecked for the relay.
        let outbound: OutboundPolicy?
        public var description: String { "\(username.map { $0 + "@" } ?? "")\(host):\(port)" }
    }

    public var poolKey: PoolKey {
        PoolKey(host: host, port: port, security: security, username: username, tls: tls,
                tlsServerName: tlsServerName, passwordDigest: password.map { SHA256.hash($0) },
                outbound: outbound)
    }

    /// Never shows the password, so configurations can be logged.
    public var description: String {
        "SMTP(\(poolKey), security: \(security.rawValue)\(password == nil ? "" : ", password: <hidden>"))"
    }

    /// The FQDN-ish name of this machine for EHLO, or an address literal
    /// when the host name is unusable (RFC 5321 §4.1.4).
    static func localHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "[127.0.0.1]" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let valid = !name.isEmpty && name.utf8.allSatisfy {
            EmailMessage.isAtext($0) && $0 != UInt8(ascii: "=") || $0 == UInt8(ascii: ".")
        }
        return valid ? name : "[127.0.0.1]"
    }
}
