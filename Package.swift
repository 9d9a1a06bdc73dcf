// swift-tools-version:6.0
import PackageDescription

// Herald: no package dependencies. C libraries come in through the
// system-library shims; everything else is built on Foundation and Glibc.
let package = Package(
    name: "Herald",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "herald", targets: ["Herald"]),
    ],
    targets: [
        // C shims: a header and a module map each.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // libresolv (glibc's), for DNS TXT lookups.
        .systemLibrary(name: "CResolv"),

        // Pure Swift building blocks.
        // One lock type, the Duration conversions, the hand-off to a thread of its own.
        .target(name: "Basics"),
        .target(name: "JSON"),
        .target(name: "Mustache", dependencies: ["JSON"]),
        .target(name: "Rendering", dependencies: ["Mustache", "JSON"]),
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        .target(name: "Postgres", dependencies: ["Basics", "CLibPQ"]),
        // A private PostgreSQL cluster in a folder: only `herald dev` and tests start one.
        .target(name: "LocalPostgres", dependencies: ["Basics", "Postgres"]),
        .target(name: "HTTP", dependencies: ["Basics"]),
        .target(name: "Logging"),
        .target(name: "Metrics"),

        // The service.
        .target(name: "Store", dependencies: ["Basics", "Postgres", "JSON", "Crypto", "Logging"],
                resources: [.copy("Migrations")]),
        .target(name: "Delivery", dependencies: ["Basics", "JSON", "Crypto", "COpenSSL"]),
        // The template studio's page: HTML, CSS and JavaScript modules served by the API.
        .target(name: "Studio", dependencies: ["Crypto"], resources: [.copy("Resources")]),
        .target(name: "API", dependencies: ["Basics", "Metrics", "Rendering", "Logging", "HTTP", "Store", "JSON", "Crypto", "Mustache",
                                           "Delivery", "Studio", "CResolv"],
                resources: [.copy("Resources")]),
        .target(name: "Worker", dependencies: ["Basics", "Metrics", "Rendering", "Logging", "Store", "Delivery", "Mustache", "JSON"]),
        .target(name: "HeraldCore", dependencies: ["Basics", "Metrics", "Rendering", "Logging", "API", "Worker", "Delivery", "Store", "Postgres", "LocalPostgres", "HTTP", "Crypto", "JSON", "Mustache"]),
        .executableTarget(name: "Herald", dependencies: ["HeraldCore"]),

        // Test support: a throwaway PostgreSQL, an HTTP client over raw sockets.
        .target(name: "HeraldTestSupport", dependencies: ["Basics", "Postgres", "LocalPostgres", "JSON", "HTTP"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "MustacheTests", dependencies: ["Mustache", "JSON", "HeraldTestSupport"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering", "Mustache", "JSON"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "LocalPostgres", "HeraldTestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "HeraldTestSupport"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Basics", "Delivery", "JSON", "Crypto", "HeraldTestSupport"]),
        .testTarget(name: "WorkerTests", dependencies: ["Basics", "Worker", "HeraldCore", "Store", "Postgres", "LocalPostgres", "Delivery", "Rendering", "HTTP",
                                                        "JSON", "Crypto", "Logging", "HeraldTestSupport"]),
        .testTarget(name: "APITests", dependencies: ["Basics", "HeraldCore", "API", "Studio", "Worker", "Store", "Postgres", "LocalPostgres", "HTTP", "JSON", "Crypto",
                                                     "Rendering", "HeraldTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
