import Foundation
import Testing
import JSON
@testable import Delivery

@Suite struct SMTPConnectionPoolTests {
    static func message(_ n: Int) -> EmailMessage {
        EmailMessage(from: EmailAddress("noreply@herald.test"), to: [EmailAddress("user\(n)@example.com")],
                     subject: "Message \(n)", text: "Body \(n)",
                     messageID: EmailMessage.messageID(notificationId: "ntf_\(n)", domain: "herald.test"))
    }

    @Test func twoMessagesShareOneConnection() async throws {
        try await withSMTPServer { server in
            let pool = SMTPConnectionPool()
            let configuration = try server.configuration()
            _ = try await pool.send(Self.message(1), via: configuration)
            _ = try await pool.send(Self.message(2), via: configuration)
            let records = try server.messages()
            #expect(records.count == 2)
            #expect(records.map { $0["connection"]?.intValue } == [1, 1])
            #expect(server.connectionCount() == 1)
            #expect(pool.connectionCount(for: configuration.poolKey) == (idle: 1, inUse: 0))
            await pool.shutdown()
            #expect(pool.connectionCount(for: configuration.poolKey) == (idle: 0, inUse: 0))
            let error = await deliveryError { _ = try await pool.send(Self.message(3), via: configuration) }
            #expect(error?.code == .transient)
        }
    }

    @Test func concurrentSendsStayWithinTheCap() async throws {
        try await withSMTPServer { server in
            let pool = SMTPConnectionPool(maxConnectionsPerKey: 2)
            let configuration = try server.configuration()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 1...8 {
                    group.addTask { _ = try await pool.send(Self.message(n), via: configuration) }
                }
                try await group.waitForAll()
            }
            let records = try server.messages()
            #expect(records.count == 8)
            #expect(Set(records.compactMap { $0["rcpt_tos"]?.strings.first }).count == 8)
            #expect(server.connectionCount() <= 2)
            #expect(pool.connectionCount(for: configuration.poolKey).inUse == 0)
            await pool.shutdown()
        }
    }

    @Test func idleConnectionsAreClosedAfterTheIdleTimeout() async throws {
        try await withSMTPServer { server in
            let pool = SMTPConnectionPool(idleTimeout: .milliseconds(150))
            let configuration = try server.configuration()
            _ = try await pool.send(Self.message(1), via: configuration)
            #expect(pool.connectionCount(for: configuration.poolKey).idle == 1)
            try await Task.sleep(for: .milliseconds(600))
            #expect(pool.connectionCount(for: configuration.poolKey).idle == 0)
            _ = try await pool.send(Self.message(2), via: configuration)
            #expect(server.connectionCount() == 2)
            await pool.shutdown()
        }
    }

    @Test func aPooledConnectionTheServerDroppedIsReplacedTransparently() async throws {
        // The server's idle timeout must exceed the gaps within one session even
        // on a loaded machine, or it hangs up on the fresh connection too.
        try await withSMTPServer(["--idle-timeout", "1"]) { server in
            let pool = SMTPConnectionPool(idleTimeout: .seconds(30))
            let configuration = try server.configuration()
            _ = try await pool.send(Self.message(1), via: configuration)
            try await Task.sleep(for: .milliseconds(2000))  // the server hangs up meanwhile
            _ = try await pool.send(Self.message(2), via: configuration)
            #expect(try server.messages().count == 2)
            #expect(server.connectionCount() == 2)
            await pool.shutdown()
        }
    }

    @Test func aFailedSendDoesNotLeakItsSlot() async throws {
        try await withSMTPServer(["--script", "550,451"]) { server in
            let pool = SMTPConnectionPool(maxConnectionsPerKey: 1)
            let configuration = try server.configuration()
            for expected in [550, 451] {
                let error = await deliveryError { _ = try await pool.send(Self.message(expected), via: configuration) }
                #expect(error?.replyCode == expected)
            }
            _ = try await pool.send(Self.message(3), via: configuration)
            #expect(server.connectionCount() == 1)
            #expect(try server.messages().count == 1)
            await pool.shutdown()
        }
    }
}

@Suite struct PoolKeyTests {
    @Test func sessionsAreNotSharedAcrossPasswordsOrTrust() {
        let base = SMTPConfiguration(host: "smtp.example.com", port: 587, username: "alice", password: "right")
        var wrongPassword = base
        wrongPassword.password = "wrong"
        var otherTrust = base
        otherTrust.tls = .trusting(caFile: "/tmp/ca.pem")
        var slower = base
        slower.commandTimeout = .seconds(1)
        #expect(base.poolKey != wrongPassword.poolKey)
        #expect(base.poolKey != otherTrust.poolKey)
        #expect(base.poolKey == slower.poolKey)
        #expect(!"\(base.poolKey)".contains("right"))
    }
}
