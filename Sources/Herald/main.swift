import Foundation
import HeraldCore

exit(await CLI.main(Array(CommandLine.arguments.dropFirst())))
