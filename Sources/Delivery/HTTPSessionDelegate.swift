import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The delegate of the URLSession that `HTTPProviderClient` owns. Driving
/// tasks through a delegate instead of `data(for:)` lets us:
/// - refuse redirects: a provider URL that redirects is misconfigured, and
///   following it would resend the body and auth headers to another place;
/// - keep only the first `maxBodyBytes` of a response and hang up, so a
///   webhook endpoint (chosen by a tenant) cannot make us buffer gigabytes.
///
/// (On Linux a task's own `delegate` is not called; only the session's is,
/// so one delegate serves every task, keyed by task identifier.)
final class HTTPSessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let maxBodyBytes: Int
    private let lock = NSLock()
    private var pending: [Int: Pending] = [:]

    private struct Pending {
        let continuation: CheckedContinuation<HTTPProviderResponse, any Error>
        var response: HTTPURLResponse?
        var body: [UInt8] = []
        var truncated = false
        /// The whole request body went out: a failure from here on may
        /// come after the provider accepted the request.
        var bodySent = false
    }

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Runs `task` to completion. Cancelling the calling Swift task cancels it.
    func run(_ task: URLSessionDataTask) async throws -> HTTPProviderResponse {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                lock.withLock { pending[task.taskIdentifier] = Pending(continuation: continuation) }
                // Cancelled before we began: a task cancelled while still
                // suspended need not report back, so do not start it at all.
                if Task.isCancelled, let state = lock.withLock({ pending.removeValue(forKey: task.taskIdentifier) }) {
                    state.continuation.resume(throwing: URLError(.cancelled))
                    return
                }
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { pending[dataTask.taskIdentifier]?.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflow = lock.withLock { () -> Bool in
            guard var state = pending[dataTask.taskIdentifier], !state.truncated else { return false }
            let room = maxBodyBytes - state.body.count
            state.body.append(contentsOf: data.prefix(room))
            state.truncated = data.count > room
            pending[dataTask.taskIdentifier] = state
            return state.truncated
        }
        // Enough to log and to find the message id: the rest is not read.
        if overflow { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        guard totalBytesSent >= totalBytesExpectedToSend else { return }
        lock.withLock { pending[task.taskIdentifier]?.bodySent = true }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)  // the 3xx itself becomes the response
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let state = lock.withLock({ pending.removeValue(forKey: task.taskIdentifier) }) else { return }
        // Our own hang-up after a full buffer is not a failure.
        if let error, !state.truncated {
            let handedOver = state.bodySent || state.response != nil
            state.continuation.resume(throwing: handedOver ? RequestHandedOver(underlying: error) : error)
        } else if let response = state.response {
            state.continuation.resume(returning: HTTPProviderResponse(response, body: state.body, truncated: state.truncated))
        } else {
            state.continuation.resume(throwing: URLError(.badServerResponse))
        }
    }
}

/// A transport failure after the request was fully sent (or answered in
/// part): `HTTPProviderClient` marks its `DeliveryError` `afterHandOver`.
struct RequestHandedOver: Error {
    let underlying: any Error
}

extension HTTPProviderResponse {
    init(_ response: HTTPURLResponse, body: [UInt8], truncated: Bool) {
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            guard let name = name as? String, let value = value as? String else { continue }
            headers[name.lowercased()] = value
        }
        self.init(status: response.statusCode, headers: headers, body: body, truncated: truncated)
    }
}
