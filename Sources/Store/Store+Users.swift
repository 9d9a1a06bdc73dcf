import Crypto
import Foundation
import JSON
import Postgres

/// A tenant's end users. Passwords are kept only as scrypt hashes made off the
/// cooperative pool (see `Passwords`); the hash never leaves the database.
extension Store {
    public struct NewUser: Sendable {
        public var name: String?
        public var username: String?
        public var roleId: String?
        public var email: String?
        public var phone: String?
        public var passwordHash: String?
        public var publicMeta: JSONValue?
        public var privateMeta: JSONValue?
        public init(name: String?, username: String?, roleId: String?, email: String?, phone: String?,
                    passwordHash: String?, publicMeta: JSONValue?, privateMeta: JSONValue?) {
            self.name = name
            self.username = username
            self.roleId = roleId
            self.email = email
            self.phone = phone
            self.passwordHash = passwordHash
            self.publicMeta = publicMeta
            self.privateMeta = privateMeta
        }
    }

    /// Fields to change: `nil` leaves one as it is, `.some(nil)` clears it.
    public struct UserChanges: Sendable {
        public var name: String??
        public var username: String??
        public var imageUri: String??
        public var roleId: String??
        public var status: String?
        public var publicMeta: JSONValue?
        public var privateMeta: JSONValue?
        public init(name: String??, username: String??, imageUri: String??, roleId: String??, status: String?,
                    publicMeta: JSONValue?, privateMeta: JSONValue?) {
            self.name = name
            self.username = username
            self.imageUri = imageUri
            self.roleId = roleId
            self.status = status
            self.publicMeta = publicMeta
            self.privateMeta = privateMeta
        }
    }

    public func usersPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("users", Projection.userT, tenantId: tenantId, request)
    }

    public func userTenant(id: String) async throws -> String? {
        try await tenantOf("users", id)
    }

    public func userJSON(id: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT (\(Projection.userT))::text AS json FROM users t WHERE t.id = $1 AND t.tenant_id = $2",
                                 [id, tenantId]).first?.decode("json", as: String.self)
        }
    }

    public func roleExists(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try !connection.query("SELECT 1 FROM roles WHERE id = $1 AND tenant_id = $2", [id, tenantId]).isEmpty
        }
    }

    /// Creates the user with its email address and phone number (each primary,
    /// unverified, with a code queued) in one transaction: a conflict on any of
    /// them leaves nothing behind and sends nothing.
    public func createUser(tenantId: String, _ new: NewUser, locale: String) async throws -> String {
        let id = Identifier.make()
        return try await database.withTransaction { connection in
            _ = try connection.query("""
                INSERT INTO users (id, tenant_id, name, username, role_id, password_hash, public_meta, private_meta)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
                """, [id, tenantId, new.name, new.username, new.roleId, new.passwordHash, new.publicMeta?.jsonString,
                      new.privateMeta?.jsonString])
            // The email first, so the phone's message can name it.
            for (kind, value) in [(ContactKind.email, new.email), (.phone, new.phone)] {
                guard let value else { continue }
                let contactId = try self.insertContact(connection, kind, tenantId: tenantId, userId: id, value: value,
                                                       locale: locale)
                _ = try connection.query("UPDATE users SET \(kind.primaryColumn) = $2 WHERE id = $1", [id, contactId])
            }
            return try connection.query("SELECT (\(Projection.userT))::text AS json FROM users t WHERE t.id = $1", [id])[0]
                .decode("json", as: String.self)
        }
    }

    public func updateUser(id: String, tenantId: String, _ changes: UserChanges) async throws -> String? {
        func flag<T>(_ value: T??) -> Bool { value != nil }
        return try await database.withTransaction { connection in
            if changes.status == "suspended" {
                _ = try connection.query("DELETE FROM sessions WHERE user_id = $1 AND tenant_id = $2", [id, tenantId])
            }
            return try connection.query("""
                UPDATE users t SET
                  name = CASE WHEN $3 THEN $4 ELSE t.name END,
                  username = CASE WHEN $5 THEN $6 ELSE t.username END,
                  image_uri = CASE WHEN $7 THEN $8 ELSE t.image_uri END,
                  role_id = CASE WHEN $9 THEN $10 ELSE t.role_id END,
                  status = coalesce($11, t.status),
                  public_meta = CASE WHEN $12 THEN $13::jsonb ELSE t.public_meta END,
                  private_meta = CASE WHEN $14 THEN $15::jsonb ELSE t.private_meta END,
                  updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.userT))::text AS json
                """, [id, tenantId, flag(changes.name), changes.name ?? nil, flag(changes.username), changes.username ?? nil,
                      flag(changes.imageUri), changes.imageUri ?? nil, flag(changes.roleId), changes.roleId ?? nil,
                      changes.status, changes.publicMeta != nil, Self.jsonText(changes.publicMeta),
                      changes.privateMeta != nil, Self.jsonText(changes.privateMeta)])
                .first?.decode("json", as: String.self)
        }
    }

    /// JSON null clears a meta column rather than storing a JSON null.
    static func jsonText(_ value: JSONValue?) -> String? {
        guard let value, !value.isNull else { return nil }
        return value.jsonString
    }

    public func deleteUser(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM users WHERE id = $1 AND tenant_id = $2", [id, tenantId]).affectedRows > 0
        }
    }

    public func setPassword(userId: String, tenantId: String, hash: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE users t SET password_hash = $3, updated_at = herald_now() WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.userT))::text AS json
                """, [userId, tenantId, hash]).first?.decode("json", as: String.self)
        }
    }

    /// Suspending also ends the user's sessions: a suspended user is signed out.
    public func setUserStatus(id: String, tenantId: String, status: String) async throws -> String? {
        try await database.withTransaction { connection in
            if status == "suspended" {
                _ = try connection.query("DELETE FROM sessions WHERE user_id = $1 AND tenant_id = $2", [id, tenantId])
            }
            return try connection.query("""
                UPDATE users t SET status = $3, updated_at = herald_now() WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.userT))::text AS json
                """, [id, tenantId, status]).first?.decode("json", as: String.self)
        }
    }

    /// The stored hash, for a sign-in check.
    public func passwordHash(userId: String, tenantId: String) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("SELECT password_hash FROM users WHERE id = $1 AND tenant_id = $2", [userId, tenantId])
                .first?.decode("password_hash", as: String?.self)
        }
    }
}

/// Password hashing away from the cooperative pool and the HTTP loop threads:
/// scrypt at OWASP cost takes ~0.4 s and 128 MiB, so at most two run at once
/// in the process, on their own threads. The hasher comes from the
/// configuration (`HERALD_PASSWORD_HASH_COST=test` picks cheap parameters
/// for test suites).
public struct Passwords: Sendable {
    public let hasher: PasswordHasher

    public init(hasher: PasswordHasher = PasswordHasher()) { self.hasher = hasher }

    private static let queue: OperationQueue = {
        let queue = OperationQueue()
        queue.name = "herald.passwords"
        queue.maxConcurrentOperationCount = 2
        return queue
    }()

    public func hash(_ password: String) async -> String {
        let hasher = hasher
        return await Self.run { hasher.hash(password) }
    }

    public func verify(_ password: String, against stored: String) async -> Bool {
        let hasher = hasher
        return await Self.run { hasher.verify(password, against: stored) }
    }

    private static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.addOperation { continuation.resume(returning: work()) }
        }
    }
}
