import JSON
import Store

/// The transformation operations. A transformation is a stored recipe (output
/// settings and steps); each step's options are checked against the schema
/// the contract gives that step type.
enum MediaTransformationRoutes {
    static let resizeModes = ["minimum", "maximum", "stretch", "crop"]

    static func add(to routes: inout RouteBuilder, _ context: APIContext) {
        let store = context.store

        routes.on("GET", "/tenants/:tenantId/media/transformations") { request, access in
            let tenantId = try request.id("tenantId")
            try await access.tenant(tenantId, .viewConfig)
            return .list(try await store.transformationsPage(tenantId: tenantId, try request.pageRequest()))
        }

        routes.owned("GET", "/media/transformations/:id", .viewConfig, lookup: store.transformationTenant) { request, access, id, tenantId in
            guard let json = try await store.transformationJSON(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(text: json)
        }

        routes.on("POST", "/media/transformations") { request, access in
            var input = Validator(try request.jsonObject())
            let tenantId = input.string("tenantId", pattern: Format.isId)
            let fields = read(&input, partial: false)
            try input.check()
            try await access.tenant(tenantId, .editConfig)
            return .json(text: try await store.createTransformation(tenantId: tenantId, fields))
        }

        // The contract sends every field; Herald also takes a subset and keeps the rest.
        routes.owned("PATCH", "/media/transformations/:id", .editConfig, lookup: store.transformationTenant) { request, access, id, tenantId in
            var input = Validator(try request.jsonObject())
            if let given = input.optionalString("tenantId"), given != tenantId {
                input.fail("tenantId: must be the transformation's tenant")
            }
            let fields = read(&input, partial: true)
            try input.check()
            guard let json = try await store.updateTransformation(id: id, tenantId: tenantId, fields) else {
                throw APIError.notFound
            }
            return .json(text: json)
        }

        routes.owned("DELETE", "/media/transformations/:id", .editConfig, lookup: store.transformationTenant) { request, access, id, tenantId in
            guard try await store.deleteTransformation(id: id, tenantId: tenantId) else { throw APIError.notFound }
            return .json(.bool(true))
        }
    }

    /// The body's fields; with `partial`, absent ones stay nil.
    static func read(_ input: inout Validator, partial: Bool) -> Store.TransformationFields {
        var f = Store.TransformationFields()
        f.name = partial ? input.optionalString("name", min: 1, max: 100, pattern: isName, patternMessage: nameMessage)
                         : input.string("name", min: 1, max: 100, pattern: isName, patternMessage: nameMessage)
        f.description = input.nullableString("description", max: 1000)
        let format: (String) -> Bool = { $0.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) } }
        f.outputFormat = partial ? input.optionalString("outputFormat", min: 1, max: 20, pattern: format,
                                                        patternMessage: "must be a format name such as webp")
                                 : input.string("outputFormat", min: 1, max: 20, pattern: format,
                                                patternMessage: "must be a format name such as webp")
        f.outputQuality = number(&input, "outputQuality", min: 0, max: 100, required: !partial)
        f.outputCompression = number(&input, "outputCompression", min: 0, max: 100, required: !partial)
        f.outputWidth = number(&input, "outputWidth", min: 0, max: 100_000, required: !partial)
        f.outputHeight = number(&input, "outputHeight", min: 0, max: 100_000, required: !partial)
        f.outputResizeMode = partial ? input.optionalOneOf("outputResizeMode", resizeModes) : input.oneOf("outputResizeMode", resizeModes)
        if let steps = input["steps"], !steps.isNull {
            if let list = steps.arrayValue, list.count <= 100 {
                var issues: [String] = []
                for (index, step) in list.enumerated() { TransformationSteps.check(step, at: "steps[\(index)]", &issues) }
                issues.forEach { input.fail($0) }
                if issues.isEmpty { f.steps = steps }
            } else {
                input.fail("steps: Expected an array of at most 100 steps")
            }
        } else if !partial {
            input.fail("steps: Required")
        }
        return f
    }

    static let nameMessage = "may contain only a-z, 0-9, - and _"
    static func isName(_ s: String) -> Bool {
        s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// A number within bounds; nil (with an issue when required or malformed) otherwise.
    static func number(_ input: inout Validator, _ key: String, min: Double, max: Double, required: Bool) -> Double? {
        guard let value = input[key], !value.isNull else {
            if required { input.fail("\(key): Required") }
            return nil
        }
        guard let number = value.doubleValue, number.isFinite else {
            input.fail("\(key): Expected number")
            return nil
        }
        guard number >= min, number <= max else {
            input.fail("\(key): must be between \(Int(min)) and \(Int(max))")
            return nil
        }
        return number
    }
}
