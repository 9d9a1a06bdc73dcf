import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import HTTP
import JSON
@testable import Delivery

/// How replies and failures become receipts and retry decisions.
@Suite struct ProviderResponseTests {
    func settings(_ base: String) -> JSONObject {
        ["apiKey": "re_secret_key", "from": "noreply@herald.test", "baseUrl": .string(base)]
    }

    func send(_ base: String, client: HTTPProviderClient = sharedClient) async -> DeliveryError? {
        await deliveryError { _ = try await ResendProvider(client: client).send(emailMessage(), via: channel("email_resend", settings(base))) }
    }

    @Test func tooManyRequestsIsRetryableAfterTheSecondsItAsks() async throws {
        try await withReceiver({ _ in jsonResponse(429, #"{"name":"rate_limit_exceeded"}"#, headers: [("Retry-After", "7")]) }) { base, _ in
            let error = try #require(await send(base))
            #expect(error.code == .transient && error.isRetryable)
            #expect(error.retryAfter == .seconds(7))
            #expect(error.message.contains("429") && error.message.contains("rate_limit_exceeded"))
        }
    }

    @Test func unavailableWithAnHTTPDateRetryAfter() async throws {
        let date = Date().addingTimeInterval(120)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let header = formatter.string(from: date)
        try await withReceiver({ _ in .text("down", status: HTTPStatus(code: 503)).with(header: ("Retry-After", header)) }) { base, _ in
            let error = try #require(await send(base))
            #expect(error.isRetryable)
            let wait = try #require(error.retryAfter)
            #expect(wait > .seconds(110) && wait <= .seconds(120))
        }
    }

    @Test(arguments: [500, 502, 503, 504, 408])
    func serverFailuresAreRetryable(status: Int) async throws {
        try await withReceiver({ _ in .text("oops", status: HTTPStatus(code: status)) }) { base, _ in
            let error = try #require(await send(base))
            #expect(error.code == .transient && error.isRetryable && error.retryAfter == nil)
        }
    }

    @Test(arguments: [400, 401, 403, 404, 413, 422])
    func clientErrorsArePermanentAndNeverShowTheToken(status: Int) async throws {
        // A reply that echoes the credential it was given.
        try await withReceiver({ request in
            .text("rejected \(request.headers["Authorization"] ?? "")", status: HTTPStatus(code: status))
        }) { base, _ in
            let error = try #require(await send(base))
            #expect(error.code == .permanent && error.isPermanent)
            #expect(error.message.contains(String(status)))
            #expect(!error.message.contains("re_secret_key") && !error.description.contains("re_secret_key"))
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await withReceiver({ request in
            request.path == "/elsewhere/emails" ? jsonResponse(200, #"{"id":"x"}"#)
                : HTTPResponse(status: .found, headers: ["Location": "/elsewhere/emails"])
        }) { base, log in
            let error = try #require(await send(base))
            #expect(error.code == .permanent && error.message.contains("302"))
            #expect(log.requests.map(\.path) == ["/emails"])
        }
    }

    @Test func connectionRefusedIsRetryable() async throws {
        let port = try unusedPort()
        let error = try #require(await send("http://127.0.0.1:\(port)"))
        #expect(error.code == .connect && error.isRetryable)
        #expect(error.message.contains("127.0.0.1:\(port)") && !error.message.contains("re_secret_key"))
    }

    @Test func aServerThatNeverAnswersTimesOutRetryably() async throws {
        let listener = try SilentListener()
        let client = HTTPProviderClient(timeout: .seconds(1), outbound: .loopback)
        let started = ContinuousClock.now
        let error = try #require(await send("http://127.0.0.1:\(listener.port)", client: client))
        #expect(error.code == .timeout && error.isRetryable)
        #expect(ContinuousClock.now - started < .seconds(10))
        withExtendedLifetime(listener) {}
    }

    @Test func cancellingTheSendEndsTheRequest() async throws {
        let listener = try SilentListener()
        // A timeout far beyond the bound below, so only the cancellation can end the send
        // in time, even when a loaded machine (the whole suite on two cores) delays it.
        let client = HTTPProviderClient(timeout: .seconds(120), outbound: .loopback)
        let started = ContinuousClock.now
        let task = Task { await send("http://127.0.0.1:\(listener.port)", client: client) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let error = try #require(await task.value)
        #expect(error.isRetryable && error.message.contains("cancelled"))
        #expect(ContinuousClock.now - started < .seconds(60))  // not the 120 s timeout (alone: ~0.2 s)
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await send("http://127.0.0.1:\(listener.port)", client: client)
        }
        #expect(try #require(await early.value).message.contains("cancelled"))
        withExtendedLifetime(listener) {}
    }

    @Test func aHugeReplyIsCutAndTheReceiptKeepsFiveHundredCharacters() async throws {
        let huge = "{\"id\":\"big\",\"pad\":\"" + String(repeating: "x", count: 2_000_000) + "\"}"
        try await withReceiver({ _ in jsonResponse(200, huge) }) { base, _ in
            let receipt = try await ResendProvider(client: sharedClient).send(emailMessage(), via: channel("email_resend", settings(base)))
            #expect(receipt.providerMessageId == nil)  // the JSON was cut, so no id: still a success
            #expect(receipt.response == "200 " + String(huge.prefix(500)))
        }
    }

    @Test func anInjectedSessionIsUsedToo() async throws {
        try await withReceiver({ _ in jsonResponse(200, #"{"id":"via-session"}"#) }) { base, _ in
            let client = HTTPProviderClient(session: URLSession(configuration: .ephemeral), outbound: .loopback)
            let receipt = try await ResendProvider(client: client).send(emailMessage(), via: channel("email_resend", settings(base)))
            #expect(receipt.providerMessageId == "via-session")
        }
    }

    @Test func retryAfterParsing() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.parse("0", now: now) == .zero)
        #expect(RetryAfter.parse(" 120 ", now: now) == .seconds(120))
        #expect(RetryAfter.parse("99999999999999999999", now: now) == RetryAfter.maximum)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:51:37 GMT", now: now) == .seconds(120))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:50:37 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.parse("Sun Nov  6 08:49:47 1994", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)  // in the past
        for bad in ["", "-5", "1.5", "soon", "+5", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:00:00 GMT"] {
            #expect(RetryAfter.parse(bad, now: now) == nil, "\(bad)")
        }
    }
}

extension HTTPResponse {
    func with(header: (String, String)) -> HTTPResponse {
        var copy = self
        copy.headers.add(name: header.0, value: header.1)
        return copy
    }
}
