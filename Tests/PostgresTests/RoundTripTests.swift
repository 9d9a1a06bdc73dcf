import Foundation
import Postgres
import Testing

@Suite struct RoundTripTests {
    @Test func everyTypeRoundTrips() async throws {
        try await withPool { pool, _ in
            let id = UUID()
            let when = Date(timeIntervalSince1970: 1_795_975_200.123) // 2026-11-29 18:00:00.123 UTC
            let bytes: [UInt8] = [0, 1, 2, 127, 128, 254, 255]
            let text = "Grüße, 世界 🎉 'quoted' \"double\" \\ back"
            let row = try await pool.withConnection { conn in
                try conn.execute("""
                    CREATE TABLE everything (
                        id uuid PRIMARY KEY, t text, i int8, i4 int4, b bool, d float8,
                        bin bytea, at timestamptz, doc jsonb, tags text[], missing text)
                    """)
                try conn.query("""
                    INSERT INTO everything VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    """, [id, text, Int64.max, Int32.min, true, 3.25, bytes, when,
                          PostgresJSONB(#"{"a": [1, "ü"]}"#), ["x", "y z", "q\"uote", "back\\slash", ""], nil])
                return try conn.query("SELECT * FROM everything")[0]
            }
            #expect(try row.decode("id", as: UUID.self) == id)
            #expect(try row.decode("t", as: String.self) == text)
            #expect(try row.decode("i", as: Int64.self) == Int64.max)
            #expect(try row.decode("i", as: Int.self) == Int.max)
            #expect(try row.decode("i4", as: Int32.self) == Int32.min)
            #expect(try row.decode("b", as: Bool.self) == true)
            #expect(try row.decode("d", as: Double.self) == 3.25)
            #expect(try row.decode("bin", as: [UInt8].self) == bytes)
            #expect(try row.decode("bin", as: Data.self) == Data(bytes))
            #expect(try row.decode("at", as: Date.self) == when)
            #expect(row["at"].string == "2026-11-29 18:00:00.123+00")
            #expect(row["doc"].jsonText == #"{"a": [1, "ü"]}"#)
            #expect(try row.decode("tags", as: [String].self) == ["x", "y z", "q\"uote", "back\\slash", ""])
            #expect(row["missing"].isNull)
            #expect(try row.optional("missing", as: String.self) == nil)
            #expect(try row.decode("missing", as: String?.self) == nil)
            #expect(throws: PostgresError.self) { try row.decode("missing", as: String.self) }
            #expect(throws: PostgresError.self) { try row.decode("no_such_column", as: String.self) }
            #expect(throws: PostgresError.self) { try row.decode("t", as: Int.self) }
            // Index access and column metadata.
            #expect(row.columns.first == "id")
            #expect(row[1].string == text)
        }
    }

    @Test func nullsAndUntypedParameters() async throws {
        try await withPool { pool, _ in
            let rows = try await pool.withConnection { conn in
                try conn.query("SELECT $1::text AS a, $2::int8 AS b, $3::bool AS c, $4::int AS d", [nil, nil, false, 7])
            }
            #expect(rows.count == 1)
            #expect(rows[0]["a"].isNull && rows[0]["b"].isNull)
            #expect(rows[0]["a"].string == nil)
            #expect(rows[0]["c"].bool == false)
            #expect(rows[0]["d"].int == 7)
            #expect(rows.columns == ["a", "b", "c", "d"])
        }
    }

    @Test func timestampsWithOffsetsAndPrecision() async throws {
        try await withPool { pool, _ in
            let row = try await pool.withConnection { conn in
                try conn.query("""
                    SELECT '2026-11-29 18:00:00.123456+05:30'::timestamptz AS a,
                           '2026-11-29 18:00:00'::timestamp AS b,
                           '2026-11-29'::date AS c,
                           'infinity'::timestamptz AS d,
                           '0044-03-15 12:00:00+00 BC'::timestamptz AS e,
                           extract(epoch FROM '0044-03-15 12:00:00+00 BC'::timestamptz)::float8 AS e_epoch,
                           $1::timestamptz AS f
                    """, [Date(timeIntervalSince1970: -1.5)])[0]
            }
            let base = Date(timeIntervalSince1970: 1_795_975_200) // 2026-11-29 18:00:00Z
            #expect(row["a"].date == Date(timeIntervalSince1970: 1_795_975_200 - 19_800 + 0.123456))
            #expect(row["b"].date == base)
            #expect(row["c"].date == Date(timeIntervalSince1970: 1_795_910_400))
            #expect(row["d"].date == .distantFuture)
            #expect(row["e"].string == "0044-03-15 12:00:00+00 BC")
            #expect(row["e"].date == Date(timeIntervalSince1970: try #require(row["e_epoch"].double)))
            #expect(row["f"].string == "1969-12-31 23:59:58.5+00")
            #expect(row["f"].date == Date(timeIntervalSince1970: -1.5))
        }
    }

    @Test func arraysForAny() async throws {
        try await withPool { pool, _ in
            let (names, ids) = try await pool.withConnection { conn in
                try conn.execute("CREATE TABLE people (id int8 PRIMARY KEY, name text)")
                for (i, name) in ["ann", "bob", "c,d", "e\"f", "NULL", "g\\h", "Zürich ✓", " {x} "].enumerated() {
                    try conn.query("INSERT INTO people VALUES ($1, $2)", [i, name])
                }
                let names = try conn.query("SELECT name FROM people WHERE name = ANY($1) ORDER BY id",
                                           [["bob", "c,d", "e\"f", "NULL", "zed", "g\\h", "Zürich ✓", " {x} "]])
                    .map { try $0.decode("name", as: String.self) }
                let ids = try conn.query("SELECT array_agg(id ORDER BY id) AS ids FROM people WHERE id = ANY($1)",
                                         [[0, 2, 4]])[0].decode("ids", as: [Int].self)
                return (names, ids)
            }
            #expect(names == ["bob", "c,d", "e\"f", "NULL", "g\\h", "Zürich ✓", " {x} "])
            #expect(ids == [0, 2, 4])
        }
    }

    @Test func specialDoublesAndAffectedRows() async throws {
        try await withPool { pool, _ in
            let (row, updated) = try await pool.withConnection { conn in
                try conn.execute("CREATE TABLE n (x float8)")
                try conn.query("INSERT INTO n VALUES ($1), ($2), ($3)", [Double.infinity, -Double.infinity, 0.1])
                let updated = try conn.query("UPDATE n SET x = x * 2 WHERE x <> $1", [0.0]).affectedRows
                let row = try conn.query("SELECT 'NaN'::float8 AS nan, $1::float8 AS tiny, $2::float8 AS inf",
                                         [1e-300, Double.infinity])[0]
                return (row, updated)
            }
            #expect(updated == 3)
            #expect(row["nan"].double?.isNaN == true)
            #expect(row["tiny"].double == 1e-300)
            #expect(row["inf"].double == .infinity)
        }
    }

    @Test func parameterWithNULByteIsRejectedWithoutEchoingIt() async throws {
        try await withPool { pool, _ in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.query("SELECT $1::text", ["sec\u{0}ret"]) }
            }
            #expect(error?.code == .encoding)
            #expect(error.map { !"\($0)".contains("sec") } == true)
        }
    }
}
