import HeraldCore
import Testing
import Worker

/// `Configuration` is the one reader of the environment: every setting below
/// it arrives as a value, with the same names, defaults and messages as before.
@Suite struct ConfigurationTests {
    @Test func workerSettingsDefaultToTheWorkersOwn() throws {
        let configuration = try Configuration(environment: [:])
        #expect(configuration.worker.concurrency == nil && configuration.worker.metricsPort == nil)
        let worker = configuration.workerConfiguration()
        let standard = WorkerConfiguration()
        #expect(worker.concurrency == standard.concurrency && worker.batchSize == standard.batchSize)
        #expect(worker.lease == standard.lease && worker.shutdownTimeout == standard.shutdownTimeout)
        #expect(worker.retentionDays == standard.retentionDays)
    }

    @Test func workerSettingsAreRead() throws {
        let configuration = try Configuration(environment: [
            "HERALD_WORKER_CONCURRENCY": "64", "HERALD_WORKER_BATCH": " 16 ", "HERALD_WORKER_LEASE_SECONDS": "9",
            "HERALD_SHUTDOWN_SECONDS": "0", "HERALD_RETENTION_DAYS": "0", "HERALD_WORKER_METRICS_PORT": "9102",
        ])
        let worker = configuration.workerConfiguration()
        #expect(worker.concurrency == 64 && worker.batchSize == 16)
        #expect(worker.lease == .seconds(9) && worker.heartbeatInterval == .seconds(3))
        #expect(worker.shutdownTimeout == .zero && worker.retentionDays == 0)
        #expect(configuration.worker.metricsPort == 9102)
    }

    @Test func circuitSettingsAreRead() throws {
        let standard = try Configuration(environment: [:]).workerConfiguration().circuit
        #expect(standard == CircuitBreaker.Settings())
        let circuit = try Configuration(environment: [
            "HERALD_CIRCUIT_FAILURES": "2", "HERALD_CIRCUIT_WINDOW_MS": "1500", "HERALD_CIRCUIT_COOLDOWN_MS": "250",
        ]).workerConfiguration().circuit
        #expect(circuit == CircuitBreaker.Settings(failures: 2, window: .milliseconds(1500), cooldown: .milliseconds(250)))
        #expect(throws: ConfigurationError.self) { try Configuration(environment: ["HERALD_CIRCUIT_FAILURES": "0"]) }
    }

    @Test func badValuesSayWhatIsWrong() {
        let cases = [
            ("HERALD_WORKER_BATCH", "0", "HERALD_WORKER_BATCH must be a whole number from 1 to 5000"),
            ("HERALD_WORKER_LEASE_SECONDS", "x", "HERALD_WORKER_LEASE_SECONDS must be a whole number from 1 to 86400"),
            ("HERALD_WORKER_METRICS_PORT", "0", "HERALD_WORKER_METRICS_PORT must be a port number"),
            ("HERALD_PORT", "70000", "HERALD_PORT must be a whole number from 0 to 65535"),
            ("HERALD_DATABASE_QUERY_TIMEOUT_MS", "5", "HERALD_DATABASE_QUERY_TIMEOUT_MS must be a whole number from 100 to 3600000"),
        ]
        for (name, value, message) in cases {
            #expect(throws: ConfigurationError.self) { try Configuration(environment: [name: value]) }
            do {
                _ = try Configuration(environment: [name: value])
            } catch {
                #expect("\(error)" == message)
            }
        }
    }

    @Test func localSettings() throws {
        let standard = try Configuration(environment: [:]).local
        #expect(standard.dataDirectory == ".herald/data" && standard.devDirectory == ".herald")
        #expect(standard.templatesDirectory == nil && standard.dnsResolver == nil)
        #expect(standard.passwordHasher.parameters == .owasp)
        let local = try Configuration(environment: [
            "HERALD_DATA_DIR": "/srv/data", "HERALD_DEV_DIR": "/tmp/dev", "HERALD_TEMPLATES_DIR": "/srv/templates",
            "HERALD_DNS_RESOLVER": "127.0.0.1:5353", "HERALD_PASSWORD_HASH_COST": "test",
            "HERALD_PG_BIN": "/opt/pg/bin", "PATH": "/usr/bin:/bin",
        ]).local
        #expect(local.dataDirectory == "/srv/data" && local.devDirectory == "/tmp/dev")
        #expect(local.templatesDirectory == "/srv/templates" && local.dnsResolver == "127.0.0.1:5353")
        #expect(local.passwordHasher.parameters == .testing)
        #expect(local.postgresBinaries.explicitDirectory == "/opt/pg/bin" && local.postgresBinaries.searchPath == "/usr/bin:/bin")
    }

    /// `herald dev` adds its secrets and its own database under what the environment sets.
    @Test func defaultsFillOnlyWhatTheEnvironmentLeavesUnset() throws {
        let configuration = try Configuration(environment: ["DATABASE_URL": "", "HERALD_PORT": "4100"])
        let merged = try configuration.addingDefaults(["DATABASE_URL": "postgresql:///dev", "HERALD_PORT": "1",
                                                       "HERALD_JWT_SECRET": "s"])
        #expect(merged.databaseURL == "postgresql:///dev")
        #expect(merged.port == 4100)
        #expect(merged.jwtSecret == "s")
    }
}
