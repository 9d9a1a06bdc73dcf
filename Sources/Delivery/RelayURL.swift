import Foundation

/// The server's own mail relay, `HERALD_SMTP_URL`:
///
///     smtp://user:pass@host:587?security=starttls&from=noreply@example.com&fromName=Herald
///     smtps://user:pass@host            (implicit TLS, port 465)
///
/// `smtp://` defaults to STARTTLS on 587 (port 25 with `security=none`);
/// user and password are percent-decoded. Query options: `security`
/// (starttls|tls|none), `from`, `fromName`, `caFile`, `auth` (plain|login).
/// Unknown options are refused, so a typo fails at start-up rather than
/// silently sending differently. Errors never show the password.
public struct RelayURL: Sendable, Hashable, CustomStringConvertible {
    public var configuration: SMTPConfiguration
    /// The sender for channels that name none.
    public var from: EmailAddress?

    public init(configuration: SMTPConfiguration, from: EmailAddress? = nil) {
        self.configuration = configuration
        self.from = from
    }

    public init(_ text: String) throws {
        let defaultSecurity: SMTPConfiguration.Security
        let rest: Substring
        if let range = text.range(of: "://") {
            switch text[..<range.lowerBound].lowercased() {
            case "smtp": defaultSecurity = .starttls
            case "smtps": defaultSecurity = .tls
            default: throw RelayURLError("must start with smtp:// or smtps://")
            }
            rest = text[range.upperBound...]
        } else {
            throw RelayURLError("must start with smtp:// or smtps://")
        }
        // The authority ends at the first "/", "?" or "#"; an "@" in the
        // query (from=…) is not the userinfo's.
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let afterAuthority = rest[authorityEnd...]
        guard !afterAuthority.contains("#") else { throw RelayURLError("must not have a #fragment") }
        let pathEnd = afterAuthority.firstIndex(of: "?") ?? afterAuthority.endIndex
        guard afterAuthority[..<pathEnd].allSatisfy({ $0 == "/" }) else { throw RelayURLError("must not have a path") }
        let query = pathEnd < afterAuthority.endIndex ? afterAuthority[afterAuthority.index(after: pathEnd)...] : ""

        var username: String?
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let colon = userinfo.firstIndex(of: ":")
            username = try Self.decode(userinfo[..<(colon ?? userinfo.endIndex)], "user name")
            if let colon { password = try Self.decode(userinfo[userinfo.index(after: colon)...], "password") }
            if username?.isEmpty == true { username = nil }
        }
        let (host, port) = try Self.hostAndPort(hostPort)

        var options: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let equals = pair.firstIndex(of: "=")
            let name = try Self.decode(pair[..<(equals ?? pair.endIndex)], "option name")
            let value = try equals.map { try Self.decode(pair[pair.index(after: $0)...], "value of \(name)") } ?? ""
            guard ["security", "from", "fromName", "caFile", "auth"].contains(name) else {
                throw RelayURLError("has an unknown option \(name) (known: security, from, fromName, caFile, auth)")
            }
            guard options.updateValue(value, forKey: name) == nil else { throw RelayURLError("repeats the option \(name)") }
        }

        var security = defaultSecurity
        if let value = options["security"] {
            guard let chosen = SMTPConfiguration.Security(rawValue: value.lowercased()) else {
                throw RelayURLError("security must be starttls, tls or none")
            }
            guard defaultSecurity != .tls || chosen == .tls else { throw RelayURLError("smtps:// is implicit TLS; use smtp:// for \(value)") }
            security = chosen
        }
        var mechanism: SMTPConfiguration.AuthMechanism?
        if let value = options["auth"] {
            guard let chosen = SMTPConfiguration.AuthMechanism(rawValue: value.uppercased()) else {
                throw RelayURLError("auth must be plain or login")
            }
            mechanism = chosen
        }
        let tls: TLSConfiguration = options["caFile"].flatMap { $0.isEmpty ? nil : .trusting(caFile: $0) } ?? .system
        let defaultPort = switch security { case .tls: 465; case .starttls: 587; case .none: 25 }

        configuration = SMTPConfiguration(host: host, port: port ?? defaultPort, security: security,
                                          username: username, password: password, authMechanism: mechanism, tls: tls)
        from = nil
        if let address = options["from"], !address.isEmpty {
            let sender = EmailAddress(address, name: options["fromName"].flatMap { $0.isEmpty ? nil : $0 })
            do { try sender.validate() } catch { throw RelayURLError("from is not a valid e-mail address") }
            from = sender
        }
    }

    /// Never shows the password.
    public var description: String {
        "\(configuration)\(from.map { ", from: \($0.address)" } ?? "")"
    }

    private static func hostAndPort(_ text: Substring) throws -> (String, Int?) {
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {  // [IPv6]:port
            guard let close = text.firstIndex(of: "]") else { throw RelayURLError("has an unclosed [ in the host") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw RelayURLError("has garbage after the host") }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" }),
              host.allSatisfy(\.isASCII) else {
            throw RelayURLError("needs a host name")
        }
        guard let portText else { return (String(host), nil) }
        guard let port = Int(portText), (1...65535).contains(port), portText.allSatisfy(\.isASCII) else {
            throw RelayURLError("has an invalid port")
        }
        return (String(host), port)
    }

    private static func decode(_ text: Substring, _ what: String) throws -> String {
        guard let decoded = String(text).removingPercentEncoding else { throw RelayURLError("has a badly percent-encoded \(what)") }
        return decoded
    }
}

/// `HERALD_SMTP_URL` cannot be used; the message says why without the URL
/// (it holds the password).
public struct RelayURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    init(_ problem: String) { message = "HERALD_SMTP_URL \(problem)" }
    public var description: String { message }
}
