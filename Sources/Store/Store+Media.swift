import Crypto
import JSON
import Postgres

/// Uploads, the files they produce, and transformations. An upload is a
/// promise of bytes: created with its declared mime and size and the digest of
/// a one-off token; the bytes arrive later on Herald's own upload URL, which
/// creates the file. Deletes are soft (`deleted_at`), so counts stay honest;
/// lists leave deleted rows out.
extension Store {
    public struct NewUpload: Sendable {
        public var path: String?
        public var access: String
        public var originalFilename: String?
        public var mime: String
        public var size: Int64
        public var meta: JSONValue?
        public init(path: String?, access: String, originalFilename: String?, mime: String, size: Int64, meta: JSONValue?) {
            self.path = path
            self.access = access
            self.originalFilename = originalFilename
            self.mime = mime
            self.size = size
            self.meta = meta
        }
    }

    /// What the content route needs to check bytes against an upload.
    public struct UploadTarget: Sendable {
        public let id: String
        public let tenantId: String
        public let mime: String?
        public let size: Int64?
        public let tokenDigest: String?
        public let finished: Bool
        public let deleted: Bool
        public let originalFilename: String?
        public let meta: String?
    }

    /// The file row made from received bytes.
    public struct NewFile: Sendable {
        public var id: String
        public var path: String
        public var width: Int?
        public var height: Int?
        public init(id: String, path: String, width: Int?, height: Int?) {
            self.id = id
            self.path = path
            self.width = width
            self.height = height
        }
    }

    // MARK: uploads

    public func uploadsPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "uploads t", projection: Projection.upload,
                                          filter: "t.tenant_id = $1 AND t.deleted_at IS NULL", binds: [tenantId]), request)
        }
    }

    public func uploadTenant(id: String) async throws -> String? {
        try await tenantOf("uploads", id, softDeletes: true)
    }

    public func uploadJSON(id: String, tenantId: String) async throws -> String? {
        try await jsonOf("uploads", Projection.upload, id, tenantId, softDeletes: true)
    }

    /// Stores the upload with the digest of its token; answers its JSON.
    public func createUpload(tenantId: String, _ new: NewUpload, id: String, tokenDigest: String) async throws -> String {
        try await database.withConnection { connection in
            try connection.query("""
                INSERT INTO uploads AS t (id, tenant_id, path, access, original_filename, mime, size, meta, upload_token_digest)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
                RETURNING (\(Projection.upload))::text AS json
                """, [id, tenantId, new.path, new.access, new.originalFilename, new.mime, new.size,
                      new.meta?.jsonString, tokenDigest])[0].decode("json", as: String.self)
        }
    }

    public func uploadTarget(id: String) async throws -> UploadTarget? {
        try await database.withConnection { connection in
            guard let row = try connection.query("""
                SELECT tenant_id, mime, size, upload_token_digest, finished_at IS NOT NULL AS finished, deleted_at IS NOT NULL AS deleted,
                       original_filename, meta::text AS meta
                FROM uploads WHERE id = $1
                """, [id]).first else { return nil }
            return UploadTarget(id: id, tenantId: try row.decode("tenant_id"), mime: try row.decode("mime"), size: try row.decode("size"),
                                tokenDigest: try row.decode("upload_token_digest"), finished: try row.decode("finished"), deleted: try row.decode("deleted"),
                                originalFilename: try row.decode("original_filename"), meta: try row.decode("meta"))
        }
    }

    /// Marks the upload finished and creates its file, in one transaction;
    /// `write` puts the bytes on disk first, on the pool's thread (blocking
    /// I/O stays off the cooperative pool). Nil when the upload was finished
    /// or deleted meanwhile.
    public func finishUpload(_ target: UploadTarget, file: NewFile,
                             write: @escaping @Sendable () throws -> Void) async throws -> String? {
        try await database.withTransaction { connection in
            guard try connection.query("""
                SELECT 1 FROM uploads WHERE id = $1 AND finished_at IS NULL AND deleted_at IS NULL FOR UPDATE
                """, [target.id]).first != nil else { return nil }
            try write()
            try connection.query("UPDATE uploads SET finished_at = herald_now(), updated_at = herald_now() WHERE id = $1",
                                 [target.id])
            return try connection.query("""
                INSERT INTO files AS t (id, tenant_id, upload_id, original_filename, path, mime, size, width, height, meta)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
                RETURNING (\(Projection.file))::text AS json
                """, [file.id, target.tenantId, target.id, target.originalFilename, file.path, target.mime, target.size,
                      file.width, file.height, target.meta])[0].decode("json", as: String.self)
        }
    }

    /// Soft-deletes the upload and its files; answers the deleted files' ids
    /// (for removal from disk), nil when there was nothing to delete.
    public func deleteUpload(id: String, tenantId: String) async throws -> [String]? {
        try await database.withTransaction { connection in
            guard try connection.query("""
                UPDATE uploads SET deleted_at = herald_now(), updated_at = herald_now()
                WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL
                """, [id, tenantId]).affectedRows > 0 else { return nil }
            return try connection.query("""
                UPDATE files SET deleted_at = herald_now(), updated_at = herald_now()
                WHERE upload_id = $1 AND tenant_id = $2 AND deleted_at IS NULL RETURNING id
                """, [id, tenantId]).map { try $0.decode("id", as: String.self) }
        }
    }

    // MARK: files

    public func filesPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await database.withConnection { connection in
            try connection.page(PageQuery(from: "files t", projection: Projection.file,
                                          filter: "t.tenant_id = $1 AND t.deleted_at IS NULL", binds: [tenantId]), request)
        }
    }

    public func fileTenant(id: String) async throws -> String? {
        try await tenantOf("files", id, softDeletes: true)
    }

    public func fileJSON(id: String, tenantId: String) async throws -> String? {
        try await jsonOf("files", Projection.file, id, tenantId, softDeletes: true)
    }

    /// Soft-deletes a file; false when it was absent or already deleted.
    public func deleteFile(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE files SET deleted_at = herald_now(), updated_at = herald_now()
                WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL
                """, [id, tenantId]).affectedRows > 0
        }
    }

    // MARK: transformations

    public struct TransformationFields: Sendable {
        public var name: String?
        public var description: String??
        public var outputFormat: String?
        public var outputQuality: Double?
        public var outputCompression: Double?
        public var outputWidth: Double?
        public var outputHeight: Double?
        public var outputResizeMode: String?
        public var steps: JSONValue?
        public init() {}
    }

    public func transformationsPage(tenantId: String, _ request: PageRequest) async throws -> Page {
        try await pageOf("transformations", Projection.transformation, tenantId: tenantId, request)
    }

    public func transformationTenant(id: String) async throws -> String? {
        try await tenantOf("transformations", id)
    }

    public func transformationJSON(id: String, tenantId: String) async throws -> String? {
        try await jsonOf("transformations", Projection.transformation, id, tenantId)
    }

    /// All fields must be set (the API checks); a taken name is a 409.
    public func createTransformation(tenantId: String, _ f: TransformationFields) async throws -> String {
        try await database.withConnection { connection in
            try connection.query("""
                INSERT INTO transformations AS t (id, tenant_id, name, description, output_format, output_quality,
                  output_compression, output_width, output_height, output_resize_mode, steps)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
                RETURNING (\(Projection.transformation))::text AS json
                """, [Identifier.make(), tenantId, f.name, f.description ?? nil, f.outputFormat, f.outputQuality,
                      f.outputCompression, f.outputWidth, f.outputHeight, f.outputResizeMode,
                      (f.steps ?? .array([])).jsonString])[0].decode("json", as: String.self)
        }
    }

    /// Applies the fields given.
    public func updateTransformation(id: String, tenantId: String, _ f: TransformationFields) async throws -> String? {
        try await database.withConnection { connection in
            try connection.query("""
                UPDATE transformations t SET name = coalesce($3, t.name),
                  description = CASE WHEN $4 THEN $5 ELSE t.description END,
                  output_format = coalesce($6, t.output_format), output_quality = coalesce($7, t.output_quality),
                  output_compression = coalesce($8, t.output_compression), output_width = coalesce($9, t.output_width),
                  output_height = coalesce($10, t.output_height), output_resize_mode = coalesce($11, t.output_resize_mode),
                  steps = coalesce($12::jsonb, t.steps), updated_at = herald_now()
                WHERE t.id = $1 AND t.tenant_id = $2
                RETURNING (\(Projection.transformation))::text AS json
                """, [id, tenantId, f.name, f.description != nil, f.description ?? nil, f.outputFormat, f.outputQuality,
                      f.outputCompression, f.outputWidth, f.outputHeight, f.outputResizeMode,
                      f.steps?.jsonString]).first?.decode("json", as: String.self)
        }
    }

    public func deleteTransformation(id: String, tenantId: String) async throws -> Bool {
        try await database.withConnection { connection in
            try connection.query("DELETE FROM transformations WHERE id = $1 AND tenant_id = $2", [id, tenantId]).affectedRows > 0
        }
    }
}
