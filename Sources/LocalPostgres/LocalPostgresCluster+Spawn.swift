import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// Runs `argv` with stdin from /dev/null and stdout+stderr to `output`,
/// every other descriptor closed, and waits for it; returns the exit status.
///
/// Why not Foundation `Process`: on Linux it passes the child one end of a
/// socketpair and detects exit by EOF on it. `pg_ctl start` leaves the
/// postmaster running with that descriptor inherited, so EOF never comes and
/// `waitUntilExit()` hangs forever. posix_spawn with closefrom(3) avoids it.
func spawnAndWait(_ argv: [String], output: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    closeInheritedDescriptors(&actions)

    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    guard rc == 0 else {
        throw PostgresError(.cluster, "could not run \(argv[0]): \(String(cString: strerror(rc)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw PostgresError(.cluster, "waitpid failed: errno \(errno)") }
    }
    // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
}

/// Adds "close every descriptor from 3 up" to `actions`: glibc's
/// posix_spawn_file_actions_addclosefrom_np (2.34+, not visible to Swift
/// without _GNU_SOURCE, hence dlsym), else one close per open descriptor.
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
        let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
        if closeFrom(&actions, 3) == 0 { return }
    }
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap({ Int32($0) }) where fd > 2 {
        posix_spawn_file_actions_addclose(&actions, fd)
    }
}
