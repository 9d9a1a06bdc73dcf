import Foundation
import JSON
import Testing
@testable import Delivery

/// Failover must not send a message twice (issue 14): a failure after the
/// message was handed over (no answer to SMTP's final "." or to a sent HTTP
/// request) is marked so, and does not point at the provider; a refusal
/// answered in time does.
@Suite struct HandOverTests {
    /// A server that takes the whole transaction, then answers `final` to
    /// the final "." (nil: hangs up without a word).
    func transaction(final: String?) throws -> ScriptedServer {
        try ScriptedServer([
            .send("220 scripted ESMTP\r\n"), .readLine, .send("250 scripted\r\n"),
            .readLine, .send("250 sender ok\r\n"), .readLine, .send("250 recipient ok\r\n"),
            .readLine, .send("354 go ahead\r\n"), .readUntil("\r\n.\r\n"),
        ] + (final.map { [.send($0)] } ?? [.close]))
    }

    func sendError(_ server: ScriptedServer) async -> DeliveryError? {
        await deliveryError {
            _ = try await withSession(server.configuration(timeout: .seconds(2))) { session in
                try session.send(from: "a@herald.test", to: ["b@example.com"], data: Array("Subject: hi\r\n\r\nhello\r\n".utf8))
            }
        }
    }

    @Test func aConnectionLostAfterTheFinalDotIsHandedOver() async throws {
        let error = try #require(await sendError(try transaction(final: nil)))
        #expect(error.afterHandOver, "\(error)")
        #expect(!error.pointsAtProvider)
        #expect(error.isRetryable, "it is still retried, on the same channel")
    }

    @Test func aRefusalOfTheMessageIsAnAnswerNotAHandOver() async throws {
        let busy = try #require(await sendError(try transaction(final: "421 4.3.2 try later\r\n")))
        #expect(!busy.afterHandOver && busy.pointsAtProvider, "\(busy)")
        let rejected = try #require(await sendError(try transaction(final: "554 5.7.1 rejected\r\n")))
        #expect(!rejected.afterHandOver && !rejected.pointsAtProvider, "\(rejected)")
    }

    @Test func aRecipientRefusedAtRCPTIsNotTheProvider() async throws {
        let server = try ScriptedServer([
            .send("220 scripted ESMTP\r\n"), .readLine, .send("250 scripted\r\n"),
            .readLine, .send("250 sender ok\r\n"), .readLine, .send("550 5.1.1 no such user\r\n"),
        ])
        let error = try #require(await sendError(server))
        #expect(error.replyCode == 550 && !error.pointsAtProvider && !error.afterHandOver, "\(error)")
    }

    @Test func anHTTPRequestSentAndNeverAnsweredIsHandedOver() async throws {
        let server = try ScriptedServer([.readUntil("\r\n\r\n"), .drain, .close])
        let provider = WebhookProvider(client: sharedClient)
        let error = await deliveryError {
            _ = try await provider.send(emailMessage(), via: channel("webhook", ["url": .string("http://127.0.0.1:\(server.port)/hook")]))
        }
        let handedOver = try #require(error)
        #expect(handedOver.afterHandOver && !handedOver.pointsAtProvider, "\(handedOver)")
    }

    @Test func anHTTPConnectionRefusedPointsAtTheProvider() async throws {
        let port = try unusedPort()
        let provider = WebhookProvider(client: sharedClient)
        let error = await deliveryError {
            _ = try await provider.send(emailMessage(), via: channel("webhook", ["url": .string("http://127.0.0.1:\(port)/hook")]))
        }
        let refused = try #require(error)
        #expect(refused.code == .connect && refused.pointsAtProvider && !refused.afterHandOver, "\(refused)")
    }
}
