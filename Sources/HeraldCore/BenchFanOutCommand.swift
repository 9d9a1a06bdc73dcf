import Basics
import Crypto
import Foundation
import Postgres
import Store

/// `herald bench fan-out [--clients N]`: fans out every bulk batch pending on
/// DATABASE_URL with the worker's own statement (`Store.fanOutBatches`), N
/// loops at once as N workers would, until none is left; prints the batches,
/// the notifications written and their rate. `deploy/bench-send.sh` runs it
/// right after the bulk sends it measured, so the cost the API's acceptance
/// leaves to the worker is printed beside it.
public enum BenchFanOutCommand {
    static let usage = "usage: herald bench fan-out [--clients N] (DATABASE_URL: the database the bulk sends went to)"

    public static func run(_ arguments: [String]) async -> Int32 {
        do {
            let options = try CommandOptions(arguments, valued: ["--clients"], flags: [])
            guard options.positional.isEmpty, let clients = Int(options.values["--clients"] ?? "1"), (1...64).contains(clients) else {
                throw CommandFailure.usage(usage)
            }
            let configuration = try Configuration()
            let pool = PostgresPool(url: try configuration.requireDatabaseURL(), size: clients)
            defer { pool.close() }
            let store = Store(pool: pool, keyring: Keyring(masterKey: try MasterKey(hex: MasterKey.generateHex())))
            let start = ContinuousClock.now
            let totals = try await withThrowingTaskGroup(of: Store.FanOut.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        var total = Store.FanOut(batches: 0, notifications: 0)
                        while true {
                            let done = try await store.fanOutBatches()
                            total.batches += done.batches
                            total.notifications += done.notifications
                            if done.batches == 0 { return total }
                        }
                    }
                }
                return try await group.reduce(into: Store.FanOut(batches: 0, notifications: 0)) {
                    $0.batches += $1.batches
                    $0.notifications += $1.notifications
                }
            }
            let seconds = (ContinuousClock.now - start).seconds
            printOut("""
                clients=\(clients)
                batches=\(totals.batches)
                notifications=\(totals.notifications)
                seconds=\(String(format: "%.3f", seconds))
                fan_out_rows_per_s=\(Int((Double(totals.notifications) / max(seconds, 0.001)).rounded()))
                """)
            return 0
        } catch {
            return error.report()
        }
    }
}
