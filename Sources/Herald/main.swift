import Foundation
import HeraldCore

// Unbuffered standard output, so `herald token create` pipes cleanly and
// `herald dev` shows its banner at once.
setvbuf(stdout, nil, _IOLBF, 0)
exit(await CLI.main(Array(CommandLine.arguments.dropFirst())))
