import CResolv

/// The parts of a DNS reply a TXT lookup reads, walked with libresolv's
/// `ns_initparse`/`ns_parserr` (which check every record against the
/// message's bounds); the TXT data is read here, as strictly.
enum DNSMessage {
    static let txt: UInt16 = 16

    /// A name libresolv can put in a query: labels of 1–63 bytes, 253 in all.
    static func isQueryable(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let trimmed = name.hasSuffix(".") ? labels.dropLast() : labels[...]
        return !trimmed.isEmpty && name.utf8.count <= 253 && trimmed.allSatisfy { (1...63).contains($0.utf8.count) }
    }

    /// The TXT records of a successful reply; `.failed` when it is malformed.
    static func parseTXTAnswer(_ message: [UInt8]) -> DNSTXTLookup.Outcome {
        message.withUnsafeBufferPointer { buffer -> DNSTXTLookup.Outcome in
            guard let base = buffer.baseAddress else { return .failed("malformed DNS reply") }
            var parsed = ns_msg()
            guard ns_initparse(base, Int32(buffer.count), &parsed) == 0 else { return .failed("malformed DNS reply") }
            var records: [String] = []
            for index in 0..<herald_ns_msg_count(&parsed, ns_s_an) {
                var record = ns_rr()
                guard ns_parserr(&parsed, ns_s_an, index, &record) == 0 else { return .failed("malformed DNS reply") }
                guard record.type == txt else { continue } // a CNAME on the way
                let data = UnsafeBufferPointer(start: record.rdata, count: Int(record.rdlength))
                guard let text = joinedStrings(data) else { return .failed("malformed DNS reply") }
                records.append(text)
            }
            return .records(records)
        }
    }

    /// One record's length-prefixed character-strings read as one value
    /// (RFC 7208 §3.3); nil when a length runs past the record.
    static func joinedStrings(_ data: UnsafeBufferPointer<UInt8>) -> String? {
        var text: [UInt8] = []
        var index = 0
        while index < data.count {
            let count = Int(data[index])
            guard index + 1 + count <= data.count else { return nil }
            text += data[(index + 1)..<(index + 1 + count)]
            index += 1 + count
        }
        return String(decoding: text, as: UTF8.self)
    }
}
