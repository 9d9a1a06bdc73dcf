import JSON

/// The template studio's operations and what they add to the contract's own
/// (API.md §1 and README "For template authors"), as strictly as the routes check.
extension OpenAPIDocument {
    static let idPattern: JSONValue = ["type": "string", "pattern": "^c[^\\s-]{8,}$"]
    static let nullableString: JSONValue = ["type": "string", "nullable": true]

    /// `{message, part, locale, line, column, detail}`.
    static let templateIssue: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["message"],
        "properties": [
            "message": ["type": "string"], "part": ["type": "string"], "locale": nullableString,
            "line": ["type": "integer", "minimum": 0], "column": ["type": "integer", "minimum": 0], "detail": ["type": "string"],
        ],
    ]

    static let dependent = objectSchema([("id", ["type": "string"]), ("name", ["type": "string"]), ("type", ["type": "string"])],
                                        required: ["id", "name", "type"])

    /// The contract's error object, with template issues' extra fields and a 409's `usedBy`.
    static func extendErrors(_ document: inout JSONObject) {
        guard case .object(var components)? = document["components"],
              case .object(var responses)? = components["responses"] else { return }
        responses["error"] = ["description": "Error response", "content": ["application/json": ["schema": [
            "type": "object", "additionalProperties": false, "required": ["message", "code"],
            "properties": [
                "message": ["type": "string"], "code": ["type": "string"],
                "issues": ["type": "array", "items": templateIssue],
                "usedBy": ["type": "array", "items": dependent],
            ],
        ]]]]
        components["responses"] = .object(responses)
        document["components"] = .object(components)
    }

    /// Herald's additions to contract operations: `dryRun` and `draft` on the
    /// test, `force` on the template delete.
    static func extendContractOperations(_ paths: inout JSONObject) {
        if case .object(var item)? = paths["/notifications/test"], case .object(var operation)? = item["post"],
           case .object(var schema)? = operation["requestBody"]?["content"]?["application/json"]?["schema"],
           case .object(var properties)? = schema["properties"] {
            properties["dryRun"] = ["type": "boolean", "description": "Render only; channelId and input become optional"]
            properties["draft"] = ["type": "boolean", "description": "Render the template's draft instead of the published template"]
            schema["properties"] = .object(properties)
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": .object(schema)]]]
            operation["description"] = """
                Fills the tenant's context (tenant, brand) under the variables; without variables, the template's \
                sample data is used.
                """
            item["post"] = .object(operation)
            paths["/notifications/test"] = .object(item)
        }
        if case .object(var item)? = paths["/notifications/templates/{id}"], case .object(var operation)? = item["delete"] {
            var parameters = operation["parameters"]?.arrayValue ?? []
            parameters.append(["name": "force", "in": "query", "required": false,
                               "description": "Delete even when other templates use this one as a partial or layout (else 409)",
                               "schema": ["type": "string", "enum": ["true", "false"]]])
            operation["parameters"] = .array(parameters)
            item["delete"] = .object(operation)
            paths["/notifications/templates/{id}"] = .object(item)
        }
    }

    private static func success(_ data: JSONValue) -> JSONValue {
        objectSchema([("status", ["type": "string", "enum": ["success"]]), ("data", data)], required: ["status", "data"])
    }

    private static func studioOperation(_ id: String, _ summary: String, response: JSONValue, body: JSONValue? = nil,
                                        ifMatch: Bool = false) -> JSONValue {
        var parameters: [JSONValue] = [["name": "id", "in": "path", "required": true, "schema": idPattern]]
        if ifMatch {
            parameters.append(["name": "If-Match", "in": "header", "required": false,
                               "description": "The template's version as its ETag sent it; 412 when it moved on",
                               "schema": ["type": "string", "pattern": "^(W/)?\"[0-9]{1,9}\"$"]])
        }
        var object: JSONObject = [
            "operationId": .string(id), "summary": .string(summary), "tags": ["Herald"], "parameters": .array(parameters),
            "responses": ["200": ["description": "Successful response", "content": ["application/json": ["schema": response]]],
                          "default": ["$ref": "#/components/responses/error"]],
        ]
        if let body { object["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]] }
        return .object(object)
    }

    static let sampleObject: JSONValue = ["type": "object", "description": "Sample variables: a JSON object, at most 64 KiB encoded"]
    static let anyBody: JSONValue = ["oneOf": [["type": "object"], ["type": "string"]]]
    static let contentDocument: JSONValue = [
        "type": "object", "additionalProperties": false,
        "properties": ["assets": ["type": "array", "items": ["type": "object"]],
                       "pages": ["type": "array", "items": ["type": "object"]],
                       "styles": ["type": "array", "items": ["type": "object"]]],
    ]
    static let draft: JSONValue = [
        "type": "object", "nullable": true, "additionalProperties": false,
        "required": ["subject", "body", "content", "baseVersion", "updatedAt", "issues"],
        "properties": [
            "subject": nullableString, "body": [:], "content": ["type": "object", "nullable": true],
            "baseVersion": ["type": "integer"], "updatedAt": ["type": "string", "format": "date-time"],
            "issues": ["type": "array", "items": templateIssue],
        ],
    ]
    static let templateObject: JSONValue = [
        "type": "object", "required": ["id", "tenantId", "name", "type", "body"],
        "properties": ["id": ["type": "string"], "tenantId": ["type": "string"], "name": ["type": "string"],
                       "type": ["type": "string"], "subject": nullableString, "body": [:],
                       "createdAt": ["type": "string"], "updatedAt": ["type": "string"]],
    ]

    /// A preview's answer: the render, or its problems as data (still 200).
    static let previewAnswer: JSONValue = ["oneOf": [
        objectSchema([
            ("status", ["type": "string", "enum": ["success"]]),
            ("data", objectSchema([
                ("rendered", ["type": "object"]), ("locale", ["type": "string"]),
                ("missingVariables", ["type": "array", "items": ["type": "string"]]),
                ("variables", ["type": "object", "description": "The data rendered: the tenant's context under the variables"]),
                ("sms", objectSchema([
                    ("encoding", ["type": "string", "enum": ["GSM-7", "UCS-2"]]), ("segments", ["type": "integer", "minimum": 0]),
                    ("length", ["type": "integer", "minimum": 0]), ("ucs2Characters", ["type": "array", "items": ["type": "string"]]),
                ], required: ["encoding", "segments", "length", "ucs2Characters"])),
            ], required: ["rendered", "locale", "missingVariables", "variables"])),
        ], required: ["status", "data"]),
        objectSchema([
            ("status", ["type": "string", "enum": ["error"]]), ("errors", ["type": "array", "items": ["type": "string"]]),
            ("issues", ["type": "array", "items": templateIssue]),
        ], required: ["status", "errors", "issues"]),
    ]]

    static var studioPaths: [(String, JSONValue)] {
        let sampleAnswer = success(sampleObject)
        return [
            ("/notifications/templates/preview", [
                "post": ["operationId": "herald-templates-preview", "tags": ["Herald"],
                         "summary": "Render an unsaved template document with the tenant's context (errors answer as data)",
                         "requestBody": ["required": true, "content": ["application/json": ["schema": previewBody]]],
                         "responses": ["200": ["description": "Successful response",
                                               "content": ["application/json": ["schema": previewAnswer]]],
                                       "default": ["$ref": "#/components/responses/error"]]],
            ]),
            ("/notifications/templates/{id}/sample", [
                "get": studioOperation("herald-templates-getSample", "The template's sample data ({} when none)", response: sampleAnswer),
                "put": studioOperation("herald-templates-putSample", "Replace the template's sample data", response: sampleAnswer,
                                       body: objectSchema([("data", sampleObject)], required: ["data"])),
            ]),
            ("/notifications/templates/{id}/draft", [
                "get": studioOperation("herald-templates-getDraft", "The template's draft, or null", response: success(draft)),
                "put": studioOperation("herald-templates-putDraft",
                                       "Save the draft (kept even when it does not compile; its issues say why)",
                                       response: success(draft),
                                       body: objectSchema([("subject", ["type": "string", "maxLength": 998, "nullable": true]),
                                                           ("body", anyBody), ("content", contentDocument)], required: [])),
                "delete": studioOperation("herald-templates-deleteDraft", "Drop the draft",
                                          response: objectSchema([("deleted", ["type": "boolean"])], required: ["deleted"])),
            ]),
            ("/notifications/templates/{id}/publish", [
                "post": studioOperation("herald-templates-publish",
                                        "Make the draft the template (a new version); 404 without a draft, 400 when it does not compile",
                                        response: templateObject, ifMatch: true),
            ]),
            ("/notifications/templates/{id}/dependents", [
                "get": studioOperation("herald-templates-dependents", "The tenant's templates that use this one as a partial or layout",
                                       response: success(["type": "array", "items": dependent])),
            ]),
            ("/auth/tenants/current", [
                "get": ["operationId": "herald-tenants-current", "summary": "The tenant of the calling key pair (400 for a token)",
                        "tags": ["Herald"],
                        "responses": ["200": ["description": "Successful response",
                                              "content": ["application/json": ["schema": ["type": "object", "required": ["id", "name"]]]]],
                                      "default": ["$ref": "#/components/responses/error"]]],
            ]),
        ]
    }
}
