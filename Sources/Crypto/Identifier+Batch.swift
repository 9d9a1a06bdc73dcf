/// Ids of the messages of a bulk send accepted as one batch (issue 15): the
/// batch id is `c` and 21 random base-36 characters (about 108 bits), and
/// message i's id is the batch id followed by i in 3 base-36 digits. So each
/// message id has the form of every other id (`isValid`) and names its batch
/// in its first 22 characters: a read of an id not yet fanned out finds its
/// batch by primary key.
extension Identifier {
    /// Characters of a batch id, `c` included.
    public static let batchLength = 1 + randomLength - batchIndexDigits
    static let batchIndexDigits = 3
    /// Messages one batch can number: 36³.
    public static let batchCapacity = 46_656

    public static func makeBatch() -> String {
        make(randomCharacters: batchLength - 1)
    }

    /// The id of message `index` (0 ..< batchCapacity) of `batch`.
    public static func batchMember(_ batch: String, index: Int) -> String {
        precondition(batch.utf8.count == batchLength && (0..<batchCapacity).contains(index))
        var suffix = [UInt8](repeating: 0, count: batchIndexDigits)
        var rest = index
        for position in suffix.indices.reversed() {
            suffix[position] = alphabet[rest % 36]
            rest /= 36
        }
        return batch + String(decoding: suffix, as: UTF8.self)
    }

    /// The batch an id would belong to (its first 22 characters), nil when
    /// the id is not of that form.
    public static func batch(of id: String) -> String? {
        guard isValid(id) else { return nil }
        return String(id.utf8.prefix(batchLength))!
    }
}
