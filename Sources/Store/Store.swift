import Crypto
import Postgres

/// Herald's data access: every query the API and the worker run, over one
/// connection pool. Responses for the API are built as JSON text by
/// PostgreSQL (`json_build_object`), so a read is one round trip and the text
/// goes to the socket untouched.
public struct Store: Sendable {
    public let pool: PostgresPool
    /// Encrypts secrets at rest and digests them for lookups.
    public let keyring: Keyring
    /// How often codes and invitations may be sent (Store+RateLimits.swift).
    public var rateLimits = RateLimits.standard
    /// Hashes and checks users' passwords (Store+Users.swift), at the configured cost.
    public var passwords = Passwords()
    /// Writes concurrent API sends together (Store+SendGroup.swift).
    public let sendGroups: SendGroupCommitter

    public init(pool: PostgresPool, keyring: Keyring) {
        self.pool = pool
        self.keyring = keyring
        self.sendGroups = SendGroupCommitter(pool: pool)
    }
}

/// What the store needs of the master key: seal and open secrets, and a keyed
/// digest to find a secret without storing it in clear.
public struct Keyring: Sendable {
    let masterKey: MasterKey

    public init(masterKey: MasterKey) { self.masterKey = masterKey }

    /// `context` binds the ciphertext to its row and column, so a sealed value
    /// copied elsewhere does not open.
    public func seal(_ secret: String, context: String) -> String {
        masterKey.secretBox.seal(plaintext: secret, aad: context)
    }

    public func open(_ sealed: String, context: String) throws -> String {
        try masterKey.secretBox.open(sealed, aad: context)
    }

    public func digest(_ secret: String) -> String { masterKey.digest(secret) }
}

/// Random key material for API keys: lower-case base-36, unguessable.
enum KeyToken {
    static func make(prefix: String, length: Int) -> String {
        var token = prefix
        while token.count < prefix.count + length { token += Identifier.make().dropFirst() }
        return String(token.prefix(prefix.count + length))
    }
}
