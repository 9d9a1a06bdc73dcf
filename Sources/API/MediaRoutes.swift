import Crypto
import JSON
import Store

/// The uploads and files operations, and the upload URL that receives bytes.
/// Transformations are in MediaTransformationRoutes.
enum MediaRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store
        let storage = context.settings.media

        routes.on("GET", "/tenants/:tenantId/media/uploads") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewConfig)
            return .list(try await store.uploadsPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/media/uploads/:id", .viewConfig, lookup: store.uploadTenant) { request, access, id, tenantId in
            guard let json = try await store.uploadJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("POST", "/media/uploads") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let path = input.optionalString("path", min: 1, max: 1024, pattern: isSafePath,
                                            patternMessage: "must be a relative path without .. or control characters")
            let accessLevel = input.oneOf("access", ["public", "private"])
            let filename = input.optionalString("originalFilename", min: 1, max: 255, pattern: isSafePath,
                                                patternMessage: "must not contain control characters or ..")
            let mime = input.string("mime", min: 3, max: 255, pattern: MediaSniffer.isMime,
                                    patternMessage: "must be a media type such as image/png")
            var size: Int64 = 0
            if let value = input["size"], !value.isNull {
                if let int = value.intValue, int >= 0 { size = int } else { input.fail("size: must be a whole number of bytes, 0 or more") }
            } else {
                input.fail("size: Required")
            }
            let meta = input["meta"].flatMap { $0.isNull ? nil : $0 }
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            guard size <= Int64(MediaStorage.maxBytes) else {
                throw APIError(.payloadTooLarge, "size: uploads may be at most \(MediaStorage.maxBytes) bytes")
            }
            let id = Identifier.make()
            let token = Hex.encode(SecureRandom.bytes(32))
            let json = try await store.createUpload(
                tenantId: tenantId, Store.NewUpload(path: path, access: accessLevel, originalFilename: filename,
                                                     mime: mime, size: size, meta: meta),
                id: id, tokenDigest: store.keyring.digest(token))
            let url = context.publicURL + APIRoutes.basePath + "/media/uploads/\(id)/content?token=\(token)"
            // The upload's JSON plus where to send the bytes.
            return .json(text: String(json.dropLast()) + #","uploadUrl":"# + JSONValue.string(url).jsonString + "}")
        }

        routes.owned("DELETE", "/media/uploads/:id", .editConfig, lookup: store.uploadTenant) { request, access, id, tenantId in
            guard let files = try await store.deleteUpload(id: id, tenantId: tenantId) else { throw APIError.notFound }
            for fileId in files { storage.remove(tenantId: tenantId, fileId: fileId) }
            return .json(["deleted": true])
        }

        // Not a contract operation: the upload URL. The token in the query
        // authorises it, so it takes no key pair.
        routes.open("PUT", APIRoutes.basePath + "/media/uploads/:id/content") { request in
            try await receive(request, store: store, storage: storage)
        }

        routes.on("GET", "/tenants/:tenantId/media/files") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewConfig)
            return .list(try await store.filesPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/media/files/:id", .viewConfig, lookup: store.fileTenant) { request, access, id, tenantId in
            guard let json = try await store.fileJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.owned("DELETE", "/files/:id", .editConfig, lookup: store.fileTenant) { request, access, id, tenantId in
            guard try await store.deleteFile(id: id, tenantId: tenantId) else { throw APIError.notFound }
            storage.remove(tenantId: tenantId, fileId: id)
            return .json(.bool(true))
        }

        MediaTransformationRoutes.add(to: &routes, context)
    }

    /// Takes the bytes of an upload: token, size and type checked, the file
    /// written and its row created; answers the new file.
    static func receive(_ request: APIRequest, store: Store, storage: MediaStorage) async throws -> APIResponse {
        let id = try request.id()
        guard let target = try await store.uploadTarget(id: id), !target.deleted else { throw APIError.notFound }
        let token = request.query["token"] ?? ""
        guard let stored = target.tokenDigest, ConstantTime.equals(store.keyring.digest(token), stored) else {
            throw APIError(.unauthorized, "The upload token is missing or wrong")
        }
        if target.finished { throw APIError(.conflict, "This upload has already received its content") }
        let body = request.body
        guard body.count <= MediaStorage.maxBytes else {
            throw APIError(.payloadTooLarge, "Uploads may be at most \(MediaStorage.maxBytes) bytes")
        }
        if let size = target.size, Int64(body.count) != size {
            throw APIError.validation(["body: expected \(size) bytes as declared in size, received \(body.count)"])
        }
        if let problem = MediaSniffer.problem(mime: target.mime ?? "application/octet-stream", bytes: body) {
            throw APIError.validation(["body: \(problem) (declared mime \(target.mime ?? "none"))"])
        }
        let dimensions = MediaSniffer.dimensions(body)
        let fileId = Identifier.make()
        let file = Store.NewFile(id: fileId, path: "\(target.tenantId)/\(fileId)",
                                 width: dimensions?.width, height: dimensions?.height)
        do {
            guard let json = try await store.finishUpload(target, file: file, write: {
                try storage.write(body, tenantId: target.tenantId, fileId: fileId)
            }) else {
                throw APIError(.conflict, "This upload has already received its content")
            }
            return .json(text: json)
        } catch {
            storage.remove(tenantId: target.tenantId, fileId: fileId)
            throw error
        }
    }

    /// Relative, printable, no `..` segment.
    static func isSafePath(_ s: String) -> Bool {
        !s.hasPrefix("/") && !s.unicodeScalars.contains { $0.value < 32 || $0.value == 127 }
            && !s.split(separator: "/").contains("..") && !s.split(separator: "\\").contains("..")
    }
}
