import Foundation
import Testing
@testable import Delivery

/// Servers that misbehave must give a classified error quickly, never a
/// hang or unbounded buffering.
@Suite struct HostileServerTests {
    func openError(_ server: ScriptedServer, _ security: SMTPConfiguration.Security = .none,
                   timeout: Duration = .seconds(3)) async -> DeliveryError? {
        let configuration = server.configuration(security, timeout: timeout)
        return await deliveryError { _ = try await withSession(configuration) { _ in () } }
    }

    @Test func silentServerTimesOut() async throws {
        let start = ContinuousClock.now
        let error = await openError(try ScriptedServer([]), timeout: .milliseconds(300))
        #expect(error?.code == .timeout && error?.isRetryable == true)
        // A bound on "it did not hang", loose enough for a loaded CI machine.
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func silentServerTimesOutDuringTheTLSHandshake() async throws {
        let error = await openError(try ScriptedServer([]), .tls, timeout: .milliseconds(300))
        #expect(error?.code == .timeout)
    }

    @Test func plainTextServerOnATLSPortIsATLSError() async throws {
        let error = await openError(try ScriptedServer([.send("220 not tls at all\r\n"), .close]), .tls)
        #expect(error?.code == .tls)
    }

    @Test(arguments: [
        "220 " + String(repeating: "x", count: 5000) + "\r\n",
        String(repeating: "220-more\r\n", count: 150) + "220 end\r\n",
        String(repeating: "y", count: 10000),
        "HTTP/1.1 400 Bad Request\r\n",
        "220-first\r\n250 second\r\n",
        "22\r\n",
    ])
    func malformedGreetingIsAProtocolError(greeting: String) async throws {
        let error = await openError(try ScriptedServer([.send(greeting)]))
        #expect(error?.code == .protocol, "\(String(describing: error))")
    }

    @Test func rejectingGreetingIsPermanent() async throws {
        let error = await openError(try ScriptedServer([.send("554 5.7.1 go away\r\n")]))
        #expect(error?.code == .permanent && error?.replyCode == 554)
    }

    @Test func hangingUpMidReplyIsTransient() async throws {
        let error = await openError(try ScriptedServer([.send("220-hello\r\n"), .close]))
        #expect(error?.code == .transient)
    }

    @Test func dataInjectedAfterTheSTARTTLSReplyIsRefused() async throws {
        let server = try ScriptedServer([
            .send("220 hi\r\n"), .readLine, .send("250-hi\r\n250 STARTTLS\r\n"),
            .readLine, .send("220 go ahead\r\n250 injected\r\n"),
        ])
        let error = await openError(server, .starttls)
        #expect(error?.code == .protocol && error?.message.contains("STARTTLS") == true)
    }

    @Test func serviceClosing421MakesTheSessionUnusable() async throws {
        let server = try ScriptedServer([
            .send("220 hi\r\n"), .readLine, .send("250 hi\r\n"),
            .readLine, .send("421 4.3.2 shutting down\r\n"), .close,
        ])
        let configuration = server.configuration()
        let (error, usable) = try await BlockingIO.run { () -> (DeliveryError?, Bool) in
            let session = try SMTPConnection.open(configuration)
            defer { session.close() }
            do {
                _ = try session.send(from: "a@herald.test", to: ["b@example.com"], data: Array("x".utf8))
                return (nil, session.isUsable)
            } catch {
                return (error as? DeliveryError, session.isUsable)
            }
        }
        #expect(error?.code == .transient && error?.replyCode == 421 && !usable)
    }
}
