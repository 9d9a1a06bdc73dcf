extension Projection {
    /// What providers said about a notification after taking it (issue 14):
    /// its delivery status and the events, oldest first, as a jsonb object
    /// to merge into `GET /notifications/{id}` (Herald's own answer, not a
    /// contract object).
    static let notificationDelivery = """
        jsonb_build_object('deliveryStatus', t.delivery_status, 'deliveryDetail', t.delivery_detail,
          'deliveryUpdatedAt', herald_ts(t.delivery_updated_at), 'events', coalesce(
          (SELECT jsonb_agg(jsonb_build_object('id', e.id, 'kind', e.kind, 'recipient', e.recipient, 'detail', e.detail,
                                               'provider', e.provider, 'occurredAt', herald_ts(e.occurred_at))
                            ORDER BY e.occurred_at, e.created_at, e.id)
           FROM notification_events e WHERE e.notification_id = t.id AND e.tenant_id = t.tenant_id), '[]'::jsonb))
        """
}
