import API
import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Uploads (with the bytes sent to Herald's own upload URL), files and
/// transformations: contract shapes, content checks, disk, tenancy.
@Suite struct MediaAPITests {
    /// A real 3×2 RGB PNG.
    static let png = [UInt8](Data(base64Encoded:
        "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGP4z8AAQQxwFgBB0gX7h/C5SAAAAABJRU5ErkJggg==")!)
    /// JPEG headers up to a baseline start-of-frame of 7×5 (height 5, width 7).
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        + [0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x05, 0x00, 0x07, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]
    /// A GIF header of 9×4.
    static let gif: [UInt8] = Array("GIF89a".utf8) + [9, 0, 4, 0, 0, 0, 0] + [0x3B]

    /// Creates an upload; answers its id and the path + query of its upload URL.
    static func createUpload(_ api: APIHarness, _ tenant: TestTenant, mime: String, size: Int,
                             filename: String = "pic.bin") async throws -> (id: String, target: String) {
        let created = try await api.contractCall("POST", "/api/v0/media/uploads", tenant.keys, json: """
            {"tenantId":"\(tenant.id)","access":"private","originalFilename":"\(filename)","mime":"\(mime)","size":\(size),
             "path":"avatars","meta":{"purpose":"test"}}
            """)
        #expect(created.status == 200, "\(created.bodyString)")
        let json = try created.json()
        let id = try #require(json["id"]?.stringValue)
        let uploadUrl = try #require(json["uploadUrl"]?.stringValue)
        let url = try #require(URLComponents(string: uploadUrl))
        #expect(url.path == "/api/v0/media/uploads/\(id)/content")
        let token = try #require(url.queryItems?.first { $0.name == "token" }?.value)
        #expect(token.count >= 32)
        return (id, url.path + "?" + (url.percentEncodedQuery ?? ""))
    }

    static func put(_ api: APIHarness, _ target: String, _ bytes: [UInt8]) async throws -> TestHTTPClient.Response {
        try await TestHTTPClient.request(port: api.port, method: "PUT", path: target,
                                         headers: [("Content-Type", "application/octet-stream")], body: bytes)
    }

    /// Removes what a test left in the data folder.
    static func cleanUp(_ tenant: TestTenant) {
        try? FileManager.default.removeItem(atPath: APIHarness.media.root + "/" + tenant.id)
    }

    static func count(_ api: APIHarness, _ sql: String, _ id: String) async throws -> Int {
        try await api.pool.withConnection { try $0.query(sql, [id])[0].decode(0, as: Int.self) }
    }

    @Test func uploadRoundTripWritesTheFileAndDeleteRemovesIt() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "media@example.com")
            let tenant = try await api.tenant(owner: owner)
            let upload = try await Self.createUpload(api, tenant, mime: "image/png", size: Self.png.count, filename: "dot.png")
            let digest = try await api.pool.withConnection {
                try $0.query("SELECT upload_token_digest FROM uploads WHERE id = $1", [upload.id])[0].decode(0, as: String.self)
            }
            #expect(!upload.target.contains(digest), "only the token's digest is stored")

            let received = try await Self.put(api, upload.target, Self.png)
            #expect(received.status == 200, "\(received.bodyString)")
            let file = try received.json()
            let fileId = try #require(file["id"]?.stringValue)
            #expect(file["width"] == 3 && file["height"] == 2)
            #expect(file["mime"] == "image/png" && file["size"] == .int(Int64(Self.png.count)))
            #expect(file["originalFilename"] == "dot.png")

            let onDisk = APIHarness.media.path(tenantId: tenant.id, fileId: fileId)
            #expect(FileManager.default.contents(atPath: onDisk).map([UInt8].init) == Self.png)
            let permissions = try FileManager.default.attributesOfItem(atPath: onDisk)[.posixPermissions] as? Int
            #expect(permissions == 0o600)

            let got = try await api.contractCall("GET", "/api/v0/media/uploads/\(upload.id)", tenant.keys)
            #expect(try got.json()["finishedAt"]?.stringValue != nil)
            #expect(try got.json()["meta"] == ["purpose": "test"])
            let uploads = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/media/uploads", tenant.keys)
            #expect(try uploads.json()["data"]?.arrayValue?.count == 1)
            let files = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/media/files", tenant.keys)
            #expect(try files.json()["data"]?.arrayValue?.first?["id"]?.stringValue == fileId)
            let one = try await api.contractCall("GET", "/api/v0/media/files/\(fileId)", tenant.keys)
            #expect(try one.json()["width"] == 3)

            // The token is single-use: the same bytes again are refused.
            #expect(try await Self.put(api, upload.target, Self.png).status == 409)

            let deleted = try await api.contractCall("DELETE", "/api/v0/files/\(fileId)", tenant.keys)
            #expect(deleted.status == 200 && deleted.bodyString == "true")
            #expect(!FileManager.default.fileExists(atPath: onDisk))
            // Issue 11: a deleted file is absent, not readable with its deletedAt.
            let after = try await api.contractCall("GET", "/api/v0/media/files/\(fileId)", tenant.keys)
            #expect(after.status == 404, "\(after.bodyString)")
            let listed = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/media/files", tenant.keys)
            #expect(try listed.json()["data"]?.arrayValue?.isEmpty == true)
            #expect(try await api.call("DELETE", "/api/v0/files/\(fileId)", tenant.keys).status == 404)
            Self.cleanUp(tenant)
        }
    }

    @Test func deletingAnUploadDeletesItsFile() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "media-del@example.com")
            let tenant = try await api.tenant(owner: owner)
            let upload = try await Self.createUpload(api, tenant, mime: "image/gif", size: Self.gif.count)
            let file = try await Self.put(api, upload.target, Self.gif).json()
            #expect(file["width"] == 9 && file["height"] == 4)
            let fileId = try #require(file["id"]?.stringValue)
            let onDisk = APIHarness.media.path(tenantId: tenant.id, fileId: fileId)
            #expect(FileManager.default.fileExists(atPath: onDisk))

            let deleted = try await api.contractCall("DELETE", "/api/v0/media/uploads/\(upload.id)", tenant.keys)
            #expect(try deleted.json()["deleted"] == true)
            #expect(!FileManager.default.fileExists(atPath: onDisk))
            #expect(try await Self.count(api, "SELECT count(*) FROM files WHERE id = $1 AND deleted_at IS NOT NULL", fileId) == 1)
            let got = try await api.contractCall("GET", "/api/v0/media/uploads/\(upload.id)", tenant.keys)
            #expect(got.status == 404, "\(got.bodyString)")
            #expect(try await api.call("GET", "/api/v0/media/files/\(fileId)", tenant.keys).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/media/uploads/\(upload.id)", tenant.keys).status == 404)
            // A deleted upload takes no bytes.
            let again = try await Self.createUpload(api, tenant, mime: "image/gif", size: Self.gif.count)
            _ = try await api.call("DELETE", "/api/v0/media/uploads/\(again.id)", tenant.keys)
            #expect(try await Self.put(api, again.target, Self.gif).status == 404)
            Self.cleanUp(tenant)
        }
    }

    @Test func theUploadURLChecksTokenSizeAndType() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "media-bad@example.com")
            let tenant = try await api.tenant(owner: owner)
            let upload = try await Self.createUpload(api, tenant, mime: "image/png", size: Self.png.count)
            let path = String(upload.target.split(separator: "?")[0])

            #expect(try await Self.put(api, path + "?token=0000", Self.png).status == 401)
            #expect(try await Self.put(api, path, Self.png).status == 401)
            let unknown = "/api/v0/media/uploads/c0000000000000000000000000/content?token=x"
            #expect(try await Self.put(api, unknown, Self.png).status == 404)

            let short = try await Self.put(api, upload.target, Array(Self.png.dropLast()))
            #expect(short.status == 400)
            #expect(try short.json()["issues"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("body:") == true)

            // Declared PNG, JPEG bytes of the same length.
            let jpegUpload = try await Self.createUpload(api, tenant, mime: "image/png", size: Self.jpeg.count)
            let mismatch = try await Self.put(api, jpegUpload.target, Self.jpeg)
            #expect(mismatch.status == 400, "\(mismatch.bodyString)")
            let svg = Array(#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>"#.utf8)
            let notSVG = try await Self.createUpload(api, tenant, mime: "image/svg+xml", size: Self.png.count)
            #expect(try await Self.put(api, notSVG.target, Self.png).status == 400)
            let realSVG = try await Self.createUpload(api, tenant, mime: "image/svg+xml", size: svg.count)
            #expect(try await Self.put(api, realSVG.target, svg).status == 200)
            let pdf = Array("%PDF-1.4\n%%EOF\n".utf8)
            let pdfAsText = try await Self.createUpload(api, tenant, mime: "text/plain", size: pdf.count)
            #expect(try await Self.put(api, pdfAsText.target, pdf).status == 400)
            let jpegOK = try await Self.createUpload(api, tenant, mime: "image/jpeg", size: Self.jpeg.count)
            let jpegFile = try await Self.put(api, jpegOK.target, Self.jpeg)
            #expect(try jpegFile.json()["width"] == 7 && jpegFile.json()["height"] == 5)
            // A WebP with an extended header: canvas 640×480.
            let webp = Array("RIFF".utf8) + [22, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0, 0, 0, 0]
                + [0x7F, 0x02, 0x00, 0xDF, 0x01, 0x00]
            let webpOK = try await Self.createUpload(api, tenant, mime: "image/webp", size: webp.count)
            let webpFile = try await Self.put(api, webpOK.target, webp)
            #expect(try webpFile.json()["width"] == 640 && webpFile.json()["height"] == 480, "\(webpFile.bodyString)")

            // Over the limit: the declared size is refused at creation, bytes past it at the URL.
            let big = try await api.call("POST", "/api/v0/media/uploads", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","access":"public","originalFilename":null,"mime":"application/octet-stream","size":\(MediaStorage.maxBytes + 1)}
                """)
            #expect(big.status == 413)
            let atLimit = try await Self.createUpload(api, tenant, mime: "application/octet-stream", size: MediaStorage.maxBytes)
            let tooMuch = try await Self.put(api, atLimit.target, [UInt8](repeating: 7, count: MediaStorage.maxBytes + 10))
            #expect(tooMuch.status == 413)

            // Nothing above left a file behind except the three good ones.
            #expect(try await Self.count(api, "SELECT count(*) FROM files WHERE tenant_id = $1", tenant.id) == 3)
            #expect(try await Self.count(api, "SELECT count(*) FROM uploads WHERE id = $1 AND finished_at IS NULL", upload.id) == 1)

            let invalid = try await api.call("POST", "/api/v0/media/uploads", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","access":"secret","mime":"png","size":-1,"path":"../etc"}
                """)
            #expect(invalid.status == 400)
            let issues = try invalid.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            for field in ["access:", "mime:", "size:", "path:"] { #expect(issues.contains { $0.hasPrefix(field) }, "\(field) \(issues)") }
            Self.cleanUp(tenant)
        }
    }

    @Test func anotherTenantSeesNoUploadOrFile() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "media-iso@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let upload = try await Self.createUpload(api, tenant, mime: "image/png", size: Self.png.count)
            let fileId = try #require(try await Self.put(api, upload.target, Self.png).json()["id"]?.stringValue)
            let onDisk = APIHarness.media.path(tenantId: tenant.id, fileId: fileId)

            for (method, path) in [("GET", "/api/v0/media/uploads/\(upload.id)"), ("DELETE", "/api/v0/media/uploads/\(upload.id)"),
                                   ("GET", "/api/v0/media/files/\(fileId)"), ("DELETE", "/api/v0/files/\(fileId)"),
                                   ("GET", "/api/v0/tenants/\(tenant.id)/media/uploads"),
                                   ("GET", "/api/v0/tenants/\(tenant.id)/media/files")] {
                #expect(try await api.call(method, path, other.keys).status == 404, "\(method) \(path)")
            }
            let foreign = try await api.call("POST", "/api/v0/media/uploads", other.keys, json: """
                {"tenantId":"\(tenant.id)","access":"public","originalFilename":null,"mime":"image/png","size":10}
                """)
            #expect(foreign.status == 404)
            #expect(FileManager.default.fileExists(atPath: onDisk))
            #expect(try await Self.count(api, "SELECT count(*) FROM uploads WHERE tenant_id = $1 AND deleted_at IS NULL", tenant.id) == 1)
            #expect(try await Self.count(api, "SELECT count(*) FROM files WHERE tenant_id = $1 AND deleted_at IS NULL", tenant.id) == 1)
            #expect(try await api.call("GET", "/api/v0/media/uploads/\(upload.id)").status == 401)
            _ = try await api.call("DELETE", "/api/v0/files/\(fileId)", tenant.keys)
            Self.cleanUp(tenant)
        }
    }

    static func transformation(_ tenantId: String, name: String = "thumb") -> String {
        """
        {"tenantId":"\(tenantId)","name":"\(name)","description":"Small square","outputFormat":"webp","outputQuality":80,
         "outputCompression":6,"outputWidth":128,"outputHeight":128,"outputResizeMode":"crop",
         "steps":[{"type":"blur","options":{"blurType":"manual","strength":10}},{"type":"flip","options":{}},
                  {"type":"text","options":{"text":"© Acme","fontStyle":"italic","opacity":50,"x":null}},
                  {"type":"tint","options":{"color":"#ff0000"}}]}
        """
    }

    @Test func transformationsThroughTheContract() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "xform@example.com")
            let tenant = try await api.tenant(owner: owner)
            let other = try await api.tenant(owner: owner, name: "Other Tenant")
            let created = try await api.contractCall("POST", "/api/v0/media/transformations", tenant.keys,
                                                     json: Self.transformation(tenant.id))
            #expect(created.status == 200, "\(created.bodyString)")
            let id = try #require(try created.json()["id"]?.stringValue)
            #expect(try created.json()["steps"]?.arrayValue?.count == 4)
            #expect(try await api.call("POST", "/api/v0/media/transformations", tenant.keys,
                                       json: Self.transformation(tenant.id)).status == 409)

            let list = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/media/transformations", tenant.keys)
            #expect(try list.json()["data"]?.arrayValue?.count == 1)
            let got = try await api.contractCall("GET", "/api/v0/media/transformations/\(id)", tenant.keys)
            #expect(try got.json()["outputResizeMode"] == "crop")

            let patched = try await api.contractCall("PATCH", "/api/v0/media/transformations/\(id)", tenant.keys,
                                                     json: Self.transformation(tenant.id, name: "thumb-2")
                                                         .replacingOccurrences(of: "\"crop\"", with: "\"maximum\""))
            #expect(try patched.json()["name"] == "thumb-2" && patched.json()["outputResizeMode"] == "maximum")
            let partial = try await api.contractCall("PATCH", "/api/v0/media/transformations/\(id)", tenant.keys,
                                                     json: #"{"outputQuality":60,"description":null}"#)
            #expect(try partial.json()["outputQuality"] == 60 && partial.json()["description"] == .null)
            #expect(try partial.json()["name"] == "thumb-2")

            // Another tenant: 404 and nothing changed.
            #expect(try await api.call("GET", "/api/v0/media/transformations/\(id)", other.keys).status == 404)
            #expect(try await api.call("PATCH", "/api/v0/media/transformations/\(id)", other.keys,
                                       json: #"{"name":"stolen"}"#).status == 404)
            #expect(try await api.call("DELETE", "/api/v0/media/transformations/\(id)", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/tenants/\(tenant.id)/media/transformations", other.keys).status == 404)
            #expect(try await api.call("GET", "/api/v0/media/transformations/\(id)", tenant.keys).json()["name"] == "thumb-2")

            // Paging: one per page, newest first, the cursor leads to the older one.
            _ = try await api.contractCall("POST", "/api/v0/media/transformations", tenant.keys,
                                           json: Self.transformation(tenant.id, name: "banner"))
            let page1 = try await api.contractCall("GET", "/api/v0/tenants/\(tenant.id)/media/transformations?perPage=1", tenant.keys)
            #expect(try page1.json()["data"]?.arrayValue?.first?["name"] == "banner")
            #expect(try page1.json()["meta"]?["total"] == 2)
            let next = try #require(try page1.json()["meta"]?["next"]?.stringValue)
            let page2 = try await api.contractCall(
                "GET", "/api/v0/tenants/\(tenant.id)/media/transformations?perPage=1&cursor=\(next)", tenant.keys)
            #expect(try page2.json()["data"]?.arrayValue?.first?["id"]?.stringValue == id)

            let deleted = try await api.contractCall("DELETE", "/api/v0/media/transformations/\(id)", tenant.keys)
            #expect(deleted.status == 200 && deleted.bodyString == "true")
            #expect(try await api.call("GET", "/api/v0/media/transformations/\(id)", tenant.keys).status == 404)
        }
    }

    @Test func transformationStepsAreCheckedAgainstTheirSchemas() async throws {
        try await APIHarness.with { api in
            let owner = try await api.token(email: "xform-bad@example.com")
            let tenant = try await api.tenant(owner: owner)
            let bad = try await api.call("POST", "/api/v0/media/transformations", tenant.keys, json: """
                {"tenantId":"\(tenant.id)","name":"Bad Name","outputFormat":"webp","outputQuality":180,"outputCompression":1,
                 "outputWidth":10,"outputHeight":10,"outputResizeMode":"squash",
                 "steps":[{"type":"blur","options":{"strength":0}},{"type":"explode","options":{}},
                          {"type":"rotate","options":{"type":"manual","degrees":720,"speed":3}}]}
                """)
            #expect(bad.status == 400)
            let issues = try bad.json()["issues"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            for prefix in ["name:", "outputQuality:", "outputResizeMode:", "steps[0].options.blurType:", "steps[0].options.strength:",
                           "steps[1].type:", "steps[2].options.degrees:", "steps[2].options.speed:"] {
                #expect(issues.contains { $0.hasPrefix(prefix) }, "\(prefix) in \(issues)")
            }
            let missing = try await api.call("POST", "/api/v0/media/transformations", tenant.keys,
                                             json: #"{"tenantId":"\#(tenant.id)","name":"x"}"#)
            #expect(missing.status == 400)
            #expect(try await Self.count(api, "SELECT count(*) FROM transformations WHERE tenant_id = $1", tenant.id) == 0)
        }
    }
}
