import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT without a signal handler doing real work:
/// the signals are ignored by the process and delivered to a dispatch source.
public enum Signals {
    public static func waitForTermination() async -> Int32 {
        await withCheckedContinuation { continuation in
            let box = SignalSources()
            let queue = DispatchQueue(label: "herald.signals")
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    guard box.fire() else { return }
                    continuation.resume(returning: number)
                }
                source.resume()
                box.keep(source)
            }
        }
    }
}

/// Keeps the sources alive and makes sure the continuation resumes once.
private final class SignalSources: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var fired = false
    private let lock = NSLock()

    func keep(_ source: DispatchSourceSignal) {
        lock.lock()
        sources.append(source)
        lock.unlock()
    }

    func fire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if fired { return false }
        fired = true
        return true
    }
}
