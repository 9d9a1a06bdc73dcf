import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TXT lookups for domain verification: one DNS query over UDP to a
/// recursive resolver, without packages. The resolver is `HERALD_DNS_RESOLVER`
/// (`host` or `host:port`, `[v6]:port`; tests point it at a loopback server),
/// else the first `nameserver` of /etc/resolv.conf.
struct DNSTXTLookup: Sendable {
    enum Outcome: Sendable, Equatable {
        /// The TXT strings found (each record's character-strings joined).
        case records([String])
        /// NXDOMAIN: the name does not exist.
        case noSuchName
        case failed(String)
    }

    let host: String
    let port: UInt16
    var timeout: Double = 2
    var tries = 2

    /// `setting` (`HERALD_DNS_RESOLVER`, read by the configuration), else
    /// the first nameserver of /etc/resolv.conf.
    static func configured(_ setting: String?) -> DNSTXTLookup {
        if let value = setting, !value.isEmpty, let address = parseAddress(value) {
            return DNSTXTLookup(host: address.host, port: address.port)
        }
        let conf = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        for line in conf.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0] == "nameserver" {
                // A scoped IPv6 address (fe80::1%eth0) keeps its scope for getaddrinfo.
                return DNSTXTLookup(host: String(fields[1]), port: 53)
            }
        }
        return DNSTXTLookup(host: "127.0.0.1", port: 53)
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

    /// Looks the name up on a dispatch thread: sockets block, the cooperative pool must not.
    func txt(_ name: String) async -> Outcome {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.lookup(name)) }
        }
    }

    func lookup(_ name: String) -> Outcome {
        guard let query = DNSMessage.query(name: name, type: DNSMessage.txt) else { return .failed("invalid name \(name)") }
        var last = Outcome.failed("no answer from the DNS resolver \(host):\(port)")
        for _ in 0..<max(1, tries) {
            switch exchange(query.bytes) {
            case .success(let reply):
                guard let outcome = DNSMessage.parseTXTReply(reply, id: query.id) else { continue } // not ours: retry
                return outcome
            case .failure(let message):
                last = .failed(message)
            }
        }
        return last
    }

    private enum Exchange { case success([UInt8]), failure(String) }

    /// Sends one datagram and waits for one reply on a connected UDP socket.
    private func exchange(_ packet: [UInt8]) -> Exchange {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        #else
        hints.ai_socktype = SOCK_DGRAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else {
            return .failure("the DNS resolver address \(host) is not a numeric IP address")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return .failure("cannot open a UDP socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - Double(Int(timeout))) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0,
              send(fd, packet, packet.count, 0) == packet.count else {
            return .failure("cannot reach the DNS resolver \(host):\(port)")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received > 0 else {
            return .failure(received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                            ? "the DNS resolver \(host):\(port) did not answer in time"
                            : "the DNS resolver \(host):\(port) refused the query")
        }
        return .success(Array(buffer[0..<received]))
    }
}

/// The bits of RFC 1035 messages a TXT query needs.
enum DNSMessage {
    static let txt: UInt16 = 16

    /// A recursive query with a random id.
    static func query(name: String, type: UInt16) -> (id: UInt16, bytes: [UInt8])? {
        let id = UInt16.random(in: 0...UInt16.max)
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let labels = name.split(separator: ".")
        guard !labels.isEmpty, name.utf8.count <= 253 else { return nil }
        for label in labels {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= 63 else { return nil }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        return (id, bytes)
    }

    /// The outcome of a reply to query `id`; nil when the reply is not for it.
    static func parseTXTReply(_ m: [UInt8], id: UInt16) -> DNSTXTLookup.Outcome? {
        guard m.count >= 12, UInt16(m[0]) << 8 | UInt16(m[1]) == id, m[2] & 0x80 != 0 else { return nil }
        if m[2] & 0x02 != 0 { return .failed("the DNS reply was truncated") }
        switch m[3] & 0x0f {
        case 0: break
        case 3: return .noSuchName
        case let code: return .failed("the DNS resolver answered with error code \(code)")
        }
        let questions = Int(m[4]) << 8 | Int(m[5])
        let answers = Int(m[6]) << 8 | Int(m[7])
        var offset = 12
        for _ in 0..<questions {
            guard let next = skipName(m, offset), next + 4 <= m.count else { return .failed("malformed DNS reply") }
            offset = next + 4
        }
        var records: [String] = []
        for _ in 0..<answers {
            guard let next = skipName(m, offset), next + 10 <= m.count else { return .failed("malformed DNS reply") }
            let type = UInt16(m[next]) << 8 | UInt16(m[next + 1])
            let length = Int(m[next + 8]) << 8 | Int(m[next + 9])
            let start = next + 10
            guard start + length <= m.count else { return .failed("malformed DNS reply") }
            if type == txt {
                // One record is one or more length-prefixed strings, read as one value (RFC 7208 §3.3).
                var text: [UInt8] = []
                var i = start
                while i < start + length {
                    let count = Int(m[i])
                    guard i + 1 + count <= start + length else { return .failed("malformed DNS reply") }
                    text += m[(i + 1)..<(i + 1 + count)]
                    i += 1 + count
                }
                records.append(String(decoding: text, as: UTF8.self))
            }
            offset = start + length
        }
        return .records(records)
    }

    /// The offset after a (possibly compressed) name.
    static func skipName(_ m: [UInt8], _ start: Int) -> Int? {
        var i = start
        while i < m.count {
            let length = m[i]
            if length == 0 { return i + 1 }
            if length & 0xc0 == 0xc0 { return i + 2 <= m.count ? i + 2 : nil }
            i += 1 + Int(length)
        }
        return nil
    }
}
