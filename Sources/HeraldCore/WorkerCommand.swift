import Foundation
import Logging

/// `herald worker`: the delivery daemon. Until the queue lands it only waits.
enum WorkerCommand {
    static func run(_ arguments: [String]) async throws -> Int32 {
        let configuration = try Configuration()
        _ = try configuration.requireSecrets()
        _ = try configuration.requireDatabaseURL()
        let logger = Logger(label: "herald", level: configuration.logLevel).with(("component", "worker"))
        logger.info("worker waiting for notifications")
        let signal = await Signals.waitForTermination()
        logger.info("worker stopped", ("signal", .int(Int(signal))))
        return 0
    }
}
