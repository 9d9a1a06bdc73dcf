import JSON

/// One rendered notification as the worker hands it to a provider.
public struct OutgoingMessage: Sendable {
    public var notificationId: String
    public var tenantId: String
    /// email, sms, push, webhook, inapp or chat.
    public var type: String
    public var to: [String]
    public var cc: [String]
    public var bcc: [String]
    public var subject: String?
    public var html: String?
    public var text: String?
    public var title: String?
    public var data: JSONValue?
    /// The rendered document of a webhook template.
    public var json: JSONValue?
    public var locale: String
    public var test: Bool
    /// 1 for the first try; the same notification keeps its id across attempts,
    /// so providers use it as their idempotency key and as the Message-ID.
    public var attempt: Int

    public init(notificationId: String, tenantId: String, type: String, to: [String], cc: [String] = [], bcc: [String] = [],
                subject: String? = nil, html: String? = nil, text: String? = nil, title: String? = nil,
                data: JSONValue? = nil, json: JSONValue? = nil, locale: String = "en", test: Bool = false, attempt: Int = 1) {
        self.notificationId = notificationId
        self.tenantId = tenantId
        self.type = type
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.subject = subject
        self.html = html
        self.text = text
        self.title = title
        self.data = data
        self.json = json
        self.locale = locale
        self.test = test
        self.attempt = attempt
    }
}

/// A channel as a provider needs it: its provider name and settings, secrets
/// already opened.
public struct ChannelConfig: Sendable {
    public var id: String
    public var provider: String
    public var settings: JSONObject

    public init(id: String, provider: String, settings: JSONObject) {
        self.id = id
        self.provider = provider
        self.settings = settings
    }
}

/// What a successful send answers: the provider's id for the message, and a
/// trimmed piece of its response for the attempt log.
public struct DeliveryReceipt: Sendable, Equatable {
    public var providerMessageId: String?
    public var response: String?

    public init(providerMessageId: String? = nil, response: String? = nil) {
        self.providerMessageId = providerMessageId
        self.response = response
    }
}

/// Sends one message through one kind of provider. Failures are thrown as
/// `DeliveryError`, whose `isRetryable` drives the worker's retry decision.
public protocol NotificationProvider: Sendable {
    func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt
}
