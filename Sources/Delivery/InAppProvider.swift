/// `inapp_pxyz`: nothing leaves the server. The stored notification row is
/// the inbox entry (listed by the in-app log), so "sending" only confirms
/// it, with the notification id as the provider's message id.
public struct InAppProvider: NotificationProvider {
    public static let name = "inapp_pxyz"

    public init() {}

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        DeliveryReceipt(providerMessageId: message.notificationId, response: "stored in the in-app inbox")
    }
}

/// Accepts everything after an optional delay and sends nothing: for
/// benchmarks of the worker's queue without a provider's latency or limits
/// (register it under a provider's name in a `ProviderRegistry`).
public struct NoopProvider: NotificationProvider {
    public let delay: Duration

    public init(delay: Duration = .zero) {
        self.delay = delay
    }

    public func send(_ message: OutgoingMessage, via channel: ChannelConfig) async throws -> DeliveryReceipt {
        if delay > .zero { try await Task.sleep(for: delay) }
        return DeliveryReceipt(providerMessageId: message.notificationId, response: "noop")
    }
}
