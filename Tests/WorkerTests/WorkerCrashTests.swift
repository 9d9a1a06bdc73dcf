import Basics
import Crypto
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `herald worker` binary killed with SIGKILL three times at random
/// moments while it sends 2,000 e-mails to a real SMTP server (aiosmtpd):
/// nothing may be lost, and a message may arrive twice only when its send
/// finished but the worker died before the outcome was committed.
@Suite struct WorkerCrashTests {
    // About 30 s alone; beside the other worker suites on two cores, near a minute.
    @Test(.timeLimit(.minutes(2)))
    func everyMessageSurvivesThreeKills() async throws {
        let fixture = try await QueueFixture.make()
        defer { Task { await fixture.close() } }
        let smtp = try await TestSMTPServer.start()
        defer { smtp.stop() }
        let ids = try await fixture.insert(2000, type: "email",
                                           rendered: #"{"subject":"Crash test","html":"<p>Hello</p>","text":"Hello"}"#,
                                           to: #"["someone@example.com"]"#)
        let logFile = smtp.directory.appendingPathComponent("worker.log")
        let environment = [
            "DATABASE_URL": fixture.url, "HERALD_MASTER_KEY": MasterKey.generateHex(),
            "HERALD_JWT_SECRET": Hex.encode(SecureRandom.bytes(32)),
            "HERALD_SMTP_URL": "smtp://127.0.0.1:\(smtp.port)?security=none&from=herald@example.com",
            "HERALD_WORKER_LEASE_SECONDS": "2", "HERALD_WORKER_CONCURRENCY": "8", "HERALD_WORKER_BATCH": "16",
            "HERALD_LOG_LEVEL": "warning",
        ]
        let launched = HeraldProcesses()
        defer { launched.killAll() }
        func launch() throws -> ChildProcess { try launched.launch(["worker"], environment: environment, log: logFile) }

        var sentAtKill: [Int] = []
        for _ in 0..<3 {
            let process = try launch()
            let before = smtp.messageCount()
            // A random moment once this run has sent something.
            try await waitUntil("the worker sends", timeout: .seconds(20)) { smtp.messageCount() > before }
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500)))
            HeraldProcesses.kill(process)
            sentAtKill.append(smtp.messageCount())
        }
        let last = try launch()
        try await waitUntil("every notification sent", timeout: .seconds(90)) {
            try await fixture.count(status: "sent") == 2000
        }
        let status = await HeraldProcesses.stop(last) // SIGTERM: a graceful stop
        #expect(status == 0, "\((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")

        // What the SMTP server received, by the notification id each message carries.
        var copies: [String: Int] = [:]
        var messageIds: [String: Set<String>] = [:]
        for message in try smtp.messages() {
            let headers = message.record["parsed"]?["headers"]?.arrayValue ?? []
            func header(_ name: String) -> String? {
                headers.first { $0.arrayValue?.first?.stringValue?.lowercased() == name }?.arrayValue?.last?.stringValue
            }
            guard let id = header("x-herald-notification") else { continue }
            copies[id, default: 0] += 1
            messageIds[id, default: []].insert(header("message-id") ?? "")
        }
        #expect(Set(copies.keys) == Set(ids), "every notification reached the server")
        #expect(messageIds.values.allSatisfy { $0.count == 1 }, "a resend carries the same Message-ID")
        let duplicated = copies.filter { $0.value > 1 }
        let duplicates = duplicated.values.reduce(0) { $0 + $1 - 1 }
        // Each duplicate is a send whose worker was killed before its outcome
        // was committed: its lease expired and the rescue recorded the lost attempt.
        for id in duplicated.keys {
            let attempts = try await fixture.attempts(id)
            #expect(attempts.contains { $0.error?.contains("lease expired") == true }, "\(id): \(attempts)")
        }
        let rescued = try await fixture.pool.withConnection {
            try $0.query("SELECT count(DISTINCT notification_id)::int FROM notification_attempts WHERE error LIKE 'lease expired%'")[0]
                .decode(0, as: Int.self)
        }
        #expect(duplicated.count <= rescued)
        print("crash test: 2000 notifications, 3 SIGKILLs (after \(sentAtKill) messages), \(copies.values.reduce(0, +)) messages received, \(duplicates) duplicates (sends finished but not committed when killed), \(rescued) rows rescued")
    }
}
