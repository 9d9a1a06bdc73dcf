import Basics
import Postgres

/// Runs `argv` with stdin from /dev/null and stdout+stderr to `output`,
/// every other descriptor closed, and waits for it; returns the exit status.
/// Through ChildProcess, not Foundation's `Process`: `pg_ctl start` leaves
/// the postmaster running, which `Process` would wait for forever.
func spawnAndWait(_ argv: [String], output: String) throws -> Int32 {
    do {
        return try ChildProcess(argv[0], Array(argv.dropFirst()), output: .file(output, append: false), error: .sameAsOutput)
            .waitUntilExit()
    } catch let error as ChildProcessError {
        throw PostgresError(.cluster, error.description)
    }
}
