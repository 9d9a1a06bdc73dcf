import Crypto
import JSON
import Store

/// `POST /notifications/send/bulk`: up to 1,000 messages of one template
/// through one channel. Messages without an idempotency key are accepted as
/// one batch row (one statement) that the worker fans out into notifications
/// (Store+Batches); keyed ones are written as one group (one transaction), as
/// concurrent single sends are. Each message is answered in order, with its
/// notification id or its own error; invalid ones do not stop the rest.
extension NotificationRoutes {
    private struct BulkMessage {
        let variables: JSONObject
        let recipient: JSONObject
        let idempotencyKey: String?
        let scheduledAt: String?
        let digest: String
    }

    static func sendBulk(store: Store, lookups: SendLookupCache, tenantId: String, channel: String, template: String,
                         messages: [JSONValue], locale: String?) async throws -> [BulkAnswer] {
        var answers = [BulkAnswer?](repeating: nil, count: messages.count)
        var parsed: [Int: BulkMessage] = [:]
        for (index, message) in messages.enumerated() {
            do {
                parsed[index] = try bulkMessage(message, at: index, scope: "\(tenantId)\u{0}\(template)\u{0}\(channel)")
            } catch {
                answers[index] = failure(error)
            }
        }
        // A key repeated within the request: later messages follow the first.
        var leaders: [String: Int] = [:]
        var followers: [(index: Int, leader: Int)] = []
        var open: [Int] = []
        for index in parsed.keys.sorted() {
            if let key = parsed[index]!.idempotencyKey {
                if let leader = leaders[key] { followers.append((index, leader)); continue }
                leaders[key] = index
            }
            open.append(index)
        }
        var fresh = false
        for _ in 0..<sendBuilds where !open.isEmpty {
            let found = try await lookups.lookups(tenantId: tenantId, channel: channel, template: template, fresh: fresh)
            // Keyed messages go as a group (their keys reference notifications);
            // the rest as one batch, fanned out by the worker (Store+Batches).
            var keyed: [Store.PendingSend] = [], keyedIndices: [Int] = []
            var batch: Store.NewBatch?, batchIndices: [Int] = []
            let batchId = Identifier.makeBatch()
            var refusedFromCache = false
            for index in open {
                let message = parsed[index]!
                do {
                    let new = try notification(found, tenantId: tenantId, variables: message.variables,
                                               recipient: message.recipient, locale: locale)
                    if message.idempotencyKey == nil {
                        let member = Store.BatchMessage(id: Identifier.batchMember(batchId, index: index), to: new.to,
                                                        locale: new.locale, variables: new.variables, rendered: new.rendered,
                                                        scheduledAt: message.scheduledAt)
                        if batch == nil { batch = Store.NewBatch(id: batchId, shared: new, messages: [], lookupVersion: found.version) }
                        batch!.messages.append(member)
                        batchIndices.append(index)
                    } else {
                        keyed.append(Store.PendingSend(new, scheduledAt: message.scheduledAt, idempotencyKey: message.idempotencyKey,
                                                       requestDigest: message.digest, lookupVersion: found.version))
                        keyedIndices.append(index)
                    }
                } catch {
                    if found.cached { refusedFromCache = true; break }
                    answers[index] = failure(error)
                }
            }
            if refusedFromCache { fresh = true; continue } // confirmed afresh before any message is refused
            let sending = keyedIndices + batchIndices
            let results = await store.sendGroup(keyed) + accept(batch, store: store)
            if !results.isEmpty, results.allSatisfy({ if case .failure(let error) = $0 { Store.isUnavailable(error) } else { false } }),
               case .failure(let error) = results[0] {
                throw error // nothing written: the whole request fails, as a single send would
            }
            var stale: [Int] = []
            for (index, result) in zip(sending, results) {
                switch result {
                case .success(.queued(let id)): answers[index] = .queued(id)
                case .success(.keyConflict): answers[index] = failure(keyConflict)
                case .success(.staleLookups): stale.append(index)
                case .failure(let error): answers[index] = failure(error)
                }
            }
            if !stale.isEmpty {
                lookups.invalidate(tenantId: tenantId, upTo: found.version)
                fresh = true
            }
            open = stale
        }
        for index in open {
            answers[index] = failure(APIError(.serviceUnavailable, "The tenant's channels or templates kept changing during the send"))
        }
        for (index, leader) in followers {
            let same = parsed[index]!.digest == parsed[leader]!.digest
            answers[index] = same ? answers[leader] : failure(keyConflict)
        }
        return answers.map { $0 ?? failure(APIError.internalError) }
    }

    /// The batch written as one row: each of its messages answered with its
    /// own id, or all with the batch's staleness or error.
    private static func accept(_ batch: Store.NewBatch?, store: Store) async -> [Result<Store.SendOutcome, any Error>] {
        guard let batch else { return [] }
        do {
            switch try await store.acceptBatch(batch) {
            case .accepted: return batch.messages.map { .success(.queued(notificationId: $0.id)) }
            case .staleLookups: return batch.messages.map { _ in .success(.staleLookups) }
            }
        } catch {
            return batch.messages.map { _ in .failure(error) }
        }
    }

    static let keyConflict = APIError(.conflict, "This idempotencyKey was used with a different message")

    private static func failure(_ error: any Error) -> BulkAnswer {
        .failed(APIError.from(error).json)
    }

    /// One message's answer: its notification id, or its error in the contract's shape.
    enum BulkAnswer {
        case queued(String)
        case failed(JSONValue)
    }

    /// `{status, data: [{notificationId} | {error}]}`, written straight into
    /// the body: a thousand answers built as JSON objects first cost a tenth
    /// of a bulk request.
    static func bulkResponse(_ answers: [BulkAnswer]) -> APIResponse {
        var body: [UInt8] = []
        body.reserveCapacity(40 + answers.count * 48)
        body.append(contentsOf: #"{"status":"success","data":["#.utf8)
        for (index, answer) in answers.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            switch answer {
            case .queued(let id):
                body.append(contentsOf: #"{"notificationId":"#.utf8)
                JSONValue.string(id).encode(into: &body)
            case .failed(let error):
                body.append(contentsOf: #"{"error":"#.utf8)
                error.encode(into: &body)
            }
            body.append(UInt8(ascii: "}"))
        }
        body.append(contentsOf: "]}".utf8)
        return APIResponse(body: body)
    }

    /// One message's fields; its digest covers the tenant, template, channel
    /// and the message, so a key reused for another message is a conflict.
    private static func bulkMessage(_ value: JSONValue, at index: Int, scope: String) throws -> BulkMessage {
        guard case .object(let object) = value else { throw APIError.validation(["messages[\(index)]: Expected object"]) }
        var input = Validator(object)
        let variables = input.optionalObject("variables") ?? JSONObject()
        let recipient = input.optionalObject("input") ?? JSONObject()
        var key: String?
        if let value = input["idempotencyKey"], !value.isNull {
            if let text = value.stringValue, !text.isEmpty, text.utf8.count <= 255 { key = text } else {
                input.fail("idempotencyKey: must be 1 to 255 characters")
            }
        }
        let scheduledAt = scheduledTime(input["scheduledAt"] ?? recipient["scheduledAt"]) { input.fail($0) }
        try input.check()
        // Only a key compares bodies: unkeyed messages skip the hash.
        let digest = key == nil ? "" : Hex.encode(SHA256.hash(Array(scope.utf8) + [0] + value.encoded()))
        return BulkMessage(variables: variables, recipient: recipient, idempotencyKey: key, scheduledAt: scheduledAt, digest: digest)
    }
}
