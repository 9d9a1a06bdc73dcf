@testable import API
import Foundation
@testable import Store
import HeraldTestSupport
import JSON
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Domains end to end, verified against a DNS server on loopback.
@Suite struct DomainAPITests {
    @Test func createVerifyAndChooseThePrimary() async throws {
        let dns = TestDNSServer.shared
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            let name = "auth-\(UUID().uuidString.prefix(8).lowercased()).example.com"
            let created = try await api.contractCall("POST", "/api/v0/domains", tenant.keys,
                                                     json: #"{"tenantId":"\#(tenant.id)","name":"\#(name.uppercased())"}"#)
            #expect(created.status == 200, "\(created.bodyString)")
            let domain = try created.json()
            let id = try #require(domain["id"]?.stringValue)
            #expect(domain["name"]?.stringValue == name)
            #expect(domain["primary"] == true) // the tenant's first domain
            #expect(domain["verified"] == false)
            #expect(domain["type"] == "external")
            #expect(domain["verificationRecordType"] == "TXT")
            #expect(domain["verificationRecordDomain"]?.stringValue == "_herald-challenge.\(name)")
            let value = try #require(domain["verificationRecordValue"]?.stringValue)
            #expect(value.hasPrefix("herald-verify=") && value.count > 30)

            // No record yet: the name does not exist.
            let missing = try await api.contractCall("POST", "/api/v0/domains/\(id)/verify", tenant.keys)
            #expect(try missing.json()["verified"] == false)
            #expect(try missing.json()["verificationRecordReason"]?.stringValue?.contains("NXDOMAIN") == true)
            // A record with another value.
            dns.set("_herald-challenge.\(name)", ["herald-verify=someone-else"])
            let wrong = try await api.contractCall("POST", "/api/v0/domains/\(id)/verify", tenant.keys)
            #expect(try wrong.json()["verified"] == false)
            #expect(try wrong.json()["verificationRecordReason"]?.stringValue?.contains("do not include") == true)
            // The right one among others, split into two character-strings as long values are.
            dns.set("_herald-challenge.\(name)", ["v=spf1 -all", value], split: true)
            let found = try await api.contractCall("POST", "/api/v0/domains/\(id)/verify", tenant.keys)
            #expect(try found.json()["verified"] == true)
            #expect(try found.json()["verificationRecordReason"] == .null)
            #expect(dns.queries(for: "_herald-challenge.\(name)") == 3)

            // A second domain is not primary until chosen; then it is the only one.
            let second = try await api.contractCall("POST", "/api/v0/domains", owner,
                                                    json: #"{"tenantId":"\#(tenant.id)","name":"www.\#(name)"}"#)
            let secondId = try #require(try second.json()["id"]?.stringValue)
            #expect(try second.json()["primary"] == false)
            let primary = try await api.contractCall("POST", "/api/v0/domains/\(secondId)/primary", tenant.keys)
            #expect(try primary.json()["primary"] == true)
            let list = try await api.contractCall("GET", "/api/v0/domains?tenantId=\(tenant.id)", tenant.keys)
            let domains = try #require(try list.json().arrayValue)
            #expect(domains.count == 2)
            #expect(domains.filter { $0["primary"] == true }.compactMap { $0["id"]?.stringValue } == [secondId])
            let got = try await api.contractCall("GET", "/api/v0/domains/\(id)", tenant.keys)
            #expect(try got.json()["primary"] == false)
            #expect(try got.json()["verified"] == true)
            // Verified stays verified without another lookup.
            dns.set("_herald-challenge.\(name)", [])
            #expect(try await api.call("POST", "/api/v0/domains/\(id)/verify", tenant.keys).json()["verified"] == true)
            #expect(dns.queries(for: "_herald-challenge.\(name)") == 3)

            // Deleting the primary hands it to the remaining domain.
            let deleted = try await api.contractCall("DELETE", "/api/v0/domains/\(secondId)", tenant.keys)
            #expect(deleted.bodyString == "true")
            #expect(try await api.call("GET", "/api/v0/domains/\(id)", tenant.keys).json()["primary"] == true)
            #expect(try await api.call("DELETE", "/api/v0/domains/\(secondId)", tenant.keys).status == 404)
        }
    }

    @Test func validationConflictsAndIsolation() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            for bad in ["localhost", "-bad.example.com", "exa mple.com", "example.c0m", "a..b.com"] {
                let response = try await api.call("POST", "/api/v0/domains", tenant.keys,
                                                  json: #"{"tenantId":"\#(tenant.id)","name":"\#(bad)"}"#)
                #expect(response.status == 400, "\(bad)")
                #expect(try response.json()["issues"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("name:") == true)
            }
            #expect(try await api.call("POST", "/api/v0/domains", tenant.keys, json: "{}").status == 400)
            #expect(try await api.call("GET", "/api/v0/domains", tenant.keys).status == 400)
            let created = try await api.call("POST", "/api/v0/domains", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","name":"mail.example.org"}"#)
            let id = try #require(try created.json()["id"]?.stringValue)
            // A name is held by one tenant only.
            let taken = try await api.call("POST", "/api/v0/domains", other.keys,
                                           json: #"{"tenantId":"\#(other.id)","name":"Mail.Example.org"}"#)
            #expect(taken.status == 409)
            // Another tenant's keys: 404 everywhere, nothing changed.
            #expect(try await api.call("POST", "/api/v0/domains", other.keys,
                                       json: #"{"tenantId":"\#(tenant.id)","name":"x.example.net"}"#).status == 404)
            #expect(try await api.call("GET", "/api/v0/domains?tenantId=\(tenant.id)", other.keys).status == 404)
            for (method, path) in [("GET", ""), ("DELETE", ""), ("POST", "/verify"), ("POST", "/primary")] {
                let response = try await api.call(method, "/api/v0/domains/\(id)\(path)", other.keys)
                #expect(response.status == 404, "\(method) \(path)")
            }
            let row = try await api.pool.withConnection { connection in
                try connection.query("SELECT count(*), bool_and(\"primary\"), bool_or(verification_record_reason IS NOT NULL) FROM domains")[0]
            }
            #expect(try row.decode(0, as: Int.self) == 1)
            #expect(try row.decode(1, as: Bool.self))
            #expect(try !row.decode(2, as: Bool.self))
        }
    }

    @Test func lookupFailuresAreReasons() async throws {
        // Nothing listens on a port just closed: the lookup fails and says so.
        let deadPort = TestDNSServer.unusedPort()
        let dead = DNSTXTLookup(host: "127.0.0.1", port: deadPort, timeout: 1, tries: 1)
        guard case .failed(let message) = await dead.txt("_herald-challenge.example.com") else {
            Issue.record("expected a failure")
            return
        }
        #expect(message.contains("127.0.0.1:\(deadPort)"))
        let challenge = Store.DomainChallenge(name: "example.com", recordDomain: "_herald-challenge.example.com",
                                              recordValue: "herald-verify=x", verified: false)
        let (verified, reason) = await DomainRoutes.check(challenge, dead)
        #expect(!verified)
        #expect(reason?.hasPrefix("DNS lookup of _herald-challenge.example.com failed") == true)
        // A server failure is a failure, not a missing record.
        let dns = TestDNSServer.shared
        dns.set("broken.example.com", [], rcode: 2)
        let live = DNSTXTLookup(host: "127.0.0.1", port: dns.port)
        #expect(await live.txt("broken.example.com") == .failed("the DNS resolver answered with error code 2"))
        // Replies that break their own bounds are refused, not read past.
        dns.set("past-record.example.com", ["herald-verify=x"], damage: .stringPastRecord)
        #expect(await live.txt("past-record.example.com") == .failed("malformed DNS reply"))
        dns.set("past-message.example.com", ["herald-verify=x"], damage: .recordPastMessage)
        #expect(await live.txt("past-message.example.com") == .failed("malformed DNS reply"))
        // A name that exists without TXT records has none; one that does not is NXDOMAIN.
        dns.set("empty.example.com", [])
        #expect(await live.txt("empty.example.com") == .records([]))
        #expect(await live.txt("missing-\(UUID().uuidString.prefix(8)).example.com") == .noSuchName)
        #expect(await live.txt("bad..name") == .failed("invalid name bad..name"))
        #expect(DNSTXTLookup.parseAddress("[::1]:5353")! == ("::1", 5353))
        #expect(DNSTXTLookup.parseAddress("10.0.0.2")! == ("10.0.0.2", 53))
        #expect(DNSTXTLookup.parseAddress("10.0.0.2:x") == nil)
    }
}

/// A tiny authoritative DNS server on loopback for the tests: answers TXT
/// queries from a table, NXDOMAIN for names it does not know. One per test
/// process; the harness's Herald finds it through HERALD_DNS_RESOLVER.
final class TestDNSServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var records: [String: (values: [String], split: Bool, rcode: UInt8, damage: Damage?)] = [:]

    /// Ways to break a reply, to see that Herald reads replies strictly.
    enum Damage {
        /// A TXT character-string says it is longer than its record.
        case stringPastRecord
        /// The last record says its data is longer than the message.
        case recordPastMessage
    }
    private var counts: [String: Int] = [:]

    /// `APIHarness` points HERALD_DNS_RESOLVER at it.
    static let shared = TestDNSServer()

    private init() {
        let socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        port = Self.bindLoopback(socketFD)
        fd = socketFD
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Binds to 127.0.0.1 on a free port and answers the port.
    private static func bindLoopback(_ socketFD: Int32) -> UInt16 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(socketFD, $0, length)
                _ = getsockname(socketFD, $0, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A port that was free a moment ago.
    static func unusedPort() -> UInt16 {
        let probe = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(probe) }
        return bindLoopback(probe)
    }

    /// TXT values for `name`; `split` sends each value as two character-strings.
    func set(_ name: String, _ values: [String], split: Bool = false, rcode: UInt8 = 0, damage: Damage? = nil) {
        lock.lock()
        records[name.lowercased()] = (values, split, rcode, damage)
        lock.unlock()
    }

    func queries(for name: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[name.lowercased()] ?? 0
    }

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 1500)
        while true {
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, &buffer, buffer.count, 0, $0, &peerLength)
                }
            }
            guard received >= 12 else { continue }
            let reply = answer(Array(buffer[0..<received]))
            withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    _ = sendto(fd, reply, reply.count, 0, $0, peerLength)
                }
            }
        }
    }

    private func answer(_ query: [UInt8]) -> [UInt8] {
        var labels: [String] = []
        var i = 12
        while i < query.count, query[i] != 0 {
            let length = Int(query[i])
            labels.append(String(decoding: query[(i + 1)..<min(query.count, i + 1 + length)], as: UTF8.self))
            i += 1 + length
        }
        let questionEnd = min(query.count, i + 5)
        let name = labels.joined(separator: ".").lowercased()
        lock.lock()
        counts[name, default: 0] += 1
        let entry = records[name]
        lock.unlock()
        let rcode: UInt8 = entry.map { $0.rcode } ?? 3
        let values = entry?.values ?? []
        var reply = [query[0], query[1], 0x81, 0x80 | rcode, 0, 1, 0, UInt8(values.count), 0, 0, 0, 0]
        reply += query[12..<questionEnd]
        for value in values {
            let bytes = Array(value.utf8)
            let parts = entry?.split == true && bytes.count > 1
                ? [Array(bytes[..<(bytes.count / 2)]), Array(bytes[(bytes.count / 2)...])] : [bytes]
            let rdata = parts.flatMap { [UInt8($0.count)] + $0 }
            reply += [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)] + rdata
        }
        if !values.isEmpty, let lastValue = values.last {
            let dataStart = reply.count - (Array(lastValue.utf8).count + 1)
            switch entry?.damage {
            case .stringPastRecord?: reply[dataStart] &+= 5
            case .recordPastMessage?: reply[dataStart - 1] &+= 40
            case nil: break
            }
        }
        return reply
    }
}
