import JSON

/// `POST /notifications/send/bulk` in the served document (issue 15).
extension OpenAPIDocument {
    static let bulkSendBody = objectSchema([
        ("tenantId", idSchema),
        ("template", ["type": "string", "minLength": 1, "maxLength": 200]),
        ("channel", ["type": "string", "minLength": 1, "maxLength": 200]),
        ("messages", ["type": "array", "minItems": 1, "maxItems": .int(Int64(NotificationRoutes.bulkLimit)),
                      "items": objectSchema([
                          ("variables", ["type": "object"]),
                          ("input", ["type": "object"]),
                          ("idempotencyKey", ["type": "string", "minLength": 1, "maxLength": 255]),
                          ("scheduledAt", ["type": "string", "format": "date-time"]),
                      ], required: [])]),
    ], required: ["tenantId", "template", "channel", "messages"])

    static let bulkSendAnswer: JSONValue = objectSchema([
        ("status", ["type": "string", "enum": ["success"]]),
        ("data", ["type": "array", "items": ["oneOf": [
            objectSchema([("notificationId", idSchema)], required: ["notificationId"]),
            objectSchema([("error", ["type": "object", "required": ["message", "code"],
                                     "properties": ["message": ["type": "string"], "code": ["type": "string"]]])],
                         required: ["error"]),
        ]]]),
    ], required: ["status", "data"])

    static var bulkSendPath: (String, JSONValue) {
        var operation: JSONObject = [
            "operationId": "herald-notifications-sendBulk", "tags": ["Herald"],
            "summary": "Queue up to 1,000 messages of one template through one channel",
            "description": """
                Each message is rendered and checked now and answered in order with its notificationId or \
                its own error ({message, code}); invalid ones do not stop the rest. Valid messages without an \
                idempotencyKey are accepted as one batch that the worker fans out into notifications at once \
                (reading one of its ids fans it out first; the logs and stats show them once fanned out); \
                keyed ones are queued in one transaction, and a key repeated with the same message answers \
                the same notification.
                """,
            "requestBody": ["required": true, "content": ["application/json": ["schema": bulkSendBody]]],
            "responses": ["200": ["description": "One answer per message, in order",
                                  "content": ["application/json": ["schema": bulkSendAnswer]]],
                          "default": ["$ref": "#/components/responses/error"]],
        ]
        operation["parameters"] = []
        return ("/notifications/send/bulk", ["post": .object(operation)])
    }
}
