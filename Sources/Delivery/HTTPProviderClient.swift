import Basics
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JSON

/// One request to a provider's HTTP API.
struct HTTPProviderRequest: Sendable {
    /// The provider name, for messages (`email_postmark`).
    var provider: String
    var method = "POST"
    var url: URL
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Values that must never appear in an error or a receipt (tokens,
    /// passwords, secret URLs, extra header values): replaced by `********`
    /// wherever a provider's reply or an error text happens to echo them.
    var secrets: [String]
    /// False only for the operator's own targets (`HERALD_SMS_URL`).
    var checksTarget = true
}

/// A provider's reply, with at most `HTTPProviderClient.maxBodyBytes` of body.
struct HTTPProviderResponse: Sendable {
    let status: Int
    /// Lower-cased names.
    let headers: [String: String]
    let body: [UInt8]
    let truncated: Bool

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The body as JSON, when it is (a truncated body usually is not).
    var json: JSONValue? { try? JSONValue(parsing: body) }
}

/// Sends provider requests through URLSession and turns the outcome into a
/// receipt or a `DeliveryError` with the worker's retry decision:
/// 2xx succeeds; 408, 425, 429 and 5xx are transient (with `Retry-After`);
/// connect failures and timeouts are `.connect`/`.timeout` (retryable);
/// TLS failures `.tls`; any other status, redirects included, permanent.
///
/// Messages name the provider, the origin (`https://host:port`) and the
/// status with a piece of the reply; never a path (a Slack webhook path is a
/// credential), a header or a request body.
public final class HTTPProviderClient: Sendable {
    public static let defaultTimeout: Duration = .seconds(30)
    /// Providers answer in a few hundred bytes; this is plenty for the log
    /// excerpt and the message id.
    static let maxBodyBytes = 64 * 1024
    /// What a receipt keeps of the reply (the attempt log's `response`).
    static let receiptExcerpt = 500

    let timeout: Duration
    private let session: URLSession
    /// Set when we made the session: then responses stream through it.
    private let delegate: HTTPSessionDelegate?
    /// Where requests may go (`OutboundPolicy`).
    let outbound: OutboundPolicy

    /// A client with its own ephemeral session: no cache, no cookies, no
    /// stored credentials, redirects refused, `timeout` per request, and
    /// only to addresses `outbound` allows.
    public init(timeout: Duration = defaultTimeout, outbound: OutboundPolicy = OutboundPolicy()) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.seconds
        configuration.timeoutIntervalForResource = timeout.seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.urlCredentialStorage = nil
        let delegate = HTTPSessionDelegate(maxBodyBytes: Self.maxBodyBytes)
        self.timeout = timeout
        self.outbound = outbound
        self.delegate = delegate
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    /// A client on the caller's session (its own redirect and cache policy
    /// apply, so redirects it follows are not checked against `outbound`;
    /// bodies are cut to `maxBodyBytes` after the fact).
    public init(session: URLSession, timeout: Duration = defaultTimeout, outbound: OutboundPolicy = OutboundPolicy()) {
        self.timeout = timeout
        self.outbound = outbound
        self.session = session
        self.delegate = nil
    }

    deinit {
        // A session keeps its delegate (and itself) alive until invalidated.
        if delegate != nil { session.finishTasksAndInvalidate() }
    }

    /// Sends `request` and returns the 2xx reply; anything else throws.
    func send(_ request: HTTPProviderRequest) async throws -> HTTPProviderResponse {
        try check(try await perform(request), for: request)
    }

    /// Sends `request` and returns whatever status came back; throws only
    /// when no reply arrived.
    func perform(_ request: HTTPProviderRequest) async throws -> HTTPProviderResponse {
        guard request.checksTarget else { return try await perform(request, pinnedTo: nil) }
        let addresses = try await checkTarget(request)
        // https: URLSession resolves the name again, but an answer changed
        // since our check (DNS rebinding) ends at a host without a
        // certificate for that name, before the request is sent. Plain http
        // has no such check, so it goes to a checked address itself.
        guard request.url.scheme?.lowercased() == "http" else { return try await perform(request, pinnedTo: nil) }
        var tried = Set<IPAddress>()
        var lastError: DeliveryError?
        for address in addresses where tried.insert(address.ip).inserted {
            do {
                return try await perform(request, pinnedTo: address.ip)
            } catch let error as DeliveryError where error.code == .connect {
                lastError = error  // no connection, nothing sent: the next address
            }
        }
        throw lastError ?? DeliveryError(.connect, "\(request.provider): no address for \(ProviderURL.origin(request.url))")
    }

    /// `request` to `url` as written, or to `address` with the written
    /// host in the Host header.
    private func perform(_ request: HTTPProviderRequest, pinnedTo address: IPAddress?) async throws -> HTTPProviderResponse {
        var request = request
        var target = request.url
        var hostHeader: String?
        if let address, let pinned = Self.pinned(request.url, to: address) {
            target = pinned.url
            hostHeader = pinned.host
            request.secrets.append(pinned.url.absoluteString)  // its path may be a credential
        }
        var urlRequest = URLRequest(url: target, cachePolicy: .reloadIgnoringLocalCacheData,
                                    timeoutInterval: timeout.seconds)
        urlRequest.httpMethod = request.method
        urlRequest.setValue("Herald", forHTTPHeaderField: "User-Agent")
        for (name, value) in request.headers {
            // A CR/LF in a token or an extra header would split the request.
            guard Self.isToken(name), !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f }) else {
                throw DeliveryError(.permanent, "\(request.provider): header \(Self.isToken(name) ? name : "name") contains control characters")
            }
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        if let hostHeader { urlRequest.setValue(hostHeader, forHTTPHeaderField: "Host") }
        urlRequest.httpBody = Data(request.body)
        do {
            if let delegate {
                return try await delegate.run(session.dataTask(with: urlRequest))
            }
            let (data, response) = try await session.data(for: urlRequest)
            guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
            return HTTPProviderResponse(http, body: Array(data.prefix(Self.maxBodyBytes)), truncated: data.count > Self.maxBodyBytes)
        } catch let error as DeliveryError {
            throw error
        } catch {
            throw Self.transportError(error, request)
        }
    }

    /// Resolves the URL's host and checks every address right before the
    /// request (redirects are never followed: `HTTPSessionDelegate`).
    func checkTarget(_ request: HTTPProviderRequest) async throws -> [ResolvedAddress] {
        guard let written = request.url.host, !written.isEmpty else {
            throw DeliveryError(.permanent, "\(request.provider): the URL has no host")
        }
        let host = written.hasPrefix("[") && written.hasSuffix("]") ? String(written.dropFirst().dropLast()) : written
        let port = request.url.port ?? (request.url.scheme?.lowercased() == "https" ? 443 : 80)
        let policy = outbound
        let what = "\(request.provider): \(ProviderURL.origin(request.url))"
        // A literal needs no lookup (getaddrinfo answers it at once): no thread hop.
        if IPAddress(literal: host) != nil { return try policy.resolve(host: host, port: port, what: what) }
        let addresses = try await BlockingIO.run { try policy.resolve(host: host, port: port, what: what) }
        // The lookup cannot be interrupted; a send cancelled meanwhile stops here.
        if Task.isCancelled { throw DeliveryError(.transient, "\(request.provider): request to \(ProviderURL.origin(request.url)) was cancelled") }
        return addresses
    }

    /// `url` with its host replaced by `address`, and the Host header that
    /// names the host as written (`name:port` when the URL has a port).
    static func pinned(_ url: URL, to address: IPAddress) -> (url: URL, host: String)? {
        guard let host = url.host, !host.isEmpty,
              var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return nil }
        components.percentEncodedHost = address.isIPv4 ? address.description : "[\(address)]"
        guard let pinned = components.url else { return nil }
        let written = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return (pinned, url.port.map { "\(written):\($0)" } ?? written)
    }

    /// The reply itself when it is 2xx, else the error it amounts to.
    func check(_ response: HTTPProviderResponse, for request: HTTPProviderRequest) throws -> HTTPProviderResponse {
        let status = response.status
        if (200..<300).contains(status) { return response }
        let what = "\(request.provider): \(ProviderURL.origin(request.url)) answered \(status)"
        let detail = Self.excerpt(response, secrets: request.secrets, limit: 300)
        let message = detail.isEmpty ? what : "\(what): \(detail)"
        if Self.isTransient(status) {
            let wait = response.header("Retry-After").flatMap { RetryAfter.parse($0) }
            throw DeliveryError(.transient, message, retryAfter: wait)
        }
        if (300..<400).contains(status) {
            throw DeliveryError(.permanent, "\(what) (a redirect, not followed: check the URL)")
        }
        throw DeliveryError(.permanent, message)
    }

    /// Worth trying again later: the server timed out, asked us to slow
    /// down, or failed itself.
    static func isTransient(_ status: Int) -> Bool {
        status == 408 || status == 425 || status == 429 || (500..<600).contains(status)
    }

    /// A receipt for a 2xx reply: the provider's id for the message, and
    /// `status excerpt` for the attempt log.
    static func receipt(_ response: HTTPProviderResponse, for request: HTTPProviderRequest, messageId: String?) -> DeliveryReceipt {
        let body = excerpt(response, secrets: request.secrets, limit: receiptExcerpt)
        return DeliveryReceipt(providerMessageId: messageId.flatMap { $0.isEmpty ? nil : $0 },
                               response: body.isEmpty ? String(response.status) : "\(response.status) \(body)")
    }

    /// The first `limit` characters of the body on one line, secrets masked.
    static func excerpt(_ response: HTTPProviderResponse, secrets: [String], limit: Int) -> String {
        let text = String(decoding: response.body.prefix(limit * 4), as: UTF8.self)
        let line = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        let short = String(redact(line, secrets: secrets).prefix(limit))
        return short.trimmingCharacters(in: .whitespaces)
    }

    static func redact(_ text: String, secrets: [String]) -> String {
        // Longest first, so a secret containing another is masked whole.
        secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }.reduce(text) {
            $0.replacingOccurrences(of: $1, with: "********")
        }
    }

    /// No reply: classify the URLSession error. The text is ours (plus the
    /// system's reason, masked), never the URL.
    static func transportError(_ error: any Error, _ request: HTTPProviderRequest) -> DeliveryError {
        if let handedOver = error as? RequestHandedOver {
            return transportError(handedOver.underlying, request).handedOver()
        }
        let origin = ProviderURL.origin(request.url)
        let reason = redact(redact((error as NSError).localizedDescription, secrets: [request.url.absoluteString]),
                            secrets: request.secrets)
        let detail = reason.isEmpty ? "" : ": \(reason)"
        guard let urlError = error as? URLError else {
            return DeliveryError(.transient, "\(request.provider): request to \(origin) failed\(detail)")
        }
        switch urlError.code {
        case .timedOut:
            return DeliveryError(.timeout, "\(request.provider): no reply from \(origin) in time")
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return DeliveryError(.connect, "\(request.provider): cannot connect to \(origin)\(detail)")
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
             .clientCertificateRequired:
            return DeliveryError(.tls, "\(request.provider): TLS with \(origin) failed\(detail)")
        case .badURL, .unsupportedURL:
            return DeliveryError(.permanent, "\(request.provider): the URL for \(origin) is not usable")
        case .cancelled:
            return DeliveryError(.transient, "\(request.provider): request to \(origin) was cancelled")
        default:
            return DeliveryError(.transient, "\(request.provider): request to \(origin) failed (\(urlError.code.rawValue))\(detail)")
        }
    }

    /// RFC 9110 token characters, for header names.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension HTTPProviderRequest {
    /// A JSON POST.
    init(provider: String, url: URL, json: JSONValue, headers: [(name: String, value: String)] = [], secrets: [String] = []) {
        self.init(provider: provider, url: url,
                  headers: [("Content-Type", "application/json"), ("Accept", "application/json")] + headers,
                  body: json.encoded(), secrets: secrets)
    }
}

