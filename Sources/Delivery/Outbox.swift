import Foundation

/// The development stand-in for a mail relay or SMS gateway: each message
/// becomes a file, `<directory>/<notificationId>.<ext>`, to open and look at.
/// Files are written atomically (temporary file, then rename), so a reader
/// never sees half a message, and a retry simply replaces the file.
public struct Outbox: Sendable, Hashable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The file a notification's message goes to.
    public func fileURL(notificationId: String, extension ext: String) -> URL {
        directory.appendingPathComponent(Self.fileName(notificationId) + "." + ext)
    }

    /// Writes `bytes` for the notification and returns the file's URL.
    @discardableResult
    public func write(_ bytes: [UInt8], notificationId: String, extension ext: String) async throws -> URL {
        let url = fileURL(notificationId: notificationId, extension: ext)
        let directory = self.directory
        do {
            try await BlockingIO.run {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data(bytes).write(to: url, options: .atomic)
            }
        } catch {
            // A full disk or a missing mount may pass; the path is ours, not a secret.
            throw DeliveryError(.transient, "outbox: cannot write \(url.path): \((error as NSError).localizedDescription)")
        }
        return url
    }

    /// The id as a file name: ids are ours (`ntf_…`), but a `/` or a leading
    /// dot must never leave the directory or hide the file.
    static func fileName(_ id: String) -> String {
        let safe = String(id.unicodeScalars.prefix(200).map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": return Character(scalar)
            default: return "_"
            }
        })
        return safe.isEmpty || safe.hasPrefix(".") ? "_" + safe : safe
    }
}
