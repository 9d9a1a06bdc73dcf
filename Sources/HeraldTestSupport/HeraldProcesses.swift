import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `herald` processes a test starts (the binary beside the test bundle),
/// killed when the test ends however it ends, so a failed or timed-out run
/// leaves no worker polling a removed database.
public final class HeraldProcesses: Sendable {
    /// The `herald` binary `swift build` put beside the tests.
    public static var binaryPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("herald").path
    }

    private let processes = Locked<[ChildProcess]>([])

    public init() {}

    /// Starts `herald arguments…` with `environment` (PATH added, and
    /// deploy/test.sh's folder, so its cleanup kills what a time limit left),
    /// its standard error appended to `log` when given.
    public func launch(_ arguments: [String], environment: [String: String], log: URL? = nil) throws -> ChildProcess {
        var environment = environment
        environment["PATH"] = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment["HERALD_TEST_TMPDIR"] = ProcessInfo.processInfo.environment["HERALD_TEST_TMPDIR"] ?? ""
        let process = try ChildProcess(Self.binaryPath, arguments, environment: environment,
                                       error: log.map { .file($0.path, append: true) } ?? .null)
        processes.withLock { $0.append(process) }
        return process
    }

    /// SIGKILL, then waits for the process to be gone.
    public static func kill(_ process: ChildProcess) {
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM (a graceful stop), then waits for the exit on a thread of its
    /// own; answers the exit status.
    public static func stop(_ process: ChildProcess) async -> Int32 {
        process.signal(SIGTERM)
        return await onOwnThread { process.waitUntilExit() }
    }

    public func killAll() {
        for process in processes.withLock({ $0 }) { process.signal(SIGKILL); process.waitUntilExit() }
    }
}
