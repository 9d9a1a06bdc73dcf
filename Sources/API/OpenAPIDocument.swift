import Foundation
import JSON
import Store

/// `/openapi.json`: the pxyz contract Herald serves, plus Herald's own
/// operations (API.md §1) as an extension, built once at startup.
enum OpenAPIDocument {
    static let served: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "pxyz-openapi", withExtension: "json", subdirectory: "Resources")
                ?? Bundle.module.resourceURL?.appendingPathComponent("Resources/pxyz-openapi.json"),
              let data = try? Data(contentsOf: url),
              case .object(var document) = try? JSONParser.parse(Array(data)) else {
            return Array(#"{"openapi":"3.0.3","info":{"title":"Herald","version":"0"},"paths":{}}"#.utf8)
        }
        var info = document["info"]?.objectValue ?? JSONObject()
        info["x-herald"] = """
            Served by Herald: the pxyz Backend API plus Herald's operations tagged Herald. \
            Every operation answers under /v0 as under /api/v0 (the pxyz JavaScript client's paths).
            """
        document["info"] = .object(info)
        var paths = document["paths"]?.objectValue ?? JSONObject()
        var extra = extensions + studioPaths + suppressionPaths
        if let create = createUnderTenant(paths) { extra.append(create) }
        // A path the contract has already gets the extra methods beside its own.
        for (path, operations) in extra {
            var item = paths[path]?.objectValue ?? JSONObject()
            for (method, operation) in operations.objectValue ?? JSONObject() { item[method] = operation }
            paths[path] = .object(item)
        }
        describeBodyText(&paths, "/notifications/templates/{id}", "put")
        describeBodyText(&paths, "/notifications/templates", "post")
        describeBodyText(&paths, "/tenants/{tenantId}/notifications/templates", "post")
        extendContractOperations(&paths)
        document["paths"] = .object(paths)
        extendErrors(&document)
        if var servers = document["servers"]?.arrayValue {
            servers.append(["url": "/v0", "description": "The same operations without /api, as the pxyz client calls them"])
            document["servers"] = .array(servers)
        }
        return JSONValue.object(document).encoded()
    }()

    /// Says how a string `body` is read (TemplateRendering.document(in:)).
    static func describeBodyText(_ paths: inout JSONObject, _ path: String, _ method: String) {
        guard case .object(var item)? = paths[path], case .object(var operation)? = item[method] else { return }
        operation["description"] = """
            A string body that is the JSON text of a template document (an object whose keys are all body keys \
            of the type: html, text, title, data, json, locales) is taken as that document; any other string \
            is the type's main part (html for email, json for webhook, text otherwise).
            """
        item[method] = .object(operation)
        paths[path] = .object(item)
    }

    /// `POST /tenants/{tenantId}/notifications/templates`, the pxyz client's
    /// create: the contract's create with the tenant in the path (the body's
    /// tenantId optional, and when given the same tenant).
    static func createUnderTenant(_ paths: JSONObject) -> (String, JSONValue)? {
        guard case .object(var operation)? = paths["/notifications/templates"]?["post"],
              case .object(var schema)? = operation["requestBody"]?["content"]?["application/json"]?["schema"]
        else { return nil }
        operation["operationId"] = "herald-tenants-createTemplate"
        operation["summary"] = "Create NotificationTemplate under the tenant's path (the pxyz client's path)"
        operation["tags"] = ["Herald"]
        let idSchema = schema["properties"]?["tenantId"] ?? ["type": "string"]
        operation["parameters"] = [["name": "tenantId", "in": "path", "required": true, "schema": idSchema]]
        schema["required"] = .array((schema["required"]?.arrayValue ?? []).filter { $0 != "tenantId" })
        operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": .object(schema)]]]
        return ("/tenants/{tenantId}/notifications/templates", ["post": .object(operation)])
    }

    private static let errorResponse: JSONValue = ["$ref": "#/components/responses/error"]

    private static func operation(_ id: String, _ summary: String, parameters: [String] = [],
                                  requestBody: Bool = false, body: JSONValue? = nil,
                                  contentType: String = "application/json") -> JSONValue {
        let schema: JSONValue = contentType == "application/json" ? ["type": "object"] : ["type": "string"]
        var object: JSONObject = [
            "operationId": .string(id), "summary": .string(summary), "tags": ["Herald"],
            "responses": ["200": ["description": "Successful response",
                                  "content": .object([contentType: ["schema": schema]])],
                          "default": errorResponse],
        ]
        if !parameters.isEmpty {
            object["parameters"] = .array(parameters.map {
                ["name": .string($0), "in": "path", "required": true, "schema": ["type": "string"]]
            })
        }
        if requestBody || body != nil {
            object["requestBody"] = ["required": true,
                                     "content": ["application/json": ["schema": body ?? ["type": "object"]]]]
        }
        return .object(object)
    }

    /// What the extension operations take, as strictly as the routes check it.
    static func objectSchema(_ properties: [(String, JSONValue)], required: [String]) -> JSONValue {
        var schema: JSONObject = ["type": "object", "additionalProperties": false, "properties": .object(JSONObject(properties))]
        // OpenAPI 3.0 wants at least one name in `required` when it is there.
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    static let idSchema: JSONValue = ["type": "string", "pattern": "^c[a-z0-9]{8,64}$"]
    static let idBody = objectSchema([("id", idSchema)], required: ["id"])
    static let brandBody: JSONValue = ["type": "object", "additionalProperties": false,
                                       "properties": .object(JSONObject(Brand.names.map { ($0, ["type": "string", "maxLength": 200]) }))]
    static let previewBody = objectSchema([
        ("tenantId", idSchema),
        ("type", ["type": "string", "enum": .array(TemplateRoutes.types.map { .string($0) })]),
        ("subject", ["type": "string", "maxLength": 998]),
        ("locale", ["type": "string", "maxLength": 35]),
        ("body", ["oneOf": [["type": "object"], ["type": "string"]]]),
        // JSON text of an object is taken too, but no schema can say which strings those are.
        ("variables", ["type": "object"]),
        // Its sample data is the base when there are no variables.
        ("templateId", idSchema),
    ], required: ["tenantId", "type", "body"])

    private static func path(_ path: String, _ operations: [(String, JSONValue)]) -> (String, JSONValue) {
        var object = JSONObject()
        for (method, operation) in operations { object[method] = operation }
        return (path, .object(object))
    }

    /// API.md §1: operations beyond the contract file.
    static var extensions: [(String, JSONValue)] {
        var paths: [(String, JSONValue)] = [
            path("/tenants/{id}/brand", [("get", operation("herald-tenants-getBrand", "The tenant's 40 brand strings", parameters: ["id"])),
                                         ("put", operation("herald-tenants-updateBrand", "Change brand strings", parameters: ["id"], body: brandBody))]),
            path("/tenants/pkey/{publicKey}", [("get", operation("herald-tenants-getByPublicKey", "Tenant by public key", parameters: ["publicKey"]))]),
            path("/user/whoami", [("get", operation("herald-user-whoami", "The current platform user"))]),
            path("/user/invitations", [("get", operation("herald-user-invitations", "Tenant invitations addressed to the current platform user"))]),
            path("/user/invitations/{id}/accept", [("post", operation("herald-user-acceptInvitation", "Accept a tenant invitation", parameters: ["id"]))]),
            path("/user/invitations/{id}/decline", [("post", operation("herald-user-declineInvitation", "Decline a tenant invitation", parameters: ["id"]))]),
            path("/notifications/{id}", [("get", operation("herald-notifications-get", "One notification with its delivery attempts", parameters: ["id"]))]),
            path("/notifications/{id}/retry", [("post", operation("herald-notifications-retry", "Queue a failed or cancelled notification again", parameters: ["id"]))]),
            path("/notifications/{id}/cancel", [("post", operation("herald-notifications-cancel", "Cancel a queued notification", parameters: ["id"]))]),
            path("/notifications/events/{channelId}",
                 [("post", operation("herald-notifications-events",
                                     "A provider's signed delivery events for the channel (no key pair: the signature is the credential)",
                                     parameters: ["channelId"], requestBody: true))]),
            path("/notifications/channels/{id}/circuit",
                 [("get", operation("herald-channels-circuit", "The channel's circuit breaker as the workers last reported it", parameters: ["id"]))]),
            path("/notifications/templates/{id}/versions", [("get", operation("herald-templates-versions", "Template history, newest first", parameters: ["id"]))]),
            path("/notifications/templates/{id}/versions/{version}/restore",
                 [("post", operation("herald-templates-restore", "Make an old version current", parameters: ["id", "version"]))]),
            path("/notifications/templates/preview", [("post", operation("herald-templates-preview", "Render an unsaved template document", body: previewBody))]),
            path("/auth/email-addresses/prepare-verification",
                 [("post", operation("herald-emailAddresses-prepareVerification", "Send a verification code again", body: idBody))]),
            path("/auth/phone-numbers/prepare-verification",
                 [("post", operation("herald-phoneNumbers-prepareVerification", "Send a verification code again", body: idBody))]),
            path("/auth/organization-invitations/{id}/resend",
                 [("post", operation("herald-organizationInvitations-resend", "Send the invitation again", parameters: ["id"]))]),
            path("/healthz", [("get", operation("herald-healthz", "Liveness"))]),
            path("/readyz", [("get", operation("herald-readyz", "Readiness: database reachable and migrations current"))]),
            path("/metrics", [("get", operation("herald-metrics", "Prometheus text exposition", contentType: "text/plain"))]),
            path("/openapi.json", [("get", operation("herald-openapi", "This document"))]),
            bulkSendPath,
        ]
        for log in ["emails", "sms", "push", "inapp", "webhooks"] {
            let summary = "The tenant's \(log) log, newest first"
            paths.append(path("/tenants/{tenantId}/notifications/\(log)",
                              [("get", operation("herald-notifications-\(log)", summary, parameters: ["tenantId"]))]))
        }
        return paths
    }
}
