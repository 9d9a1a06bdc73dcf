import Postgres

extension Store {
    /// `finish`'s parameters ($2…$16 of `finishStatement`): one array per
    /// column, built in one pass over the outcomes. A key-path map per column
    /// copied every outcome (a dozen retains and releases) fifteen times.
    ///
    /// A column with nothing but its default in the batch goes as NULL, which
    /// `unnest` pads to the other arrays' length: nearly every batch has no
    /// failover step, pin or delivery status, and most no error or response,
    /// so those cost neither encoding here nor parsing in PostgreSQL.
    struct FinishParameters {
        private var ids: [String] = [], attempts: [Int] = [], kinds: [String] = []
        private var providerMessageIds: [String?] = [], errors: [String?] = [], retryMilliseconds: [Int64] = []
        private var startedAt: [Double] = [], durations: [Int] = [], responses: [String?] = [], rendered: [String?] = []
        private var steps: [Int] = [], pinned: [Bool] = [], channelIds: [String?] = [], providers: [String?] = []
        private var deliveryStatuses: [String?] = []
        /// Whether any outcome has a value other than the column's default.
        private var present = (providerMessageId: false, error: false, response: false, rendered: false, step: false,
                           pinned: false, channelId: false, provider: false, deliveryStatus: false)

        init(_ outcomes: [QueueOutcome]) {
            reserve(outcomes.count)
            for outcome in outcomes {
                ids.append(outcome.id)
                attempts.append(outcome.attempt)
                kinds.append(outcome.kind.rawValue)
                providerMessageIds.append(outcome.providerMessageId)
                errors.append(outcome.error.map(Store.trimmed))
                retryMilliseconds.append(outcome.retryDelay.wholeMilliseconds)
                startedAt.append(outcome.startedAt.timeIntervalSince1970)
                durations.append(outcome.durationMilliseconds)
                responses.append(outcome.providerResponse.map(Store.trimmed))
                rendered.append(outcome.rendered)
                steps.append(outcome.nextStep)
                pinned.append(outcome.pinned)
                channelIds.append(outcome.channelId)
                providers.append(outcome.provider)
                deliveryStatuses.append(outcome.deliveryStatus)
                present.providerMessageId = present.providerMessageId || outcome.providerMessageId != nil
                present.error = present.error || outcome.error != nil
                present.response = present.response || outcome.providerResponse != nil
                present.rendered = present.rendered || outcome.rendered != nil
                present.step = present.step || outcome.nextStep != 0
                present.pinned = present.pinned || outcome.pinned
                present.channelId = present.channelId || outcome.channelId != nil
                present.provider = present.provider || outcome.provider != nil
                present.deliveryStatus = present.deliveryStatus || outcome.deliveryStatus != nil
            }
        }

        private mutating func reserve(_ count: Int) {
            ids.reserveCapacity(count); attempts.reserveCapacity(count); kinds.reserveCapacity(count)
            providerMessageIds.reserveCapacity(count); errors.reserveCapacity(count); retryMilliseconds.reserveCapacity(count)
            startedAt.reserveCapacity(count); durations.reserveCapacity(count); responses.reserveCapacity(count)
            rendered.reserveCapacity(count); steps.reserveCapacity(count); pinned.reserveCapacity(count)
            channelIds.reserveCapacity(count); providers.reserveCapacity(count); deliveryStatuses.reserveCapacity(count)
        }

        func binds(workerId: String) -> [(any PostgresBind)?] {
            func column(_ values: some PostgresBind, _ present: Bool) -> (any PostgresBind)? { present ? values : nil }
            return [
                workerId, ids, attempts, kinds, column(providerMessageIds, present.providerMessageId), column(errors, present.error),
                retryMilliseconds, startedAt, durations, column(responses, present.response), column(rendered, present.rendered),
                column(steps, present.step), column(pinned, present.pinned), column(channelIds, present.channelId),
                column(providers, present.provider), column(deliveryStatuses, present.deliveryStatus),
            ]
        }
    }
}
