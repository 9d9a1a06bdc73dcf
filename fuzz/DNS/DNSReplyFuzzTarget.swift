// libFuzzer entry point for the DNS reply reader of domain verification
// (Sources/API/DNSMessage.swift), compiled with it by deploy/fuzz.sh (never by
// SwiftPM). Any trap, sanitizer report or hang is a finding.
//
// The input is read two ways:
// - as a whole reply, as a resolver's answer would arrive: whatever it holds,
//   the TXT text found is never longer than the reply;
// - as the data of one TXT record, wrapped in a well-formed reply: the reply
//   parses exactly when the record's length-prefixed strings fit it, and then
//   gives back one record, the strings joined.

@_cdecl("LLVMFuzzerTestOneInput")
public func dnsFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    checkWholeReply(bytes)
    if bytes.count <= Int(UInt16.max) { checkRecordData(bytes) }
    return 0
}

private func checkWholeReply(_ bytes: [UInt8]) {
    switch DNSMessage.parseTXTAnswer(bytes) {
    case .records(let records):
        let total = records.reduce(0) { $0 + $1.utf8.count }
        // Each byte of text came from the reply (invalid UTF-8 becomes U+FFFD, 3 bytes for 1).
        dnsCheck(total <= 3 * bytes.count, "\(total) bytes of TXT text from a \(bytes.count)-byte reply")
    case .failed:
        break
    case .noSuchName:
        dnsFail("parsing a reply never answers NXDOMAIN (that comes from the resolver's status)")
    }
}

private func checkRecordData(_ rdata: [UInt8]) {
    let joined = rdata.withUnsafeBufferPointer { DNSMessage.joinedStrings($0) }
    // Header: id, flags (a response, no error), 0 questions, 1 answer; then
    // the answer: root name, type TXT, class IN, TTL 0, the data's length.
    var reply: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]
    reply += [0, 0, 16, 0, 1, 0, 0, 0, 0, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)]
    reply += rdata
    let outcome = DNSMessage.parseTXTAnswer(reply)
    if let joined {
        dnsCheck(outcome == .records([joined]), "a well-formed TXT record read as \(outcome)")
    } else {
        dnsCheck(outcome == .failed("malformed DNS reply"), "a record whose strings overrun it read as \(outcome)")
    }
}

private func dnsCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { dnsFail(message()) }
}

private func dnsFail(_ message: String) -> Never {
    // libFuzzer saves the input when the process dies on a signal; fatalError traps.
    fatalError("invariant violated: \(message)")
}
