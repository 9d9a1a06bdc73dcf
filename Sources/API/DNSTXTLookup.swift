import CResolv
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TXT lookups for domain verification through libresolv (`res_nquery`, one
/// resolver state per lookup, so lookups may run at once). The resolver is
/// `HERALD_DNS_RESOLVER` (`host` or `host:port`, `[v6]:port`; tests point it
/// at a loopback server), else the servers of /etc/resolv.conf.
struct DNSTXTLookup: Sendable {
    enum Outcome: Sendable, Equatable {
        /// The TXT strings found (each record's character-strings joined).
        case records([String])
        /// NXDOMAIN: the name does not exist.
        case noSuchName
        case failed(String)
    }

    /// The one server to ask (numeric address); nil asks resolv.conf's.
    let host: String?
    let port: UInt16
    /// Seconds the first try waits for an answer; libresolv doubles it for each retry.
    var timeout = 2
    var tries = 2

    init(host: String?, port: UInt16 = 53, timeout: Int = 2, tries: Int = 2) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tries = tries
    }

    /// `setting` (`HERALD_DNS_RESOLVER`, read by the configuration), else
    /// the servers of /etc/resolv.conf.
    static func configured(_ setting: String?) -> DNSTXTLookup {
        if let value = setting, !value.isEmpty, let address = parseAddress(value) {
            return DNSTXTLookup(host: address.host, port: address.port)
        }
        return DNSTXTLookup(host: nil)
    }

    static func parseAddress(_ text: String) -> (host: String, port: UInt16)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, 53) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let port = UInt16(parts[1]) else { return nil }
            return (String(parts[0]), port)
        }
        return (text, 53) // a host, or a bare IPv6 address
    }

    /// Who is asked, for messages.
    var resolverName: String { host.map { "\($0):\(port)" } ?? "of /etc/resolv.conf" }

    /// Looks the name up on a dispatch thread: libresolv blocks, the cooperative pool must not.
    func txt(_ name: String) async -> Outcome {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.lookup(name)) }
        }
    }

    func lookup(_ name: String) -> Outcome {
        guard DNSMessage.isQueryable(name) else { return .failed("invalid name \(name)") }
        guard let state = herald_res_open(Int32(clamping: max(1, timeout)), Int32(clamping: max(1, tries))) else {
            return .failed("cannot set up the DNS resolver")
        }
        defer { herald_res_close(state) }
        if let host {
            guard useServer(host, state) else {
                return .failed("the DNS resolver address \(host) is not a numeric IP address")
            }
        }
        // Zeroed, so a reply that came back with an error code can be told
        // from no reply at all (its header has the response bit set).
        var answer = [UInt8](repeating: 0, count: 65_535)
        let length = answer.withUnsafeMutableBufferPointer { buffer in
            herald_res_query(state, name, Int32(DNSMessage.txt), buffer.baseAddress, Int32(buffer.count))
        }
        if length >= 0 { return DNSMessage.parseTXTAnswer(Array(answer[0..<min(Int(length), answer.count)])) }
        switch herald_res_h_errno(state) {
        case HOST_NOT_FOUND: return .noSuchName
        case NO_DATA: return .records([])
        default:
            if answer[2] & 0x80 != 0 {
                return .failed("the DNS resolver answered with error code \(answer[3] & 0x0f)")
            }
            return .failed("no answer from the DNS resolver \(resolverName)")
        }
    }

    /// Points the state at `host:port`, a numeric address.
    private func useServer(_ host: String, _ state: res_state) -> Bool {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        #else
        hints.ai_socktype = SOCK_DGRAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list, let address = info.pointee.ai_addr else {
            return false
        }
        defer { freeaddrinfo(list) }
        return herald_res_use_server(state, address) == 0
    }
}
