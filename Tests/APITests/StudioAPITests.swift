import Foundation
import HeraldTestSupport
import Studio
import Testing

/// `/studio`: the shell and its assets as the browser gets them (headers, hashed paths), and
/// the bundle's modules importing only files it has.
@Suite struct StudioAPITests {
    @Test func shellAndAssetsCarryTheirHeaders() async throws {
        try await APIHarness.with { api in
            let shell = try await api.call("GET", "/studio")
            #expect(shell.status == 200)
            #expect(shell.headers["content-type"] == "text/html; charset=utf-8")
            #expect(shell.headers["cache-control"] == "no-cache")
            let policy = try #require(shell.headers["content-security-policy"])
            #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"))
            #expect(!policy.contains("unsafe-eval") && !policy.contains("script-src 'self' 'unsafe-inline'"))
            #expect(shell.headers["x-content-type-options"] == "nosniff")
            #expect(shell.headers["referrer-policy"] == "no-referrer")
            #expect(shell.headers["x-frame-options"] == "DENY")
            let html = shell.bodyString
            #expect(!html.contains("{{assets}}"))
            // No inline script: every <script> names a file.
            #expect(html.components(separatedBy: "<script").dropFirst().allSatisfy { $0.hasPrefix(" type=\"module\" src=") })

            let referenced = Self.assetPaths(in: html)
            #expect(referenced.count == 2)
            for path in referenced {
                let asset = try await api.call("GET", path)
                #expect(asset.status == 200, "\(path)")
                #expect(asset.headers["cache-control"] == "public, max-age=31536000, immutable")
                #expect(asset.headers["content-security-policy"] == policy)
                #expect(asset.headers["x-content-type-options"] == "nosniff")
            }
            let script = try #require(referenced.first { $0.hasSuffix("/app.js") })
            #expect(try await api.call("GET", script).headers["content-type"] == "text/javascript; charset=utf-8")

            // Another hash names bytes this server does not have.
            let stale = script.replacingOccurrences(of: StudioAssets.bundled.hash, with: "0000000000000000")
            #expect(try await api.call("GET", stale).status == 404)
            #expect(try await api.call("GET", "/studio/assets/\(StudioAssets.bundled.hash)/missing.js").status == 404)
        }
    }

    @Test func modulesImportOnlyBundledFiles() throws {
        let assets = try StudioAssets.load()
        #expect(assets.files["app.js"] != nil && assets.files["studio.css"] != nil)
        for (name, file) in assets.files where name.hasSuffix(".js") {
            let text = String(decoding: file.body, as: UTF8.self)
            // Neither eval nor a string handed to the Function constructor: the policy forbids both.
            #expect(!text.contains("eval(") && !text.contains("new Function"), "\(name)")
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let target = try #require(line.split(separator: "\"").dropFirst().first, "\(name): \(line)")
                #expect(target.hasPrefix("./"), "\(name) imports \(target): only the bundle's own modules")
                #expect(assets.files[String(target.dropFirst(2))] != nil, "\(name) imports \(target), which is not bundled")
            }
        }
    }

    @Test func theHashFollowsTheContent() {
        let shell = Array("<script type=\"module\" src=\"{{assets}}/app.js\"></script>".utf8)
        let one = StudioAssets(sources: ["index.html": shell, "app.js": Array("1".utf8)])
        let same = StudioAssets(sources: ["index.html": shell, "app.js": Array("1".utf8)])
        let other = StudioAssets(sources: ["index.html": shell, "app.js": Array("2".utf8)])
        #expect(one.hash == same.hash)
        #expect(one.hash != other.hash)
        #expect(String(decoding: one.shell, as: UTF8.self).contains("/studio/assets/\(one.hash)/app.js"))
        #expect(one.asset(hash: one.hash, name: "app.js") != nil)
        #expect(one.asset(hash: other.hash, name: "app.js") == nil)
    }

    static func assetPaths(in html: String) -> [String] {
        html.components(separatedBy: "\"").filter { $0.hasPrefix(StudioAssets.assetsPath + "/") }
    }
}
