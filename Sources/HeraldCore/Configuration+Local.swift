import Crypto
import Foundation
import LocalPostgres

extension Configuration {
    /// Files, folders and local services: where Herald finds its templates and
    /// keeps uploads, and what `herald dev` and domain verification use.
    public struct LocalSettings: Sendable {
        /// `HERALD_TEMPLATES_DIR`: the built-in templates; nil searches `./templates`
        /// and beside the binary's repository.
        public var templatesDirectory: String?
        /// `PATH`, to find the running binary (and so its repository) by name.
        public var searchPath: String
        /// `HERALD_DATA_DIR` (default `.herald/data`): uploaded files.
        public var dataDirectory: String
        /// `HERALD_DEV_DIR` (default `.herald`): `herald dev`'s secrets, PostgreSQL and outbox.
        public var devDirectory: String
        /// `HERALD_PG_BIN`, then `PATH`: where `herald dev` finds PostgreSQL's server binaries.
        public var postgresBinaries: LocalPostgresCluster.Binaries
        /// `HERALD_DNS_RESOLVER` (`host`, `host:port`, `[v6]:port`): the resolver
        /// domain verification asks; nil uses /etc/resolv.conf.
        public var dnsResolver: String?
        /// `HERALD_PASSWORD_HASH_COST=test` picks cheap scrypt parameters (test suites only).
        public var passwordHasher: PasswordHasher

        init(_ reader: SettingsReader) {
            templatesDirectory = reader.text("HERALD_TEMPLATES_DIR")
            searchPath = reader.environment["PATH"] ?? ""
            dataDirectory = reader.text("HERALD_DATA_DIR") ?? ".herald/data"
            devDirectory = reader.text("HERALD_DEV_DIR") ?? ".herald"
            postgresBinaries = LocalPostgresCluster.Binaries(explicitDirectory: reader.text("HERALD_PG_BIN"),
                                                             searchPath: searchPath)
            dnsResolver = reader.text("HERALD_DNS_RESOLVER")
            passwordHasher = reader.environment["HERALD_PASSWORD_HASH_COST"] == "test" ? .testing : PasswordHasher()
        }
    }
}
