/// A JSON object that remembers the order its keys were first written in.
/// Equality ignores order, as JSON's does.
///
/// One copy-on-write table holds the keys in order and, beside each, a cheap
/// 32-bit key hash and the value. Copies cost one retain, and lookups in the
/// small objects typical of JSON scan integers instead of running SipHash;
/// objects past `indexThreshold` keys also keep a dictionary index.
/// `@unchecked Sendable`: the table is copy-on-write and never mutated while shared.
public struct JSONObject: @unchecked Sendable, Hashable, Sequence {
    @usableFromInline var table: Table

    @usableFromInline struct Header {
        @usableFromInline var count: Int
        @usableFromInline var capacity: Int
        @usableFromInline var keys: [String]
        @usableFromInline var index: [String: Int]?
    }

    @usableFromInline struct Slot {
        @usableFromInline var hash: UInt32
        @usableFromInline var value: JSONValue
    }

    /// Shared only while unmodified: every mutation goes through `makeUnique`.
    @usableFromInline final class Table: ManagedBuffer<Header, Slot> {
        static func make(capacity: Int, keys: [String] = []) -> Table {
            let buffer = Table.create(minimumCapacity: capacity) { _ in
                Header(count: 0, capacity: capacity, keys: keys, index: nil)
            }
            return unsafeDowncast(buffer, to: Table.self)
        }

        /// Shared by all empty objects; never mutated (`makeUnique` copies it).
        nonisolated(unsafe) static let empty = make(capacity: 0)

        deinit {
            withUnsafeMutablePointers { header, slots in _ = slots.deinitialize(count: header.pointee.count) }
        }
    }

    @usableFromInline static var indexThreshold: Int { 32 }

    public init() { table = Table.empty }

    public init(_ pairs: [(String, JSONValue)]) {
        table = Table.make(capacity: pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { table.header.count }
    public var isEmpty: Bool { count == 0 }
    public var keys: [String] { table.header.keys }

    /// The members as a dictionary, built on each access.
    public var storage: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: zip(keys, (0..<count).lazy.map(value(at:))))
    }

    /// FNV-1a over the key's UTF-8. Callers that look the same key up often
    /// (compiled templates) compute it once and use `value(forKey:hash:)`.
    @inlinable public static func hash(of key: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    static func hash(ofUTF8 bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    @inlinable func position(of key: String, hash: UInt32) -> Int? {
        table.withUnsafeMutablePointers { header, slots in
            if let index = header.pointee.index { return index[key] }
            for position in 0..<header.pointee.count where slots[position].hash == hash && header.pointee.keys[position] == key {
                return position
            }
            return nil
        }
    }

    @inlinable func value(at position: Int) -> JSONValue {
        table.withUnsafeMutablePointerToElements { $0[position].value }
    }

    /// Lookup with a precomputed `hash(of: key)`.
    @inlinable public func value(forKey key: String, hash: UInt32) -> JSONValue? {
        guard let position = position(of: key, hash: hash) else { return nil }
        return value(at: position)
    }

    public subscript(key: String) -> JSONValue? {
        get { value(forKey: key, hash: Self.hash(of: key)) }
        set { setValue(newValue, forKey: key, hash: Self.hash(of: key)) }
    }

    /// Sets or (with nil) removes a member, given `hash(of: key)`.
    mutating func setValue(_ newValue: JSONValue?, forKey key: String, hash: UInt32) {
        switch (position(of: key, hash: hash), newValue) {
        case (let position?, let newValue?):
            makeUnique(reserving: 0)
            table.withUnsafeMutablePointerToElements { $0[position].value = newValue }
        case (nil, let newValue?):
            append(key, hash: hash, value: newValue)
        case (let position?, nil):
            remove(at: position)
        case (nil, nil):
            break
        }
    }

    private mutating func append(_ key: String, hash: UInt32, value: JSONValue) {
        makeUnique(reserving: 1)
        table.withUnsafeMutablePointers { header, slots in
            (slots + header.pointee.count).initialize(to: Slot(hash: hash, value: value))
            header.pointee.count += 1
            header.pointee.keys.append(key)
            if header.pointee.index != nil {
                header.pointee.index![key] = header.pointee.count - 1
            } else if header.pointee.count > Self.indexThreshold {
                header.pointee.index = Dictionary(uniqueKeysWithValues: zip(header.pointee.keys, 0...))
            }
        }
    }

    private mutating func remove(at position: Int) {
        makeUnique(reserving: 0)
        table.withUnsafeMutablePointers { header, slots in
            let count = header.pointee.count
            (slots + position).deinitialize(count: 1)
            (slots + position).moveInitialize(from: slots + position + 1, count: count - position - 1)
            header.pointee.count -= 1
            header.pointee.keys.remove(at: position)
            header.pointee.index = header.pointee.count > Self.indexThreshold
                ? Dictionary(uniqueKeysWithValues: zip(header.pointee.keys, 0...)) : nil
        }
    }

    /// Gives this object a table of its own with room for `extra` more members.
    private mutating func makeUnique(reserving extra: Int) {
        let count = self.count
        let capacity = table.header.capacity
        let unique = isKnownUniquelyReferenced(&table)
        guard !unique || count + extra > capacity else { return }
        let newCapacity = count + extra > capacity ? Swift.max(4, capacity * 2, count + extra) : capacity
        let newTable = Table.make(capacity: newCapacity)
        newTable.withUnsafeMutablePointers { newHeader, newSlots in
            table.withUnsafeMutablePointers { header, slots in
                if unique {
                    newSlots.moveInitialize(from: slots, count: count)
                    header.pointee.count = 0
                    swap(&newHeader.pointee.keys, &header.pointee.keys)
                    swap(&newHeader.pointee.index, &header.pointee.index)
                } else {
                    newSlots.initialize(from: slots, count: count)
                    newHeader.pointee.keys = header.pointee.keys
                    newHeader.pointee.index = header.pointee.index
                }
            }
            newHeader.pointee.count = count
        }
        table = newTable
    }

    public func makeIterator() -> AnyIterator<(key: String, value: JSONValue)> {
        let keys = self.keys
        var position = 0
        return AnyIterator {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], value(at: position))
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        let keys = lhs.keys
        for position in keys.indices {
            guard rhs[keys[position]] == lhs.value(at: position) else { return false }
        }
        return true
    }

    /// Order-independent, like `Dictionary`'s: members' hashes are summed.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for (position, key) in keys.enumerated() {
            var member = Hasher()
            member.combine(key)
            member.combine(value(at: position))
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
