// libFuzzer entry point for the readers of providers' delivery events
// (Sources/Delivery/DeliveryEvent*.swift and FormDecoding.swift), compiled
// with them by deploy/fuzz.sh (never by SwiftPM). The bodies come from the
// internet: a signature proves who sent them, not that they are well formed.
// Any trap, sanitizer report or hang is a finding.
//
// The first byte picks the reader (Postmark, SendGrid, Resend, Twilio's form,
// Herald's own format, the timestamp reader); the rest is the body. Checked:
// - a refusal is a DeliveryEventError, never another error;
// - reading twice gives the same events;
// - each provider's event count (Postmark, Resend and Twilio one, the
//   others 1 to 1000) and its key's form;
// - every event is storable: no NUL, and the lengths DeliveryEvent promises
//   (key 200 bytes or a SHA-256 digest, recipient 320 characters, detail
//   1000, provider id 200), a notification id only in Herald's form, and a
//   time only within the years 2000 to 2999;
// - form bodies: re-encoding the decoded pairs and decoding again gives the
//   same pairs.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func eventsFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    switch selector % 6 {
    case 0: check(body, maxEvents: 1, keys: nil) { try PostmarkEvents.parse(body) }
    case 1: check(body, maxEvents: 1000, keys: nil) { try SendGridEvents.parse(body) }
    case 2: check(body, maxEvents: 1, keys: "svix:") { try ResendEvents.parse(body, messageId: "msg_fuzz") }
    case 3:
        let form = FormDecoding.pairs(body)
        checkFormRoundTrip(form)
        check(body, maxEvents: 1, keys: nil) { try TwilioEvents.parse(FormDecoding.pairs(body), notificationId: "cfuzz0000000000000000000") }
    case 4: check(body, maxEvents: 1000, keys: "id:") { try HeraldEvents.parse(body) }
    default:
        let text = String(decoding: body, as: UTF8.self)
        if let date = EventTimestamp.parse(text) { checkTime(date, "\(text) read as \(date)") }
    }
    return 0
}

/// Reads `body` twice with `read` and checks the events (see the top).
private func check(_ body: [UInt8], maxEvents: Int, keys prefix: String?, _ read: () throws -> [DeliveryEvent]) {
    let first: [DeliveryEvent]
    do {
        first = try read()
    } catch is DeliveryEventError {
        return
    } catch {
        fail("a refusal that is not a DeliveryEventError: \(error)")
    }
    let again = try? read()
    require(again == first, "a second read gave other events")
    require((1...maxEvents).contains(first.count), "\(first.count) events, at most \(maxEvents)")
    for event in first {
        let key = event.eventKey
        if key.hasPrefix("sha256:") {
            require(key.utf8.count == 7 + 64, "a digest key of \(key.utf8.count) bytes")
        } else {
            require(key.utf8.count <= 200 && !key.contains("\0"), "an unstorable key of \(key.utf8.count) bytes")
            if let prefix { require(key.hasPrefix(prefix), "a key without \(prefix)") }
        }
        if let id = event.notificationId {
            require(id.hasPrefix("c") && (9...65).contains(id.utf8.count)
                    && id.utf8.allSatisfy { (48...57).contains($0) || (97...122).contains($0) }, "a notification id \(id)")
        }
        storable(event.recipient, max: 320, "recipient")
        storable(event.detail, max: 1000, "detail")
        storable(event.providerMessageId, max: 200, "provider message id")
        if let date = event.occurredAt { checkTime(date, "occurredAt \(date)") }
    }
}

private func storable(_ text: String?, max: Int, _ what: String) {
    guard let text else { return }
    require(!text.unicodeScalars.contains("\0"), "\(what) holds NUL")
    require(text.unicodeScalars.count <= max, "\(what) of \(text.unicodeScalars.count) characters, at most \(max)")
}

/// Years 2000 to 2999, by any time zone offset (a day either side).
private func checkTime(_ date: Date, _ what: @autoclosure () -> String) {
    let seconds = date.timeIntervalSince1970
    require(seconds.isFinite && seconds >= 946_684_800 - 86_400 && seconds < 32_503_680_000 + 86_400, what())
}

private func checkFormRoundTrip(_ pairs: [(String, String)]) {
    func encode(_ text: String) -> [UInt8] {
        text.utf8.flatMap { byte -> [UInt8] in
            let unreserved = (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved { return [byte] }
            let digits = Array("0123456789ABCDEF".utf8)
            return [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
        }
    }
    var body: [UInt8] = []
    for (index, pair) in pairs.enumerated() {
        if index > 0 { body.append(UInt8(ascii: "&")) }
        body += encode(pair.0) + [UInt8(ascii: "=")] + encode(pair.1)
    }
    let again = FormDecoding.pairs(body)
    // An empty name with an empty value encodes as "=": still one pair.
    require(again.count == pairs.count && zip(again, pairs).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
            "form pairs changed when encoded and decoded again")
}

private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

private func fail(_ message: String) -> Never {
    // libFuzzer saves the input when the process dies on a signal; fatalError traps.
    fatalError("invariant violated: \(message)")
}
