import Foundation
import HeraldCore

// Two malloc arenas instead of one per thread: the pool and loop threads
// would otherwise each keep megabytes of mostly idle heap. mallopt lives in
// <malloc.h>, which Glibc's module does not export, hence dlsym.
if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    let M_ARENA_MAX: Int32 = -8
    _ = mallopt(M_ARENA_MAX, 2)
}
exit(await CLI.main(Array(CommandLine.arguments.dropFirst())))
