import Foundation
import Glibc

/// Where Herald may connect on a tenant's behalf (a channel's SMTP host,
/// webhook, Slack, provider or SMS URL). Checked on the addresses the
/// resolver answers, right before connecting, so every spelling of an
/// address (`2130706433`, `0x7f.1`, `::ffff:127.0.0.1`, a name that
/// resolves to it) is judged as the address it is.
///
/// - Never: link-local (169.254/16, fe80::/10), cloud metadata
///   (169.254.169.254, fd00:ec2::254, 100.100.100.200), unspecified
///   (0/8, ::), multicast, broadcast and reserved (240/4).
/// - Only when the operator allows them (`HERALD_OUTBOUND_ALLOW`): loopback
///   (127/8, ::1) and private ranges (10/8, 172.16/12, 192.168/16,
///   100.64/10, 198.18/15, fc00::/7, fec0::/10).
/// - Everything else (the public internet): always.
///
/// The operator's own targets (`HERALD_SMTP_URL`, `HERALD_SMS_URL`) are
/// not checked: the operator chose them.
public struct OutboundPolicy: Sendable, Hashable {
    /// Ranges the operator allows beyond the public internet.
    public let allowed: [CIDR]

    public init(allowing allowed: [CIDR] = []) {
        self.allowed = allowed
    }

    /// `HERALD_OUTBOUND_ALLOW`: comma-separated CIDRs (`127.0.0.0/8,::1/128`).
    public init(parsing text: String) throws {
        var ranges: [CIDR] = []
        for part in text.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { continue }
            guard let range = CIDR(item) else {
                throw OutboundPolicyError("HERALD_OUTBOUND_ALLOW: \(item) is not a CIDR range such as 10.0.0.0/8 or ::1/128")
            }
            ranges.append(range)
        }
        self.init(allowing: ranges)
    }

    /// Loopback only: `herald dev` and the tests, whose peers listen there.
    public static let loopback = OutboundPolicy(allowing: [CIDR(IPAddress(bytes: [127, 0, 0, 0]), 8),
                                                           CIDR(IPAddress(bytes: [UInt8](repeating: 0, count: 15) + [1]), 128)])

    /// What kind of address this is, as far as connecting goes.
    public enum Kind: String, Sendable {
        case global = "public"
        case loopback
        case `private`
        case linkLocal = "link-local"
        case metadata = "cloud metadata"
        case unspecified
        case multicast
        case reserved = "broadcast or reserved"

        /// Kinds no setting can allow.
        public var isNeverAllowed: Bool {
            switch self {
            case .linkLocal, .metadata, .unspecified, .multicast, .reserved: return true
            case .global, .loopback, .private: return false
            }
        }
    }

    public static func kind(of address: IPAddress) -> Kind {
        if let embedded = address.embeddedIPv4 { return kind(of: embedded) }
        return address.isIPv4 ? kindV4(address.bytes) : kindV6(address.bytes)
    }

    private static func kindV4(_ b: [UInt8]) -> Kind {
        switch (b[0], b[1]) {
        case (0, _): return .unspecified
        case (169, 254): return b == [169, 254, 169, 254] || b == [169, 254, 170, 2] ? .metadata : .linkLocal
        case (127, _): return .loopback
        case (100, 100) where b == [100, 100, 100, 200]: return .metadata  // Alibaba Cloud
        case (10, _), (192, 168), (172, 16...31), (100, 64...127), (198, 18...19): return .private
        case (224...239, _): return .multicast
        case (240...255, _): return .reserved  // 255.255.255.255 included
        default: return .global
        }
    }

    private static func kindV6(_ b: [UInt8]) -> Kind {
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        if b == [0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54] { return .metadata }  // AWS
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return .linkLocal }
        if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return .private }  // site-local, deprecated
        if b[0] & 0xfe == 0xfc { return .private }
        if b[0] == 0xff { return .multicast }
        return .global
    }

    /// Nil when Herald may connect to `address`, else why not.
    public func refusal(for address: IPAddress) -> String? {
        let kind = Self.kind(of: address)
        if kind.isNeverAllowed { return "\(address) is a \(kind.rawValue) address, which Herald never connects to" }
        if kind == .global { return nil }
        let candidates = [address] + (address.embeddedIPv4.map { [$0] } ?? [])
        if candidates.contains(where: { candidate in allowed.contains { $0.contains(candidate) } }) { return nil }
        return "\(address) is a \(kind.rawValue) address, which HERALD_OUTBOUND_ALLOW does not allow"
    }

    /// Why a host written as a literal address can never be a target (a
    /// link-local or metadata address, say), or nil: for refusing a
    /// channel when it is saved. Names and allowable literals pass; they
    /// are judged when connecting.
    public static func neverAllowedLiteral(_ host: String) -> String? {
        guard let address = IPAddress(literal: host) else { return nil }
        let kind = kind(of: address)
        return kind.isNeverAllowed ? "\(address) is a \(kind.rawValue) address, which Herald never connects to" : nil
    }

    /// Resolves `host` once and checks every address it has: one refused
    /// address refuses the host (a name that also resolves to an internal
    /// address is not a safe target, whichever address a client would pick).
    /// A refusal is `.permanent`: retrying cannot change the answer.
    func resolve(host: String, port: Int, what: String) throws -> [ResolvedAddress] {
        let addresses = try ResolvedAddress.lookup(host: host, port: port)
        for address in addresses {
            if let reason = refusal(for: address.ip) {
                throw DeliveryError(.permanent, "\(what): refusing to connect to \(host): \(reason)")
            }
        }
        return addresses
    }
}

public struct OutboundPolicyError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One resolver answer, kept as the socket address to connect to, so the
/// address checked is the address connected to (no second lookup an
/// attacker's DNS could answer differently).
struct ResolvedAddress: Sendable {
    let family: Int32
    let socketAddress: [UInt8]
    let ip: IPAddress

    static func lookup(host: String, port: Int) throws -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw DeliveryError(.connect, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var answers: [ResolvedAddress] = []
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let info = current {
            current = info.pointee.ai_next
            guard let pointer = info.pointee.ai_addr, let ip = IPAddress(socketAddress: pointer) else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: pointer, count: Int(info.pointee.ai_addrlen)))
            answers.append(ResolvedAddress(family: info.pointee.ai_family, socketAddress: bytes, ip: ip))
        }
        guard !answers.isEmpty else { throw DeliveryError(.connect, "no address for \(host)") }
        return answers
    }
}
