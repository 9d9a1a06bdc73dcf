import Foundation
@testable import Postgres
import Testing

/// Parsers on their own (no server), for the edge cases.
@Suite struct DecodingTests {
    func date(_ text: String) -> Date? {
        Array(text.utf8).withUnsafeBufferPointer { PostgresDate.parse($0) }
    }

    @Test func timestampParsing() {
        #expect(date("1970-01-01 00:00:00+00") == Date(timeIntervalSince1970: 0))
        #expect(date("1970-01-01 00:00:00.5+00") == Date(timeIntervalSince1970: 0.5))
        #expect(date("1970-01-01 01:00:00+01") == Date(timeIntervalSince1970: 0))
        #expect(date("1969-12-31 19:00:00-05") == Date(timeIntervalSince1970: 0))
        #expect(date("1970-01-01 05:30:15+05:30:15") == Date(timeIntervalSince1970: 0))
        #expect(date("1970-01-01T00:00:01Z") == Date(timeIntervalSince1970: 1))
        #expect(date("2000-02-29") == Date(timeIntervalSince1970: 951_782_400))
        #expect(date("-infinity") == .distantPast)
        #expect(date("12345-01-01 00:00:00+00") != nil)
        for bad in ["", "2026", "2026-13-01", "2026-11-29 18:00", "2026-11-29 18:00:00+", "garbage", "2026-11-29x"] {
            #expect(date(bad) == nil, "\(bad)")
        }
    }

    @Test func dateFormattingRoundTrips() {
        for t in [0, 1_795_975_200.123456, -1.5, -62_135_596_800, 253_402_300_799.999999, -63_517_723_200] as [Double] {
            let d = Date(timeIntervalSince1970: t)
            #expect(date(PostgresDate.format(d)) == d, "\(t) -> \(PostgresDate.format(d))")
        }
        #expect(PostgresDate.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
    }

    @Test func integers() {
        func int(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBufferPointer { PostgresNumber.int64($0) } }
        #expect(int("0") == 0)
        #expect(int("-9223372036854775808") == .min)
        #expect(int("9223372036854775807") == .max)
        #expect(int("9223372036854775808") == nil)
        #expect(int("+5") == 5)
        #expect(int("-") == nil)
        #expect(int("1.5") == nil)
    }

    @Test func byteaAndUUID() {
        func bytea(_ s: String) -> [UInt8]? { Array(s.utf8).withUnsafeBufferPointer { PostgresBytea.parse($0) } }
        #expect(bytea("\\x00ff10") == [0, 255, 16])
        #expect(bytea("\\x") == [])
        #expect(bytea("\\x0") == nil)
        #expect(bytea("ab\\\\c\\001") == [97, 98, 92, 99, 1]) // escape format
        #expect(PostgresBytea.hex([0xde, 0xad]) == "\\xdead")
        let u = UUID()
        #expect(Array(u.uuidString.lowercased().utf8).withUnsafeBufferPointer { PostgresUUID.parse($0) } == u)
        #expect(Array("not-a-uuid".utf8).withUnsafeBufferPointer { PostgresUUID.parse($0) } == nil)
    }

    @Test func arrayLiterals() {
        #expect(["a", "b\"c", "d\\e", ""].postgresText == #"{"a","b\"c","d\\e",""}"#)
        #expect([String]().postgresText == "{}")
        #expect([1, nil, 3].postgresText == #"{"1",NULL,"3"}"#)
        #expect(PostgresArrayText.parse(#"{a,"b c",NULL,"NULL","x\"y"}"#) == ["a", "b c", nil, "NULL", "x\"y"])
        #expect(PostgresArrayText.parse("{}") == [])
        #expect(PostgresArrayText.parse("[0:1]={1,2}") == ["1", "2"])
        #expect(PostgresArrayText.parse("{{1,2},{3,4}}") == nil)
    }

    @Test func errorRedactsQuotedInput() {
        let redacted = PostgresError.redactingInput(#"invalid input syntax for type integer: "hunter2""#, sqlState: "22P02")
        #expect(redacted == #"invalid input syntax for type integer: "…""#)
        let kept = PostgresError.redactingInput(#"relation "users" does not exist"#, sqlState: "42P01")
        #expect(kept == #"relation "users" does not exist"#)
    }
}
