import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn: the one way Herald (pg_ctl,
/// initdb) and its tests (peers, the `herald` binary) start programs.
///
/// Why not Foundation's `Process` on Linux:
/// - it passes the child one end of a socketpair and notices the exit by EOF
///   on it, so a child that leaves a daemon behind (`pg_ctl start`) never
///   "exits";
/// - `run()` crashes now and then (a 256-byte read past `readdir`'s buffer
///   while it lists /proc/self/fd: swift-corelibs-foundation#5472, in Swift
///   6.3.1), seen here taking down a whole test run.
///
/// The child gets descriptors 0, 1 and 2 as asked and no other: every
/// descriptor from 3 up is closed in it.
public final class ChildProcess: @unchecked Sendable {
    /// Where a standard stream of the child goes.
    public enum Stream: Sendable {
        /// This process's own.
        case inherit
        case null
        /// A pipe; the parent's end is `standardInput`/`standardOutput`/`standardError`.
        case pipe
        /// A file, created if missing; appended to, or truncated first.
        case file(String, append: Bool)
        /// Standard error only: wherever standard output goes.
        case sameAsOutput
    }

    public let processIdentifier: pid_t
    /// The parent's end of each stream asked as `.pipe`.
    public let standardInput: FileHandle?
    public let standardOutput: FileHandle?
    public let standardError: FileHandle?
    private let exit = Locked<Int32?>(nil)

    /// Starts `executable` (a path) with `arguments`. `environment` nil: this
    /// process's. `directory`: the child's working directory.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                directory: String? = nil, input: Stream = .null, output: Stream = .null, error: Stream = .null) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var parentEnds: [Int32: FileHandle] = [:]
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        for (target, stream) in [(Int32(0), input), (1, output), (2, error)] {
            switch stream {
            case .inherit:
                break
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path, let append):
                let flags = (target == 0 ? O_RDONLY : O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC))
                posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o644)
            case .sameAsOutput:
                posix_spawn_file_actions_adddup2(&actions, 1, target)
            case .pipe:
                var ends: [Int32] = [-1, -1]
                // pipe2 needs _GNU_SOURCE; the moment without close-on-exec matters little, as every
                // ChildProcess closes what it did not ask for.
                guard pipe(&ends) == 0 else { throw ChildProcessError(executable, "pipe: errno \(errno)") }
                for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
                let (parent, child) = target == 0 ? (ends[1], ends[0]) : (ends[0], ends[1])
                parentEnds[target] = FileHandle(fileDescriptor: parent, closeOnDealloc: true)
                childEnds.append(child)
                posix_spawn_file_actions_adddup2(&actions, child, target) // dup2 clears close-on-exec
            }
        }
        Self.closeFrom3(&actions)
        if let directory { try Self.changeDirectory(&actions, directory, executable) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = envp.map { posix_spawn(&pid, executable, &actions, nil, argv, $0) } ?? posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw ChildProcessError(executable, String(cString: strerror(rc))) }
        processIdentifier = pid
        standardInput = parentEnds[0]
        standardOutput = parentEnds[1]
        standardError = parentEnds[2]
    }

    /// Runs `executable` to its end; answers its exit status and what it
    /// wrote to standard output and standard error, together.
    public static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           directory: String? = nil) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory,
                                     output: .pipe, error: .sameAsOutput)
        let output = child.standardOutput!.readDataToEndOfFile()
        return (child.waitUntilExit(), String(decoding: output, as: UTF8.self))
    }

    /// The exit status, or 128 + the signal that ended it; nil while it runs.
    public var terminationStatus: Int32? { reap(blocking: false) }

    public var isRunning: Bool { terminationStatus == nil }

    /// Waits for the child to end; answers `terminationStatus`.
    @discardableResult
    public func waitUntilExit() -> Int32 { reap(blocking: true)! }

    /// Sends `signal` (SIGTERM by default) unless the child has been reaped.
    public func signal(_ signal: Int32 = SIGTERM) {
        if exit.withLock({ $0 }) == nil { _ = kill(processIdentifier, signal) }
    }

    /// waitpid outside the lock, so a signal can be sent while another thread
    /// waits; a second reaper (ECHILD) reads what the first stored.
    private func reap(blocking: Bool) -> Int32? {
        if let known = exit.withLock({ $0 }) { return known }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &status, blocking ? 0 : WNOHANG) } while result < 0 && errno == EINTR
        if result == 0 { return nil }
        guard result == processIdentifier else {
            for _ in 0..<2000 {
                if let known = exit.withLock({ $0 }) { return known }
                usleep(1000)
            }
            return exit.withLock { $0 = $0 ?? -1; return $0 }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exit.withLock { $0 = code }
        return code
    }

    private typealias FileActionWithInt = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias FileActionWithPath = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>,
                                                           UnsafePointer<CChar>) -> Int32

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+; not visible to
    /// Swift without _GNU_SOURCE, hence dlsym), else one close per descriptor
    /// open now.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np"),
           unsafeBitCast(symbol, to: FileActionWithInt.self)(&actions, 3) == 0 {
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    /// posix_spawn_file_actions_addchdir_np (glibc 2.29+), through dlsym as above.
    private static func changeDirectory(_ actions: inout posix_spawn_file_actions_t, _ directory: String, _ executable: String) throws {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np"),
              unsafeBitCast(symbol, to: FileActionWithPath.self)(&actions, directory) == 0 else {
            throw ChildProcessError(executable, "this C library cannot start a program in another directory")
        }
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let executable: String
    public let reason: String

    init(_ executable: String, _ reason: String) {
        self.executable = executable
        self.reason = reason
    }

    public var description: String { "could not run \(executable): \(reason)" }
}
