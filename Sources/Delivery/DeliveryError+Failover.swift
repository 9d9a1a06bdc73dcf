extension DeliveryError {
    /// Whether the failure points at the provider (its server is down,
    /// overloaded or misbehaving) rather than at the message or recipient:
    /// connect failures and timeouts, TLS failures, broken protocol, SMTP
    /// 4xx/421 and HTTP 408/429/5xx. Those move the next attempt to the
    /// channel's next fallback at once; the rest (SMTP 5xx, HTTP 4xx, an
    /// invalid message) would fail the same way anywhere.
    ///
    /// A failure after the message was handed over (`afterHandOver`) never
    /// points at the provider: the provider may have accepted the message,
    /// and a fallback would deliver it twice. It retries the same channel.
    public var pointsAtProvider: Bool {
        if afterHandOver { return false }
        switch code {
        case .connect, .timeout, .tls, .protocol, .transient: return true
        case .permanent, .invalidMessage: return false
        }
    }

    /// This error, marked as coming after the message was handed over.
    public func handedOver() -> DeliveryError {
        var error = self
        error.afterHandOver = true
        return error
    }
}
