import Foundation
import HeraldTestSupport
import JSON
import Postgres
import Store
import Testing

/// The suppression list's API (issue 14): list, add, read and remove, paged,
/// validated and isolated by tenant; and the SQL and Swift forms of an
/// address agreeing, so the worker's claim matches what the API stored.
@Suite struct SuppressionAPITests {
    static let path = "/api/v0/notifications/suppressions"

    @Test func addsListsReadsAndRemovesWithinItsTenant() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "suppress-owner@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: try await api.token(email: "suppress-other@example.com"), name: "Other")

            // Added by hand: reason manual, the e-mail address in the form it is compared in.
            let added = try await api.call("POST", Self.path, tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","address":" Ada@Example.COM","detail":"asked to stop"}"#)
            // The leading space makes it no e-mail address: refused, naming the field.
            #expect(added.status == 400 && added.bodyString.contains("address:"), "\(added.bodyString)")
            let created = try await api.call("POST", Self.path, tenant.keys,
                json: #"{"tenantId":"\#(tenant.id)","address":"Ada@Example.COM","detail":"asked to stop"}"#)
            try #require(created.status == 200, "\(created.bodyString)")
            let suppression = try #require(try created.json()["data"])
            let id = try #require(suppression["id"]?.stringValue)
            #expect(suppression["tenantId"]?.stringValue == tenant.id)
            #expect(suppression["address"]?.stringValue == "ada@example.com")
            #expect(suppression["reason"]?.stringValue == "manual")
            #expect(suppression["detail"]?.stringValue == "asked to stop")
            #expect(suppression["notificationId"]?.isNull == true)
            #expect(suppression["createdAt"]?.stringValue?.hasSuffix("Z") == true)

            // The same address again, in another case: the suppression that is there, unchanged.
            let again = try await api.call("POST", Self.path, owner, json: #"{"tenantId":"\#(tenant.id)","address":"ADA@example.com"}"#)
            #expect(again.status == 200, "\(again.bodyString)")
            #expect(try again.json()["data"]?["id"]?.stringValue == id)
            #expect(try again.json()["data"]?["detail"]?.stringValue == "asked to stop")

            let read = try await api.call("GET", "\(Self.path)/\(id)", tenant.keys)
            #expect(read.status == 200, "\(read.bodyString)")
            #expect(try read.json()["data"]?["id"]?.stringValue == id)

            // Another tenant sees none of it: by id 404, its own list empty, this tenant's list 404.
            #expect(try await api.call("GET", "\(Self.path)/\(id)", other.keys).status == 404)
            #expect(try await api.call("DELETE", "\(Self.path)/\(id)", other.keys).status == 404)
            #expect(try await api.call("GET", "\(Self.path)?tenantId=\(tenant.id)", other.keys).status == 404)
            let otherList = try await api.call("GET", "\(Self.path)?tenantId=\(other.id)", other.keys)
            #expect(try otherList.json()["meta"]?["total"]?.intValue == 0, "\(otherList.bodyString)")
            #expect(try await api.call("POST", Self.path, other.keys,
                                       json: #"{"tenantId":"\#(tenant.id)","address":"x@example.com"}"#).status == 404)

            // Validation: one issue per field, each naming it.
            let bad = try await api.call("POST", Self.path, tenant.keys,
                                         json: #"{"tenantId":"\#(tenant.id)","address":"not an address","colour":"red"}"#)
            #expect(bad.status == 400, "\(bad.bodyString)")
            #expect(bad.bodyString.contains("address: must be an e-mail address or an E.164 phone number"), "\(bad.bodyString)")
            #expect(bad.bodyString.contains("colour: Unrecognized key"), "\(bad.bodyString)")
            let noTenant = try await api.call("POST", Self.path, tenant.keys, json: #"{"address":"+4915112345678"}"#)
            #expect(noTenant.status == 400 && noTenant.bodyString.contains("tenantId: Required"), "\(noTenant.bodyString)")
            let badList = try await api.call("GET", "\(Self.path)?tenantId=\(tenant.id)&perPage=0&address=nope", tenant.keys)
            #expect(badList.status == 400 && badList.bodyString.contains("perPage:") && badList.bodyString.contains("address:"),
                    "\(badList.bodyString)")
            #expect(try await api.call("GET", Self.path, tenant.keys).status == 400, "tenantId is required")

            // Paging: five suppressions, two per page, newest first, none skipped or repeated.
            for number in 1...4 {
                let phone = try await api.call("POST", Self.path, tenant.keys,
                                                json: #"{"tenantId":"\#(tenant.id)","address":"+4915112345\#(number)00"}"#)
                #expect(phone.status == 200, "\(phone.bodyString)")
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = "tenantId=\(tenant.id)&perPage=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await api.call("GET", "\(Self.path)?\(query)", owner)
                try #require(page.status == 200, "\(page.bodyString)")
                let body = try page.json()
                #expect(body["meta"]?["total"]?.intValue == 5 && body["meta"]?["numPages"]?.intValue == 3, "\(page.bodyString)")
                seen += body["data"]?.arrayValue?.compactMap { $0["address"]?.stringValue } ?? []
                cursor = body["meta"]?["next"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 5
            #expect(pages == 3)
            #expect(seen == ["+4915112345400", "+4915112345300", "+4915112345200", "+4915112345100", "ada@example.com"])

            // The address filter compares as stored: any case of an e-mail address finds it.
            let filtered = try await api.call("GET", "\(Self.path)?tenantId=\(tenant.id)&address=ADA%40example.com", tenant.keys)
            #expect(try filtered.json()["data"]?.arrayValue?.map { $0["id"]?.stringValue } == [id], "\(filtered.bodyString)")

            // Removed: gone, and a second removal is a 404.
            let removed = try await api.call("DELETE", "\(Self.path)/\(id)", owner)
            #expect(removed.status == 200 && removed.bodyString == #"{"deleted":true}"#, "\(removed.bodyString)")
            #expect(try await api.call("GET", "\(Self.path)/\(id)", tenant.keys).status == 404)
            #expect(try await api.call("DELETE", "\(Self.path)/\(id)", tenant.keys).status == 404)
        }
    }

    /// Every answer matches the schema `/openapi.json` serves for it.
    @Test func answersMatchTheServedSpec() async throws {
        try await APIHarness.with { api in
            let tenant = try await api.tenant(owner: try await api.token(email: "suppress-spec@example.com"))
            let served = try OpenAPIContract(document: try await api.call("GET", "/openapi.json").json())
            @discardableResult
            func check(_ method: String, _ path: String, json: String? = nil) async throws -> TestHTTPClient.Response {
                let response = try await api.call(method, path, tenant.keys, json: json)
                #expect(response.status == 200, "\(method) \(path): \(response.bodyString)")
                let problems = served.validate(method: method, path: path, status: response.status, body: response.body)
                #expect(problems.isEmpty, "\(method) \(path): \(problems) in \(response.bodyString)")
                return response
            }
            let created = try await check("POST", Self.path, json: #"{"tenantId":"\#(tenant.id)","address":"+14155550100"}"#)
            let id = try #require(try created.json()["data"]?["id"]?.stringValue)
            try await check("GET", "\(Self.path)?tenantId=\(tenant.id)")
            try await check("GET", "\(Self.path)/\(id)")
            try await check("DELETE", "\(Self.path)/\(id)")
        }
    }

    /// The claim compares a row's recipients in SQL (`herald_recipient_keys`,
    /// 0012) with addresses stored in Swift's form (`Store.suppressionKey`).
    @Test func sqlAndSwiftAgreeOnTheFormOfAnAddress() async throws {
        try await APIHarness.with { api in
            let addresses = ["Ada@Example.COM", " bob@example.com\t", "+4915112345678", "ÄDA@Example.com", "User_1", ""]
            let document = JSONValue.object(["to": .array(addresses.map { .string($0) })]).jsonString
            let fromSQL = try await api.pool.withConnection { connection in
                try connection.query("SELECT k FROM herald_recipient_keys($1::jsonb) AS k", [document])
                    .map { try $0.decode("k", as: String.self) }
            }
            #expect(fromSQL == addresses.map(Store.suppressionKey))
            #expect(fromSQL.prefix(4) == ["ada@example.com", "bob@example.com", "+4915112345678", "Äda@example.com"])

            // Every stored shape of `to`: {to, cc, bcc} with strings or lists, a bare list, one address.
            let shapes: [(String, [String])] = [
                (#"{"to":"A@x.io","cc":["B@x.io"],"bcc":"C@x.io"}"#, ["a@x.io", "b@x.io", "c@x.io"]),
                (#"["D@x.io", 7, null]"#, ["d@x.io"]), (#""E@x.io""#, ["e@x.io"]), (#"{"to":[]}"#, []),
            ]
            for (shape, expected) in shapes {
                let keys = try await api.pool.withConnection { connection in
                    try connection.query("SELECT k FROM herald_recipient_keys($1::jsonb) AS k", [shape])
                        .map { try $0.decode("k", as: String.self) }
                }
                #expect(keys == expected, "\(shape)")
            }
        }
    }
}
