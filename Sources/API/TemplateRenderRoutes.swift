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
            let templateId = input.optionalString("templateId", pattern: Format.isId)
            let variables = givenVariables(&input)
            try input.check()
            try await access.tenant(tenantId, .viewConfig)
            // The tenant's context and the sample are read while the body compiles.
            async let context = store.sendContext(tenantId: tenantId)
            // The template id is checked even when variables make its sample unused: another tenant's is a 404.
            async let sample = sampleData(templateId, tenantId: tenantId, store: store)
            let normalized = TemplateRendering.normalizedBody(body, type: type)
            let compiled: CompiledTemplate
            do {
                compiled = try TemplateRendering.compile(type: type, subject: subject, body: normalized)
            } catch let error as APIError {
                _ = try await sample
                return previewError(error)
            }
            let partials = try await TemplateRendering.partials(for: compiled, tenantId: tenantId, store: store)
            let tenantContext = try await context
            let sampleVariables = try await sample
            let data = tenantContext.merging(variables ?? sampleVariables ?? .object(JSONObject()))
            do {
                let rendered = try TemplateRendering.render(compiled, variables: data, locale: locale, partials: partials)
                var result: JSONObject = [
                    "rendered": rendered.jsonDocument, "locale": .string(rendered.locale),
                    "missingVariables": .array(rendered.missingVariables.map { .string($0) }), "variables": data,
                ]
                if type == TemplateType.sms.rawValue { result["sms"] = smsJSON(SMSMeasure(rendered.text ?? "")) }
                return .json(["status": "success", "data": .object(result)])
            } catch let error as APIError {
                return previewError(error)
            }
        }

        routes.on("POST", "/notifications/test") { request, access in
            var input = Validator(try request.jsonObject())
            let templateId = input.string("templateId", pattern: Format.isId)
            let dryRun = input.optionalBool("dryRun") ?? false
            let useDraft = input.optionalBool("draft") ?? false
            let channelId = dryRun ? input.optionalString("channelId", pattern: Format.isId)
                                   : input.string("channelId", pattern: Format.isId)
            let given = givenVariables(&input)
            let recipient = input.optionalObject("input") ?? JSONObject()
            try input.check()
            let tenantId = try await access.owner(of: templateId, .editConfig, lookup: store.templateTenant)
            guard var stored = try await store.template(id: templateId, tenantId: tenantId) else { throw APIError.notFound }
            if useDraft {
                guard let draft = try await store.templateDraft(id: templateId, tenantId: tenantId) else {
                    throw APIError(.notFound, "The template has no draft")
                }
                stored = stored.replacing(subject: draft.subject, body: draft.body)
            }
            let compiled = try TemplateRendering.compile(stored)
            let partials = try await TemplateRendering.partials(for: compiled, tenantId: tenantId, store: store)
            // A dry run checks the recipients it is given as a real send would.
            let to: JSONValue? = dryRun && recipient.isEmpty ? nil : try Recipients.parse(recipient, type: ChannelType(rawValue: stored.type))
            let locale = recipient["locale"]?.stringValue
            var own = given ?? .object(JSONObject())
            if given == nil, let sample = try await sampleData(templateId, tenantId: tenantId, store: store) { own = sample }
            let variables = try await store.sendContext(tenantId: tenantId).merging(own)
            let rendered = try TemplateRendering.render(compiled, variables: variables, locale: locale, partials: partials)
            var data: JSONObject = ["notificationId": .null, "rendered": rendered.jsonDocument,
                                    "missingVariables": .array(rendered.missingVariables.map { .string($0) })]
            if !dryRun {
                guard let channelId, let channel = try await store.channelForSending(reference: channelId, tenantId: tenantId) else {
                    throw APIError.validation(["channelId: no such channel in this tenant"])
                }
                guard channel.type.rawValue == stored.type else {
                    throw APIError.validation(["channelId: a \(channel.type.rawValue) channel cannot send a \(stored.type) template"])
                }
                data["notificationId"] = .string(try await store.enqueue(Store.NewNotification(
                    tenantId: tenantId, templateId: stored.id, templateName: stored.name, channelId: channel.id,
                    type: channel.type, to: to ?? .object(JSONObject()), locale: rendered.locale, variables: own, rendered: rendered.jsonDocument,
                    priority: .interactive, test: true)))
            }
            return .json(["status": "success", "data": .object(data)])
        }
    }

    /// A compile or render problem as preview data: the one-line texts and where each is.
    static func previewError(_ error: APIError) -> APIResponse {
        .json(["status": "error", "errors": .array(error.issues.map { .string($0) }),
               "issues": TemplateRendering.issuesJSON(error)])
    }

    static func smsJSON(_ measure: SMSMeasure) -> JSONValue {
        ["encoding": .string(measure.encoding.rawValue), "segments": .int(Int64(measure.segments)),
         "length": .int(Int64(measure.length)), "ucs2Characters": .array(measure.ucs2Characters.map { .string($0) })]
    }

    /// The request's `variables`, or nil when it has none (then the sample data is used).
    static func givenVariables(_ input: inout Validator) -> JSONValue? {
        guard let value = input["variables"], !value.isNull else { return nil }
        return variablesObject(value, into: &input)
    }

    /// The template's sample data; nil without a template id; 404 for a template not the tenant's.
    static func sampleData(_ templateId: String?, tenantId: String, store: Store) async throws -> JSONValue? {
        guard let templateId else { return nil }
        guard let text = try await store.templateSample(id: templateId, tenantId: tenantId) else { throw APIError.notFound }
        return try JSONParser.parse(text)
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
    static func parse(_ input: JSONObject, type: ChannelType?) throws -> JSONValue {
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
                if type == .email, !Format.isEmail(address) { issues.append("input.\(key): \(address) is not an email address") }
                if type == .sms, !Format.isPhone(address) { issues.append("input.\(key): \(address) is not an E.164 phone number") }
                addresses.append(.string(address))
            }
            result[key] = .array(addresses)
        }
        let needsRecipient = type.map { [.email, .sms, .inapp, .push].contains($0) } ?? false
        if needsRecipient, (result["to"]?.arrayValue ?? []).isEmpty { issues.append("input.to: Required") }
        if type != .email, result["cc"] != nil || result["bcc"] != nil { issues.append("input.cc: only email has cc and bcc") }
        if !issues.isEmpty { throw APIError.validation(issues) }
        return .object(result)
    }
}
