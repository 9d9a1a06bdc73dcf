import Foundation

/// Where uploaded bytes live: `<root>/<tenantId>/<fileId>`. The root is
/// `HERALD_DATA_DIR`, default `.herald/data` (read by `Configuration`). Ids come from the database
/// (Herald made them), never from a request, so they are safe path parts.
public struct MediaStorage: Sendable {
    public let root: String
    /// At most this many bytes per upload; the server's body limit is 2 MiB.
    public static let maxBytes = 1 << 20

    public init(root: String) { self.root = root }

    public func path(tenantId: String, fileId: String) -> String { "\(root)/\(tenantId)/\(fileId)" }

    /// Writes atomically (temporary file, then rename), creating folders as needed.
    func write(_ bytes: [UInt8], tenantId: String, fileId: String) throws {
        let folder = "\(root)/\(tenantId)"
        // Only the data folder and below are private: folders above it (such
        // as `.herald`, which `herald dev` shares with its PostgreSQL, run as
        // the `postgres` user under root) keep the usual permissions.
        let parent = (root as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let file = path(tenantId: tenantId, fileId: fileId)
        try Data(bytes).write(to: URL(fileURLWithPath: file), options: .atomic)
        // Readable by Herald only, like the folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }

    func remove(tenantId: String, fileId: String) {
        try? FileManager.default.removeItem(atPath: path(tenantId: tenantId, fileId: fileId))
    }
}

/// Checks that bytes are what their declared mime type says, by magic bytes
/// for common binary types and by UTF-8 text for text types, and reads image
/// dimensions from PNG, GIF, JPEG and WebP headers.
enum MediaSniffer {
    enum Kind: String {
        case png = "image/png", jpeg = "image/jpeg", gif = "image/gif", webp = "image/webp", pdf = "application/pdf"
    }

    /// `type/subtype` of token characters.
    static func isMime(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        func token(_ p: Substring) -> Bool {
            !p.isEmpty && p.utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || "!#$&^_.+-".utf8.contains(c)
            }
        }
        return parts.count == 2 && token(parts[0]) && token(parts[1])
    }

    /// The binary kind the bytes start with, if any.
    static func detect(_ b: [UInt8]) -> Kind? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + prefix.count && Array(b[offset..<(offset + prefix.count)]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        return nil
    }

    /// Nil when the content fits the declared type, else why not.
    static func problem(mime declared: String, bytes: [UInt8]) -> String? {
        let mime = declared.lowercased().split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let detected = detect(bytes)
        let expected: Kind? = mime == "image/jpg" || mime == "image/pjpeg" ? .jpeg : Kind(rawValue: mime)
        if let expected {
            return detected == expected ? nil : "the content is not \(expected.rawValue)"
        }
        let isText = mime.hasPrefix("text/") || mime == "image/svg+xml" || mime == "application/json"
            || mime == "application/xml" || mime.hasSuffix("+json") || mime.hasSuffix("+xml")
        if isText {
            guard detected == nil, !bytes.contains(0), isUTF8(bytes) else {
                return "the content is not UTF-8 text"
            }
            if mime == "image/svg+xml", !String(decoding: bytes, as: UTF8.self).lowercased().contains("<svg") {
                return "the content is not an SVG document"
            }
            return nil
        }
        if let detected, mime != "application/octet-stream" {
            return "the content is \(detected.rawValue), not \(mime)"
        }
        return nil
    }

    /// Width and height from the image header, when the format has them there.
    static func dimensions(_ b: [UInt8]) -> (width: Int, height: Int)? {
        func be16(_ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
        switch detect(b) {
        case .png:
            // IHDR is the first chunk: width and height at bytes 16 and 20.
            guard b.count >= 24, Array(b[12..<16]) == Array("IHDR".utf8) else { return nil }
            return (be16(16) << 16 | be16(18), be16(20) << 16 | be16(22))
        case .gif:
            guard b.count >= 10 else { return nil }
            return (Int(b[6]) | Int(b[7]) << 8, Int(b[8]) | Int(b[9]) << 8)
        case .jpeg:
            return jpegDimensions(b)
        case .webp:
            return webpDimensions(b)
        default:
            return nil
        }
    }

    /// From the first chunk: VP8X (canvas), VP8 (key frame) or VP8L (lossless).
    static func webpDimensions(_ b: [UInt8]) -> (width: Int, height: Int)? {
        guard b.count >= 30 else { return nil }
        func le(_ i: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(b[i + $1]) << (8 * $1) } }
        switch String(decoding: b[12..<16], as: UTF8.self) {
        case "VP8X": return (le(24, 3) + 1, le(27, 3) + 1)
        case "VP8 ": return b[23] == 0x9D && b[24] == 0x01 && b[25] == 0x2A ? (le(26, 2) & 0x3FFF, le(28, 2) & 0x3FFF) : nil
        case "VP8L":
            guard b[20] == 0x2F else { return nil }
            let bits = le(21, 4)
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        default: return nil
        }
    }

    /// Walks the JPEG segments to the first start-of-frame marker.
    static func jpegDimensions(_ b: [UInt8]) -> (width: Int, height: Int)? {
        var i = 2
        while i + 3 < b.count {
            guard b[i] == 0xFF else { return nil }
            var marker = b[i + 1]
            while marker == 0xFF, i + 2 < b.count { i += 1; marker = b[i + 1] }
            i += 2
            // Markers without a length: TEM, RSTn, SOI, EOI.
            if marker == 0x01 || (marker >= 0xD0 && marker <= 0xD9) { continue }
            guard i + 1 < b.count else { return nil }
            let length = Int(b[i]) << 8 | Int(b[i + 1])
            guard length >= 2 else { return nil }
            let isFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrame {
                guard i + 6 < b.count else { return nil }
                return (Int(b[i + 5]) << 8 | Int(b[i + 6]), Int(b[i + 3]) << 8 | Int(b[i + 4]))
            }
            i += length
        }
        return nil
    }

    static func isUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
