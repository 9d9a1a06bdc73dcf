import Crypto
import Delivery
import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing

/// Fixtures for the delivery-event tests: a tenant with a channel of the
/// provider under test, notifications sent through it, requests signed the
/// way each provider documents, and reads of what Herald recorded.
struct EventFixture {
    let tenant: TestTenant
    let channelId: String
    var path: String { "/api/v0/notifications/events/\(channelId)" }

    /// A tenant with one channel of `provider` (`type`) and a template for it.
    static func make(_ api: some APIClient, provider: String, type: String = "email", settings: String,
                     tenant given: TestTenant? = nil) async throws -> EventFixture {
        let tenant: TestTenant
        if let given {
            tenant = given
        } else {
            tenant = try await api.tenant(owner: try await api.token(email: "events-\(UUID().uuidString.prefix(8))@example.com"))
        }
        // Keys are letters, `-`, `_` and `.` only.
        let suffix = String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
        let key = "\(provider)-\(suffix)"
        let channel = try await api.call("POST", "/api/v0/notifications/channels", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","name":"\(provider)","key":"\(key)","type":"\(type)","provider":"\(provider)",
             "providerSettings":\(settings)}
            """)
        try #require(channel.status == 200, "\(channel.bodyString)")
        let subject = type == "email" ? #""subject":"Your code","# : ""
        let template = try await api.call("POST", "/api/v0/notifications/templates", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","type":"\(type)","name":"\(key)",\(subject)"body":"Your code is {{code}}"}
            """)
        try #require(template.status == 200, "\(template.bodyString)")
        return EventFixture(tenant: tenant, channelId: try #require(try channel.json()["id"]?.stringValue))
    }

    /// Queues a notification through the channel and answers its id.
    func send(_ api: some APIClient, to address: String) async throws -> String {
        let template = try await api.call("GET", "/api/v0/notifications/channels/\(channelId)", tenant.keys).json()["key"]?.stringValue ?? ""
        let sent = try await api.call("POST", "/api/v0/notifications/send", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","template":"\(template)","channel":"\(channelId)","variables":{"code":"123456"},
             "input":{"to":["\(address)"]}}
            """)
        try #require(sent.status == 200, "\(sent.bodyString)")
        return String(try #require(sent.headers["location"]).split(separator: "/").last ?? "")
    }

    /// `GET /notifications/{id}`'s data.
    func notification(_ api: some APIClient, _ id: String) async throws -> JSONValue {
        let response = try await api.call("GET", "/api/v0/notifications/\(id)", tenant.keys)
        try #require(response.status == 200, "\(response.bodyString)")
        return try #require(try response.json()["data"])
    }

    func post(_ api: some APIClient, _ body: String, headers: [(String, String)], query: String = "",
              contentType: String = "application/json") async throws -> TestHTTPClient.Response {
        try await TestHTTPClient.request(port: api.port, method: "POST", path: path + query,
                                         headers: headers + [("Content-Type", contentType)], body: Array(body.utf8))
    }

    /// Rows in `notification_events` for this channel.
    func eventCount(_ api: some PooledAPIClient) async throws -> Int {
        try await api.pool.withConnection { connection in
            Int(try connection.query("SELECT count(*) AS n FROM notification_events WHERE channel_id = $1", [channelId])[0]
                .decode("n", as: Int64.self))
        }
    }

    /// The tenant's suppressions as `address reason`.
    func suppressions(_ api: some PooledAPIClient) async throws -> [String] {
        try await api.pool.withConnection { connection in
            try connection.query("""
                SELECT address || ' ' || reason AS s FROM notification_suppressions WHERE tenant_id = $1 ORDER BY address
                """, [tenant.id]).map { try $0.decode("s", as: String.self) }
        }
    }
}

/// A harness whose database the test reads directly.
protocol PooledAPIClient: APIClient {
    var pool: PostgresPool { get }
}

extension APIHarness: PooledAPIClient {}
extension EndToEndHarness: PooledAPIClient {}

/// Signing as each provider documents it.
enum ProviderSigning {
    static func basic(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Base64.encode(Array("\(user):\(password)".utf8)))
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// SendGrid: base64 DER ECDSA P-256/SHA-256 over timestamp + payload.
    static func sendGrid(_ body: String, privateKeyPEM: String, timestamp: Int64 = now()) throws -> [(String, String)] {
        let signature = try ECDSA.signP256SHA256(privateKeyPEM: privateKeyPEM, message: Array(String(timestamp).utf8) + Array(body.utf8))
        return [("X-Twilio-Email-Event-Webhook-Signature", Base64.encode(signature)),
                ("X-Twilio-Email-Event-Webhook-Timestamp", String(timestamp))]
    }

    /// Svix / Standard Webhooks: `v1,` base64 HMAC-SHA256 of `id.timestamp.body`.
    static func standardWebhooks(_ body: String, secret: String, id: String, prefix: String = "svix",
                                 timestamp: Int64 = now()) throws -> [(String, String)] {
        [("\(prefix)-id", id), ("\(prefix)-timestamp", String(timestamp)),
         ("\(prefix)-signature", try WebhookSignature.sign(id: id, timestamp: timestamp, body: Array(body.utf8), secret: secret))]
    }

    /// Twilio: base64 HMAC-SHA1 over the URL and the sorted parameters.
    static func twilio(url: String, form: [(String, String)], authToken: String) -> (String, String) {
        var data = url
        for (name, value) in form.sorted(by: { $0.0 < $1.0 }) { data += name + value }
        return ("X-Twilio-Signature", Base64.encode(HMAC.sha1(key: Array(authToken.utf8), message: Array(data.utf8))))
    }

    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func newSecret() -> String { "whsec_" + Base64.encode(SecureRandom.bytes(24)) }
}
