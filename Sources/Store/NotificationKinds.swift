/// The words a notification is described by, shared by the store, the API
/// and the worker instead of strings repeated in each. Raw values are what
/// the database stores and the API shows; the migrations' CHECK constraints
/// list the same values.

/// Which kind of channel sends a notification; a template is written for one.
/// Declared in the order the API lists them.
public enum ChannelType: String, Sendable, Hashable, CaseIterable {
    case email, sms, push, webhook, inapp, chat
}

/// How urgently the worker claims a notification: lower first. Stored as a
/// smallint in `notifications` and `notification_queue`.
public enum NotificationPriority: Int, Sendable, Hashable, CaseIterable {
    /// Verification codes, invitations, tests: someone is waiting.
    case interactive = 0
    case normal = 1
    case bulk = 2
}

/// Where a notification is in its life. `sending` is never stored in
/// `notifications.status`: it is a queued row a worker holds a lease on.
public enum NotificationStatus: String, Sendable, Hashable, CaseIterable {
    case queued, sending, sent, failed, cancelled
}
