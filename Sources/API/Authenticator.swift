import Crypto
import Foundation
import Store

/// Who is calling.
public enum Principal: Sendable, Equatable {
    /// A tenant's key pair: that tenant's data and nothing else.
    case tenant(id: String)
    /// A platform user's bearer token: their own tenants, by role.
    case platformUser(id: String)
}

/// Turns request headers into a `Principal`. Key lookups are cached briefly
/// (the secret's digest, never the secret) since every tenant request needs
/// one; rotating a key through this process drops its entry at once, other
/// replicas see the rotation within `ttl`.
///
/// A bearer token must carry `exp` and name a platform user that exists: a
/// token outlives nothing it was minted for. That the user exists is cached
/// for `userTTL` seconds, so a user deleted elsewhere is refused after that.
public final class Authenticator: Sendable {
    let store: Store
    let jwtSecret: String
    let cache = CredentialCache()
    let users = ExpiringSet()
    let ttl: Double
    let userTTL: Double

    public init(store: Store, jwtSecret: String, ttl: Double = 10, userTTL: Double = 5) {
        self.store = store
        self.jwtSecret = jwtSecret
        self.ttl = ttl
        self.userTTL = userTTL
    }

    public func principal(for request: APIRequest) async throws -> Principal {
        if let authorization = request.header("authorization") {
            guard authorization.count > 7, authorization.lowercased().hasPrefix("bearer ") else { throw APIError.unauthorized }
            let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            // A token without `exp` would be valid forever, whoever holds it.
            guard let payload = try? JWT.verifyHS256(token: token, secret: jwtSecret, requireExpiration: true),
                  let subject = payload.sub, !subject.isEmpty, subject.utf8.count <= 64, !subject.utf8.contains(0),
                  try await platformUserExists(subject) else {
                throw APIError.unauthorized
            }
            return .platformUser(id: subject)
        }
        let publicKey = request.header("x-protocol-public-key") ?? request.header("x-public-key")
        let secretKey = request.header("x-protocol-secret-key") ?? request.header("x-secret-key")
        guard let publicKey, let secretKey, !publicKey.isEmpty, !secretKey.isEmpty else { throw APIError.unauthorized }
        guard let credential = try await credential(publicKey: publicKey) else { throw APIError.unauthorized }
        // A secret already verified for this entry compares directly; others pay for the keyed digest once.
        if let verified = cache.verifiedSecret(publicKey), ConstantTime.equals(verified, secretKey) {
            return .tenant(id: credential.tenantId)
        }
        guard ConstantTime.equals(store.keyring.digest(secretKey), credential.secretDigest) else { throw APIError.unauthorized }
        cache.markVerified(publicKey, secret: secretKey)
        return .tenant(id: credential.tenantId)
    }

    /// Mints a platform token, as `herald token create` does.
    public static func issueToken(platformUserId: String, email: String, secret: String,
                                  lifetime: TimeInterval = 30 * 86_400) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let claims: [String: JWTClaimValue] = [
            "sub": .string(platformUserId), "email": .string(email), "iat": .int(now),
            "exp": .int(now + Int(lifetime)), "jti": .string(Identifier.make()),
        ]
        return JWT.signHS256(claims: claims, secret: secret)
    }

    func credential(publicKey: String) async throws -> Store.TenantCredential? {
        let now = Date().timeIntervalSince1970
        if let cached = cache.get(publicKey, now: now) { return cached }
        guard let credential = try await store.tenantCredential(publicKey: publicKey) else { return nil }
        cache.put(publicKey, credential, expires: now + ttl)
        return credential
    }

    /// Drops cached credentials of a tenant whose key changed or which was deleted.
    public func forget(tenantId: String) { cache.removeAll { $0.tenantId == tenantId } }

    /// Only users found are cached: a missing one is looked up every time
    /// (its token is still correctly signed, so this is no flood from outside).
    func platformUserExists(_ id: String) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        if users.contains(id, now: now) { return true }
        guard try await store.platformUserJSON(id: id) != nil else { return false }
        users.insert(id, expires: now + userTTL)
        return true
    }

    /// Drops a platform user this process deleted, so its tokens stop at once.
    public func forget(platformUserId: String) { users.remove(platformUserId) }
}

/// Keys that count as present until they expire, under a lock.
final class ExpiringSet: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Double] = [:]

    func contains(_ key: String, now: Double) -> Bool {
        lock.withLock { (entries[key] ?? 0) > now }
    }

    func insert(_ key: String, expires: Double) {
        lock.withLock {
            if entries.count > 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[key] = expires
        }
    }

    func remove(_ key: String) {
        _ = lock.withLock { entries.removeValue(forKey: key) }
    }
}

/// A small lock-protected map with expiry; reads are far more common than writes.
final class CredentialCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (credential: Store.TenantCredential, expires: Double)] = [:]
    /// The secret that last matched each entry's digest; dropped with the entry.
    private var verified: [String: String] = [:]

    func get(_ key: String, now: Double) -> Store.TenantCredential? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key], entry.expires > now else { return nil }
        return entry.credential
    }

    func put(_ key: String, _ credential: Store.TenantCredential, expires: Double) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count > 10_000 {
            entries.removeAll(keepingCapacity: true)
            verified.removeAll(keepingCapacity: true)
        }
        entries[key] = (credential, expires)
        verified[key] = nil
    }

    func verifiedSecret(_ key: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return verified[key]
    }

    func markVerified(_ key: String, secret: String) {
        lock.lock()
        defer { lock.unlock() }
        if entries[key] != nil { verified[key] = secret }
    }

    func removeAll(where predicate: (Store.TenantCredential) -> Bool) {
        lock.lock()
        defer { lock.unlock() }
        entries = entries.filter { !predicate($0.value.credential) }
        verified = verified.filter { entries[$0.key] != nil }
    }
}
