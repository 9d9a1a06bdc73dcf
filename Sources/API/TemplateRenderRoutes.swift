import JSON
import Rendering
import Store

/// Rendering for template authors: `preview` renders a document that is not
/// stored and answers errors as data; `test` renders a stored template and
/// queues a real send through a channel, marked as a test.
enum TemplateRenderRoutes {
    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("POST", "/notifications/templates/preview") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let type = input.oneOf("type", TemplateRoutes.types)
            let subject = input.optionalString("subject", max: 998)
            let locale = input.optionalString("locale", max: 35)
            let body = input.value("body")
            let variables = variablesObject(input["variables"], into: &input)
            try input.check()
            try await access.tenant(tenantId, .viewConfig)
            let normalized = TemplateRendering.normalizedBody(body, type: type)
            let compiled: CompiledTemplate
            do {
                compiled = try TemplateRendering.compile(type: type, subject: subject, body: normalized)
            } catch let error as APIError {
                return .json(["status": "error", "errors": .array(error.issues.map { .string($0) })])
            }
            let partials = try await TemplateRendering.partials(for: compiled, tenantId: tenantId, store: store)
            do {
                let rendered = try TemplateRendering.render(compiled, variables: variables, locale: locale, partials: partials)
                return .json(["status": "success", "data": [
                    "rendered": rendered.jsonDocument, "locale": .string(rendered.locale),
                    "missingVariables": .array(rendered.missingVariables.map { .string($0) }),
                ]])
            } catch let error as APIError {
                return .json(["status": "error", "errors": .array(error.issues.map { .string($0) })])
            }
        }

        routes.on("POST", "/notifications/test") { request, access in
            var input = Validator(try request.jsonObject())
            let templateId = input.string("templateId", pattern: Format.isId)
            let dryRun = input.optionalBool("dryRun") ?? false
            let channelId = dryRun ? input.optionalString("channelId", pattern: Format.isId)
                                   : input.string("channelId", pattern: Format.isId)
            let variables = variablesObject(input["variables"], into: &input)
            let recipient = input.optionalObject("input") ?? JSONObject()
            try input.check()
            let tenantId = try await access.owner(of: templateId, .editConfig, lookup: store.templateTenant)
            guard let stored = try await store.template(id: templateId, tenantId: tenantId) else { throw APIError.notFound }
            let compiled = try TemplateRendering.compile(stored)
            let partials = try await TemplateRendering.partials(for: compiled, tenantId: tenantId, store: store)
            // A dry run checks the recipients it is given as a real send would.
            let to: JSONValue? = dryRun && recipient.isEmpty ? nil : try Recipients.parse(recipient, type: stored.type)
            let locale = recipient["locale"]?.stringValue
            let rendered = try TemplateRendering.render(compiled, variables: variables, locale: locale, partials: partials)
            var data: JSONObject = ["notificationId": .null, "rendered": rendered.jsonDocument,
                                    "missingVariables": .array(rendered.missingVariables.map { .string($0) })]
            if !dryRun {
                guard let channelId, let channel = try await store.channelForSending(reference: channelId, tenantId: tenantId) else {
                    throw APIError.validation(["channelId: no such channel in this tenant"])
                }
                guard channel.type == stored.type else {
                    throw APIError.validation(["channelId: a \(channel.type) channel cannot send a \(stored.type) template"])
                }
                data["notificationId"] = .string(try await store.enqueue(Store.NewNotification(
                    tenantId: tenantId, templateId: stored.id, templateName: stored.name, channelId: channel.id,
                    type: stored.type, to: to ?? .object(JSONObject()), locale: rendered.locale, variables: variables, rendered: rendered.jsonDocument,
                    priority: .interactive, test: true)))
            }
            return .json(["status": "success", "data": .object(data)])
        }
    }

    /// `variables` may be JSON text (as the contract has it) or an object.
    static func variablesObject(_ value: JSONValue?, into input: inout Validator) -> JSONValue {
        guard let value, !value.isNull else { return .object(JSONObject()) }
        switch value {
        case .object:
            return value
        case .string(let text):
            if text.isEmpty { return .object(JSONObject()) }
            if let parsed = try? JSONParser.parse(text), case .object = parsed {
                if let path = StorableText.firstUnstorable(in: parsed, at: "variables") {
                    input.fail("\(path): must not contain the NUL character (U+0000)")
                    return .object(JSONObject())
                }
                return parsed
            }
            input.fail("variables: must be a JSON object or JSON text of one")
        default:
            input.fail("variables: must be a JSON object or JSON text of one")
        }
        return .object(JSONObject())
    }
}

/// Who a notification goes to: `{to: [...], cc?, bcc?}` checked for its type.
enum Recipients {
    static func parse(_ input: JSONObject, type: String) throws -> JSONValue {
        var issues: [String] = []
        var result = JSONObject()
        for key in ["to", "cc", "bcc"] {
            guard let value = input[key], !value.isNull else { continue }
            let list: [JSONValue] = value.arrayValue ?? [value]
            var addresses: [JSONValue] = []
            for item in list {
                guard let address = item.stringValue, !address.isEmpty, address.utf8.count <= 320 else {
                    issues.append("input.\(key): Expected a list of addresses")
                    continue
                }
                // No address of any kind may carry a line break or control byte into a header or log line.
                if address.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    issues.append("input.\(key): addresses must not contain control characters")
                    continue
                }
                if type == "email", !Format.isEmail(address) { issues.append("input.\(key): \(address) is not an email address") }
                if type == "sms", !Format.isPhone(address) { issues.append("input.\(key): \(address) is not an E.164 phone number") }
                addresses.append(.string(address))
            }
            result[key] = .array(addresses)
        }
        let needsRecipient = ["email", "sms", "inapp", "push"].contains(type)
        if needsRecipient, (result["to"]?.arrayValue ?? []).isEmpty { issues.append("input.to: Required") }
        if type != "email", result["cc"] != nil || result["bcc"] != nil { issues.append("input.cc: only email has cc and bcc") }
        if !issues.isEmpty { throw APIError.validation(issues) }
        return .object(result)
    }
}
