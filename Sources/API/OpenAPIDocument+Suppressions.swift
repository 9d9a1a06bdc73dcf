import JSON

/// The suppression list's operations (SuppressionRoutes), as strictly as the routes check them.
extension OpenAPIDocument {
    /// What `SuppressionRoutes.isAddress` takes, narrowed so that every string
    /// the pattern describes is accepted: an e-mail address or an E.164 number.
    static let suppressionAddress: JSONValue = [
        "type": "string", "maxLength": 320,
        "pattern": "^([a-z0-9._+-]{1,64}@([a-z0-9]{1,20}\\.){1,4}[a-z]{2,10}|\\+[1-9][0-9]{7,14})$",
        "description": "An e-mail address (compared case-insensitively) or an E.164 phone number",
    ]

    static let suppression: JSONValue = [
        "type": "object", "additionalProperties": false,
        "required": ["id", "tenantId", "address", "reason", "detail", "notificationId", "createdAt"],
        "properties": [
            "id": ["type": "string"], "tenantId": ["type": "string"],
            "address": ["type": "string", "description": "As compared: e-mail addresses lower-cased"],
            "reason": ["type": "string", "enum": ["hard_bounce", "complaint", "manual"]],
            "detail": nullableString, "notificationId": nullableString,
            "createdAt": ["type": "string", "format": "date-time"],
        ],
    ]

    private static let listMeta: JSONValue = objectSchema([
        ("total", ["type": "integer"]), ("count", ["type": "integer"]), ("numPages", ["type": "integer"]),
        ("perPage", ["type": "integer"]),
        ("prev", ["type": "string", "format": "date-time", "nullable": true]),
        ("next", ["type": "string", "format": "date-time", "nullable": true]),
    ], required: ["total", "count", "numPages", "perPage", "prev", "next"])

    private static func suppressionOperation(_ id: String, _ summary: String, response: JSONValue,
                                             parameters: [JSONValue] = [], body: JSONValue? = nil) -> JSONValue {
        var object: JSONObject = [
            "operationId": .string(id), "summary": .string(summary), "tags": ["Herald"],
            "responses": ["200": ["description": "Successful response", "content": ["application/json": ["schema": response]]],
                          "default": ["$ref": "#/components/responses/error"]],
        ]
        if !parameters.isEmpty { object["parameters"] = .array(parameters) }
        if let body { object["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]] }
        return .object(object)
    }

    private static func query(_ name: String, _ schema: JSONValue, required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": "query", "required": .bool(required), "schema": schema]
    }

    static var suppressionPaths: [(String, JSONValue)] {
        let one = objectSchema([("status", ["type": "string", "enum": ["success"]]), ("data", suppression)],
                               required: ["status", "data"])
        let list = objectSchema([("status", ["type": "string", "enum": ["success"]]),
                                 ("data", ["type": "array", "items": suppression]), ("meta", listMeta)],
                                required: ["status", "data", "meta"])
        let idParameter: JSONValue = ["name": "id", "in": "path", "required": true, "schema": idPattern]
        return [
            ("/notifications/suppressions", [
                "get": suppressionOperation(
                    "herald-suppressions-list", "The tenant's suppressed addresses, newest first", response: list,
                    parameters: [query("tenantId", idSchema, required: true), query("address", suppressionAddress),
                                 query("cursor", ["type": "string", "format": "date-time"]),
                                 query("perPage", ["type": "integer", "minimum": 1, "maximum": 100])]),
                "post": suppressionOperation(
                    "herald-suppressions-add",
                    "Suppress an address (reason manual); an address already listed answers the suppression there, unchanged",
                    response: one,
                    body: objectSchema([("tenantId", idSchema), ("address", suppressionAddress),
                                        ("detail", ["type": "string", "maxLength": 1000, "nullable": true])],
                                       required: ["tenantId", "address"])),
            ]),
            ("/notifications/suppressions/{id}", [
                "get": suppressionOperation("herald-suppressions-get", "One suppression", response: one,
                                            parameters: [idParameter]),
                "delete": suppressionOperation("herald-suppressions-remove",
                                               "Remove a suppression: sends to the address go out again (logged)",
                                               response: objectSchema([("deleted", ["type": "boolean"])], required: ["deleted"]),
                                               parameters: [idParameter]),
            ]),
        ]
    }
}
