internal import COpenSSL

/// Asymmetric signing keys for publishing in a JWKS (per-tenant keys).
/// Holds only values — the private key as PKCS#8 PEM, which the caller seals
/// with `SecretBox` before storing, and the public half as JWK fields — so it
/// is Sendable and never owns an OpenSSL object past a single call.
public struct KeyPair: Sendable, CustomStringConvertible {
    /// The JWS algorithm the key is meant for, which also fixes its type.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// RSA 2048-bit, the most widely supported JWKS key type.
        case rs256 = "RS256"
        /// ECDSA on P-256: smaller keys, faster to generate.
        case es256 = "ES256"
    }

    public let algorithm: Algorithm
    public let privateKeyPEM: String
    public let publicJWK: PublicJWK

    public var kid: String { publicJWK.kid }

    /// A fresh key pair. Throws only `.internalFailure`.
    public static func generate(_ algorithm: Algorithm = .rs256) throws -> KeyPair {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, algorithm == .rs256 ? "RSA" : "EC", nil) else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw CryptoError.openSSL("keygen init") }
        switch algorithm {
        case .rs256: guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1 else { throw CryptoError.openSSL("RSA key size") }
        case .es256: guard EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1 else { throw CryptoError.openSSL("EC curve") }
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else { throw CryptoError.openSSL("key generation") }
        defer { EVP_PKEY_free(key) }
        return try KeyPair(key: key, algorithm: algorithm)
    }

    /// Loads a private key PEM (PKCS#8 or traditional, unencrypted) back,
    /// recomputing the public JWK. Only RSA ≥ 2048 bits and P-256 are accepted.
    public init(privateKeyPEM pem: String) throws {
        let key = try OpenSSLKey.privateKey(pem: pem)
        defer { EVP_PKEY_free(key) }
        if EVP_PKEY_is_a(key, "RSA") == 1, EVP_PKEY_get_bits(key) >= 2048 {
            try self.init(key: key, algorithm: .rs256)
        } else if OpenSSLKey.isP256(key) {
            try self.init(key: key, algorithm: .es256)
        } else {
            throw CryptoError(.invalidKey, "private key must be RSA (2048 bits or more) or EC P-256")
        }
    }

    private init(key: OpaquePointer, algorithm: Algorithm) throws {
        self.algorithm = algorithm
        privateKeyPEM = try Self.exportPrivatePEM(key)
        switch algorithm {
        case .rs256:
            publicJWK = PublicJWK(rsaN: Base64URL.encode(try Self.bigNumber(key, "n", width: nil)),
                                  e: Base64URL.encode(try Self.bigNumber(key, "e", width: nil)))
        case .es256:
            publicJWK = PublicJWK(p256X: Base64URL.encode(try Self.bigNumber(key, "qx", width: 32)),
                                  y: Base64URL.encode(try Self.bigNumber(key, "qy", width: 32)))
        }
    }

    public var description: String { "KeyPair(\(algorithm.rawValue), kid: \(kid), private key: redacted)" }

    // MARK: - OpenSSL plumbing

    private static func exportPrivatePEM(_ key: OpaquePointer) throws -> String {
        // Secure-heap memory BIO: the PEM is secret while it sits in OpenSSL.
        guard let bio = BIO_new(BIO_s_secmem()) else { throw CryptoError.openSSL("BIO_new") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { throw CryptoError.openSSL("PEM export") }
        let pending = Int(BIO_ctrl_pending(bio))
        var out = [UInt8](repeating: 0, count: pending)
        guard pending > 0, BIO_read(bio, &out, Int32(pending)) == Int32(pending) else { throw CryptoError.openSSL("PEM read-back") }
        return String(decoding: out, as: UTF8.self)
    }

    /// A big-endian key parameter; `width` left-pads to a fixed size, as
    /// JWK requires for EC coordinates (RFC 7518 §6.2.1.2). RSA values use
    /// the minimal encoding (§6.3.1).
    private static func bigNumber(_ key: OpaquePointer, _ name: String, width: Int?) throws -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &bn) == 1, let bn else { throw CryptoError.openSSL("key parameter \(name)") }
        defer { BN_free(bn) }
        let size = width ?? Int((BN_num_bits(bn) + 7) / 8)
        var out = [UInt8](repeating: 0, count: size)
        guard size > 0, BN_bn2binpad(bn, &out, Int32(size)) == Int32(size) else { throw CryptoError.openSSL("key parameter \(name) encoding") }
        return out
    }
}

/// The public half of a signing key as JWK members (RFC 7517/7518), ready to
/// drop into a JWKS `keys` array. `kid` is the RFC 7638 SHA-256 thumbprint,
/// so it is stable for a given key and needs no extra storage.
public struct PublicJWK: Sendable, Equatable {
    public let kty: String
    public let alg: String
    public let use = "sig"
    public let kid: String
    /// RSA modulus and exponent (base64url, unpadded).
    public let n: String?
    public let e: String?
    /// EC curve and coordinates (base64url, unpadded, 32 bytes each).
    public let crv: String?
    public let x: String?
    public let y: String?

    init(rsaN n: String, e: String) {
        kty = "RSA"; alg = "RS256"; self.n = n; self.e = e; crv = nil; x = nil; y = nil
        kid = Self.thumbprint(["e": e, "kty": "RSA", "n": n])
    }

    init(p256X x: String, y: String) {
        kty = "EC"; alg = "ES256"; crv = "P-256"; self.x = x; self.y = y; n = nil; e = nil
        kid = Self.thumbprint(["crv": "P-256", "kty": "EC", "x": x, "y": y])
    }

    /// All present members, for serializing with whatever JSON layer the caller uses.
    public var fields: [String: String] {
        var out = ["kty": kty, "alg": alg, "use": use, "kid": kid]
        for (name, value) in [("n", n), ("e", e), ("crv", crv), ("x", x), ("y", y)] { if let value { out[name] = value } }
        return out
    }

    /// RFC 7638: base64url(SHA-256(JSON of the required members, sorted, no whitespace)).
    public static func thumbprint(_ requiredMembers: [String: String]) -> String {
        Base64URL.encode(SHA256.hash(JWTClaimValue.encode(requiredMembers.mapValues { .string($0) })))
    }
}
