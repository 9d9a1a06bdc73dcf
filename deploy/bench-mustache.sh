#!/usr/bin/env bash
# Compares Herald's Mustache renderer with hummingbird-project/swift-mustache
# on the same template and data (deploy/bench/invitation.*).
#
#   deploy/bench-mustache.sh [ITERATIONS]
#
# swift-mustache is built in a scratch package outside the repository, so
# Herald itself keeps no package dependencies.
set -euo pipefail

iterations="${1:-20000}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
bench="$repo/deploy/bench"
scratch="${TMPDIR:-/tmp}/herald-mustache-compare"

echo "== building herald (release)" >&2
(cd "$repo" && swift build -c release --product herald --scratch-path .build-release >&2)
herald="$(cd "$repo" && swift build -c release --product herald --scratch-path .build-release --show-bin-path)/herald"

echo "== building swift-mustache comparison in $scratch" >&2
mkdir -p "$scratch/Sources/Compare"
cat > "$scratch/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "HeraldMustacheCompare",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0")],
    targets: [
        .executableTarget(name: "Compare", dependencies: [.product(name: "Mustache", package: "swift-mustache")]),
    ]
)
SWIFT
cat > "$scratch/Sources/Compare/main.swift" <<'SWIFT'
import Dispatch
import Foundation
import Mustache

/// JSON decoded into the nested dictionaries and arrays swift-mustache reflects over.
enum Plain: Decodable {
    case value(Any)

    init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !array.isAtEnd { items.append(try array.decode(Plain.self).any) }
            self = .value(items)
        } else if let object = try? decoder.container(keyedBy: Key.self) {
            var members: [String: Any] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(Plain.self, forKey: key).any }
            self = .value(members)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { self = .value(Optional<String>.none as Any) }
            else if let flag = try? single.decode(Bool.self) { self = .value(flag) }
            else if let int = try? single.decode(Int.self) { self = .value(int) }
            else if let double = try? single.decode(Double.self) { self = .value(double) }
            else { self = .value(try single.decode(String.self)) }
        }
    }

    var any: Any { if case .value(let value) = self { return value }; return () }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

let arguments = CommandLine.arguments
let templatePath = arguments[1], dataPath = arguments[2], partialsPath = arguments[3]
let iterations = Int(arguments[4])!

var library = MustacheLibrary()
for file in try FileManager.default.contentsOfDirectory(atPath: partialsPath) where file.hasSuffix(".mustache") {
    let source = try String(contentsOfFile: partialsPath + "/" + file, encoding: .utf8)
    try library.register(source, named: String(file.dropLast(".mustache".count)))
}
let template = try MustacheTemplate(string: try String(contentsOfFile: templatePath, encoding: .utf8))
let data = try JSONDecoder().decode(Plain.self, from: Data(contentsOf: URL(fileURLWithPath: dataPath))).any

var bytes = template.render(data, library: library).utf8.count
let start = DispatchTime.now().uptimeNanoseconds
for _ in 0..<iterations { bytes &+= template.render(data, library: library).utf8.count }
let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
print("output_bytes=\(bytes / (iterations + 1))")
print("renders_per_s=\(Int(Double(iterations) / seconds))")
SWIFT
(cd "$scratch" && swift build -c release --product Compare >&2)
compare_iterations=$(( iterations / 20 > 200 ? iterations / 20 : 200 ))

herald_bench() {
    "$herald" bench render --template "$bench/invitation.mustache" --data "$bench/invitation.json" \
        --partials "$bench/partials" --iterations "$iterations" | tail -n 1 | sed -n 's/^renders_per_s=//p'
}
compare_bench() {
    "$scratch/.build/release/Compare" "$bench/invitation.mustache" "$bench/invitation.json" \
        "$bench/partials" "$compare_iterations" | tail -n 1 | sed -n 's/^renders_per_s=//p'
}

# Interleaved rounds, best of each: other work on the machine slows both alike.
herald_rate=0
theirs_rate=0
for round in 1 2 3; do
    rate="$(herald_bench)"
    [ -n "$rate" ] || { echo "herald bench render printed no renders_per_s" >&2; exit 1; }
    echo "round $round: herald renders_per_s=$rate ($iterations renders)" >&2
    [ "$rate" -gt "$herald_rate" ] && herald_rate="$rate"
    rate="$(compare_bench)"
    [ -n "$rate" ] || { echo "swift-mustache comparison printed no renders_per_s" >&2; exit 1; }
    echo "round $round: swift-mustache renders_per_s=$rate ($compare_iterations renders)" >&2
    [ "$rate" -gt "$theirs_rate" ] && theirs_rate="$rate"
done

echo "herald renders_per_s=$herald_rate"
echo "swift-mustache renders_per_s=$theirs_rate"
awk -v a="$herald_rate" -v b="$theirs_rate" 'BEGIN { printf "ratio=%.1fx\n", a / b }'
