/// A JSON object that remembers the order its keys were first written in.
/// Equality ignores order, as JSON's does.
///
/// Values sit in insertion order beside a cheap 32-bit hash of each key, so
/// lookups in the small objects typical of JSON documents scan integers
/// instead of running SipHash; objects past `indexThreshold` keys also keep
/// a dictionary index for O(1) access.
public struct JSONObject: Sendable, Hashable, Sequence {
    public private(set) var keys: [String] = []
    @usableFromInline var entries: [Entry] = []
    @usableFromInline var index: [String: Int]? = nil

    @usableFromInline struct Entry: Sendable {
        @usableFromInline var hash: UInt32
        @usableFromInline var value: JSONValue

        @inlinable init(hash: UInt32, value: JSONValue) {
            self.hash = hash
            self.value = value
        }
    }

    @usableFromInline static var indexThreshold: Int { 32 }

    public init() {}

    public init(_ pairs: [(String, JSONValue)]) {
        keys.reserveCapacity(pairs.count)
        entries.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The members as a dictionary, built on each access.
    public var storage: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: zip(keys, entries.lazy.map(\.value)))
    }

    /// FNV-1a over the key's UTF-8. Callers that look the same key up often
    /// (compiled templates) compute it once and use `value(forKey:hash:)`.
    @inlinable public static func hash(of key: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    @inlinable func position(of key: String, hash: UInt32) -> Int? {
        if let index { return index[key] }
        for position in entries.indices where entries[position].hash == hash && keys[position] == key {
            return position
        }
        return nil
    }

    /// Lookup with a precomputed `hash(of: key)`.
    @inlinable public func value(forKey key: String, hash: UInt32) -> JSONValue? {
        guard let position = position(of: key, hash: hash) else { return nil }
        return entries[position].value
    }

    public subscript(key: String) -> JSONValue? {
        get { value(forKey: key, hash: Self.hash(of: key)) }
        set {
            let hash = Self.hash(of: key)
            let position = position(of: key, hash: hash)
            switch (position, newValue) {
            case (let position?, let newValue?):
                entries[position].value = newValue
            case (nil, let newValue?):
                keys.append(key)
                entries.append(Entry(hash: hash, value: newValue))
                if index != nil {
                    index![key] = keys.count - 1
                } else if keys.count > Self.indexThreshold {
                    rebuildIndex()
                }
            case (let position?, nil):
                keys.remove(at: position)
                entries.remove(at: position)
                rebuildIndex()
            case (nil, nil):
                break
            }
        }
    }

    private mutating func rebuildIndex() {
        guard keys.count > Self.indexThreshold else { index = nil; return }
        index = Dictionary(uniqueKeysWithValues: zip(keys, keys.indices))
    }

    public func makeIterator() -> AnyIterator<(key: String, value: JSONValue)> {
        var position = 0
        return AnyIterator {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], entries[position].value)
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for position in lhs.keys.indices {
            guard rhs.value(forKey: lhs.keys[position], hash: lhs.entries[position].hash) == lhs.entries[position].value else {
                return false
            }
        }
        return true
    }

    /// Order-independent, like `Dictionary`'s: members' hashes are summed.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for position in keys.indices {
            var member = Hasher()
            member.combine(keys[position])
            member.combine(entries[position].value)
            sum = sum &+ member.finalize()
        }
        hasher.combine(count)
        hasher.combine(sum)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

extension JSONValue {
    /// The member `key` of an object (nil for other values), with a
    /// precomputed `JSONObject.hash(of: key)`.
    @inlinable public func member(_ key: String, hash: UInt32) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object.value(forKey: key, hash: hash)
    }
}
