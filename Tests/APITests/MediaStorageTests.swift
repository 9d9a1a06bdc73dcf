@testable import API
import Foundation
import Testing

/// The data folder is private, the folders above it are not made so: `herald
/// dev` keeps its PostgreSQL beside the data folder, and run as root that
/// server's user must pass through the shared parent.
@Suite struct MediaStorageTests {
    func mode(_ path: String) throws -> Int {
        try #require((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test func onlyTheDataFolderIsPrivate() throws {
        let base = NSTemporaryDirectory() + "herald-media-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let storage = MediaStorage(root: base + "/shared/data")
        try storage.write(Array("hello".utf8), tenantId: "ctenant", fileId: "cfile")

        // A folder made the ordinary way (same umask) is what the parent should look like.
        try FileManager.default.createDirectory(atPath: base + "/reference", withIntermediateDirectories: true)
        #expect(try mode(base + "/shared") == mode(base + "/reference"))
        #expect(try mode(base + "/shared/data") == 0o700)
        #expect(try mode(base + "/shared/data/ctenant") == 0o700)
        #expect(try mode(storage.path(tenantId: "ctenant", fileId: "cfile")) == 0o600)
    }
}
