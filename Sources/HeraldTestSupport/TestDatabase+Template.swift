import Foundation
import Postgres

extension TestDatabase {
    /// A fresh database cloned from a template prepared once per process by
    /// `prepare` (for instance: run every migration). Cloning with
    /// `CREATE DATABASE … TEMPLATE` takes milliseconds, so every test can
    /// start from a clean, migrated schema.
    public static func cloned(template key: String,
                              prepare: @escaping @Sendable (PostgresPool) async throws -> Void) async throws -> TestDatabase {
        try await TemplateDatabases.shared.clone(key: key, prepare: prepare)
    }
}

private actor TemplateDatabases {
    static let shared = TemplateDatabases()
    private var templates: [String: Task<TestDatabase, any Error>] = [:]
    private var counter = 0

    func clone(key: String, prepare: @escaping @Sendable (PostgresPool) async throws -> Void) async throws -> TestDatabase {
        let task = templates[key] ?? Task {
            let database = try await TestDatabase.create()
            let pool = database.pool(size: 1)
            do {
                try await prepare(pool)
                pool.close()
            } catch {
                pool.close()
                throw error
            }
            return database
        }
        templates[key] = task
        let template = try await task.value
        counter += 1
        let name = "\(template.name)_c\(counter)"
        let admin = PostgresPool(configuration: .init(url: try await TestDatabase.adminURL(), size: 1,
                                                    acquireTimeout: .seconds(300), connectTimeout: TestDatabase.connectTimeout))
        defer { admin.close() }
        try await admin.withConnection { _ = try $0.execute("CREATE DATABASE \"\(name)\" TEMPLATE \"\(template.name)\"") }
        return TestDatabase(name: name, url: replacingDatabase(in: template.url, with: name))
    }
}
