import Glibc

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, for deciding where Herald
/// may connect. Built from what the resolver answered (a `sockaddr`) or from
/// a literal in any spelling the resolver itself would accept.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16)
        self.bytes = bytes
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// A literal as getaddrinfo reads one: dotted quads, and also the
    /// decimal, octal and hex forms of inet_aton (`2130706433`,
    /// `0177.0.0.1`, `0x7f.1`), since the resolver turns those into the
    /// same address; IPv6 with or without brackets. Nil for a host name.
    public init?(literal text: String) {
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        // inet_aton stops at white space and ignores what follows.
        guard !text.isEmpty, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f }) else { return nil }
        var v4 = in_addr()
        if inet_aton(String(text), &v4) != 0 {
            self.init(bytes: withUnsafeBytes(of: v4.s_addr) { Array($0) })
            return
        }
        var v6 = in6_addr()
        // A zone (`fe80::1%eth0`) is refused by inet_pton: then we treat
        // the text as the name it is not, and resolution fails later.
        if inet_pton(AF_INET6, String(text), &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: v6) { Array($0) })
            return
        }
        return nil
    }

    /// A strict literal for configuration: dotted quad or IPv6 only.
    init?(strict text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: v4) { Array($0) })
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: v6) { Array($0) })
        } else {
            return nil
        }
    }

    /// The address of a resolver answer; nil for a family we do not connect to.
    init?(socketAddress pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let address = UnsafeRawPointer(pointer).load(as: sockaddr_in.self)
            self.init(bytes: withUnsafeBytes(of: address.sin_addr) { Array($0) })
        case AF_INET6:
            let address = UnsafeRawPointer(pointer).load(as: sockaddr_in6.self)
            self.init(bytes: withUnsafeBytes(of: address.sin6_addr) { Array($0) })
        default:
            return nil
        }
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IPv4 address an IPv6 address stands for, where the kernel or a
    /// translator would reach that IPv4 host: mapped (`::ffff:a.b.c.d`),
    /// compatible (`::a.b.c.d`, deprecated but still routed by some
    /// stacks), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) and 6to4 (`2002::/16`).
    var embeddedIPv4: IPAddress? {
        guard !isIPv4 else { return nil }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return IPAddress(bytes: Array(b[12..<16])) }
        // Compatible: all of ::/96 but :: and ::1 (so ::0.0.0.5 counts as 0.0.0.5).
        if b[0..<12].allSatisfy({ $0 == 0 }) && !(b[12..<15].allSatisfy({ $0 == 0 }) && b[15] <= 1) {
            return IPAddress(bytes: Array(b[12..<16]))
        }
        if b[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return IPAddress(bytes: Array(b[12..<16])) }
        if b[0..<6] == [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01] { return IPAddress(bytes: Array(b[12..<16])) }
        if b[0] == 0x20 && b[1] == 0x02 { return IPAddress(bytes: Array(b[2..<6])) }
        return nil
    }
}

/// An address range such as `10.0.0.0/8` or `::1/128`.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefix: Int

    /// `address/prefix`, or a bare address (a /32 or /128). Host bits
    /// beyond the prefix are refused: `10.0.0.1/8` is more likely a typo
    /// than a wish to allow all of 10/8.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(strict: String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let value = Int(parts[1]), parts[1].allSatisfy(\.isASCII), (0...bits).contains(value) else { return nil }
            prefix = value
        }
        guard CIDR.masked(address, prefix) == address else { return nil }
        self.network = address
        self.prefix = prefix
    }

    init(_ network: IPAddress, _ prefix: Int) {
        self.network = CIDR.masked(network, prefix)
        self.prefix = prefix
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && CIDR.masked(address, prefix) == network
    }

    public var description: String { "\(network)/\(prefix)" }

    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        var bytes = address.bytes
        for index in bytes.indices {
            let keep = max(0, min(8, prefix - index * 8))
            bytes[index] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        return IPAddress(bytes: bytes)
    }
}
