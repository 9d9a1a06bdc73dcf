import Crypto
import Foundation

/// The studio's files (HTML, CSS, JavaScript modules under `Resources/`), read once from the
/// bundle. Every asset is served under `/studio/assets/<hash>/<file>`, where `<hash>` covers all
/// the assets together: the modules import each other by relative path, so one hash for the set
/// lets the browser cache them for a year without rewriting a single import.
public struct StudioAssets: Sendable {
    public struct File: Sendable {
        public let body: [UInt8]
        public let contentType: String
    }

    /// The app shell with the asset paths filled in.
    public let shell: [UInt8]
    /// The content hash in every asset path (16 hex digits of SHA-256).
    public let hash: String
    /// Assets by file name.
    public let files: [String: File]

    public static let assetsPath = "/studio/assets"
    static let shellName = "index.html"
    /// Where the shell names the versioned asset folder.
    static let assetsMarker = "{{assets}}"

    /// Loaded from the module's bundle at first use; a page that says so when the files are missing.
    public static let bundled: StudioAssets = (try? load())
        ?? StudioAssets(sources: [shellName: Array("<!doctype html><title>Studio files missing</title>".utf8)])

    /// The files in the module's bundle.
    public static func load() throws -> StudioAssets {
        guard let resources = Bundle.module.resourceURL else {
            throw StudioError(code: "bundleMissing", context: "no resource bundle for the Studio module")
        }
        // Foundation on Linux takes a bundle's own `Resources` folder as its resource folder;
        // elsewhere the copied folder is inside it.
        let folder = [resources.appendingPathComponent("Resources"), resources].first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent(shellName).path)
        }
        guard let folder else {
            throw StudioError(code: "shellMissing", context: "no \(shellName) in \(resources.path)")
        }
        return try StudioAssets(folder: folder)
    }

    public init(folder: URL) throws {
        var sources: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where Self.contentType(of: name) != nil {
            sources[name] = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        self.init(sources: sources)
    }

    /// From file names and contents; `index.html` is the shell, the rest are assets.
    public init(sources: [String: [UInt8]]) {
        var files: [String: File] = [:]
        var digestInput: [UInt8] = []
        for name in sources.keys.sorted() where name != Self.shellName {
            guard let body = sources[name], let type = Self.contentType(of: name) else { continue }
            files[name] = File(body: body, contentType: type)
            digestInput += Array(name.utf8) + [0] + SHA256.hash(body)
        }
        let hash = String(SHA256.hex(digestInput).prefix(16))
        let template = String(decoding: sources[Self.shellName] ?? [], as: UTF8.self)
        self.hash = hash
        self.files = files
        self.shell = Array(template.replacingOccurrences(of: Self.assetsMarker, with: "\(Self.assetsPath)/\(hash)").utf8)
    }

    /// The asset at `/studio/assets/<hash>/<name>`, only for the current hash: an old hash
    /// names bytes this server no longer has, and must not be cached as if it were them.
    public func asset(hash: String, name: String) -> File? {
        guard hash == self.hash else { return nil }
        return files[name]
    }

    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        default: nil
        }
    }
}

/// Why the studio's files could not be read.
public struct StudioError: Error, CustomStringConvertible {
    public let code: String
    public let context: String
    public var description: String { "\(code): \(context)" }
}
