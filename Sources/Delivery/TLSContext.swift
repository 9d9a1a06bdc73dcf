import Foundation
internal import COpenSSL

/// Which certificates a TLS client trusts. Verification (chain and host
/// name) is always on; the only choice is where the trust anchors come from.
public struct TLSConfiguration: Sendable, Hashable {
    public enum Trust: Sendable, Hashable {
        /// The operating system's CA store (SSL_CTX_set_default_verify_paths).
        case system
        /// Only the CA certificates in this PEM file, e.g. a private relay's
        /// CA or the throwaway test CA.
        case caFile(String)
        /// The system store and the CA certificates in this PEM file (the
        /// operator's `HERALD_SMTP_CA_FILE`, for tenants' servers).
        case systemAnd(caFile: String)
    }

    public var trust: Trust

    public init(trust: Trust = .system) { self.trust = trust }

    public static let system = TLSConfiguration()
    public static func trusting(caFile path: String) -> TLSConfiguration { .init(trust: .caFile(path)) }

    /// Builds (and caches) the context now, so a CA file that cannot be
    /// loaded is found at start-up, not at the first send.
    public func preload() throws {
        _ = try TLSContext.shared(for: self)
    }
}

/// An OpenSSL SSL_CTX built once per configuration. Loading the system store
/// parses hundreds of certificates, so contexts are cached for the process;
/// an SSL_CTX is safe to share between threads once set up.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { SSL_CTX_free(pointer) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [TLSConfiguration: TLSContext] = [:]

    static func shared(for configuration: TLSConfiguration) throws -> TLSContext {
        try lock.withLock {
            if let context = cache[configuration] { return context }
            let context = try make(configuration)
            cache[configuration] = context
            return context
        }
    }

    private static func make(_ configuration: TLSConfiguration) throws -> TLSContext {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw tlsError("SSL_CTX_new") }
        let context = TLSContext(pointer: ctx)
        // TLS 1.0/1.1 are deprecated (RFC 8996); mail relays all speak 1.2+.
        guard herald_delivery_ctx_set_min_tls12(ctx) == 1 else { throw tlsError("setting minimum TLS version") }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        switch configuration.trust {
        case .system:
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw tlsError("loading the system CA store") }
        case .caFile(let path):
            guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                throw tlsError("loading CA file \(path)")
            }
        case .systemAnd(let path):
            guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw tlsError("loading the system CA store") }
            guard SSL_CTX_load_verify_locations(ctx, path, nil) == 1 else {
                throw tlsError("loading CA file \(path)")
            }
        }
        return context
    }
}

/// A `.tls` error carrying OpenSSL's first queued reason; clears the
/// (thread-local) queue so it cannot leak into an unrelated later call.
func tlsError(_ what: String) -> DeliveryError {
    var reason = ""
    let code = ERR_get_error()
    if code != 0 {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        reason = ": " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    ERR_clear_error()
    return DeliveryError(.tls, "\(what) failed\(reason)")
}
