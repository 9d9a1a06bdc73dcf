import Postgres

extension Store {
    /// The claim's columns in the order its SELECT lists them. A claim's rows
    /// are read by position: a read by name hashes the name, once per cell,
    /// and a full claim reads thousands of cells. The names are checked
    /// against the result once per claim, so a reordered SELECT fails loudly.
    enum ClaimColumn: Int, CaseIterable {
        case id, tenantId, type, templateId, templateName, channelId, channelProvider, channelEnabled, channelVersion,
             recipients, variables, rendered, locale, attempt, maxAttempts, priority, test, suppressed, channelStep,
             channelPinned

        static let names = [
            "id", "tenant_id", "type", "template_id", "template_name", "channel_id", "channel_provider", "channel_enabled",
            "channel_version", "recipients", "variables", "rendered", "locale", "attempt", "max_attempts", "priority",
            "test", "suppressed", "channel_step", "channel_pinned",
        ]

        static func decode(_ rows: PostgresRows) throws -> [ClaimedNotification] {
            guard rows.columns == names else {
                throw PostgresError(.decoding, "the claim's columns are \(rows.columns), expected \(names)")
            }
            return try rows.map { row in
                func value<T: PostgresDecodable>(_ column: ClaimColumn, as type: T.Type = T.self) throws -> T {
                    try row.decode(column.rawValue, as: T.self)
                }
                return ClaimedNotification(
                    id: try value(.id), tenantId: try value(.tenantId), type: try value(.type),
                    templateId: try value(.templateId), templateName: try value(.templateName),
                    channelId: try value(.channelId), channelProvider: try value(.channelProvider),
                    channelEnabled: try value(.channelEnabled), channelVersion: try value(.channelVersion),
                    recipients: try value(.recipients), variables: try value(.variables), rendered: try value(.rendered),
                    locale: try value(.locale), attempt: try value(.attempt), maxAttempts: try value(.maxAttempts),
                    priority: try value(.priority), test: try value(.test),
                    suppressed: suppressedRecipients(try value(.suppressed)),
                    channelStep: Int(try value(.channelStep, as: Int16.self)), channelPinned: try value(.channelPinned))
            }
        }
    }
}
