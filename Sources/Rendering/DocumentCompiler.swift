import JSON
import Mustache

/// Walks a normalised body once, checking its shape and compiling each part.
/// It never stops at the first problem: an editor wants every issue at once.
struct DocumentCompiler {
    let type: TemplateType
    private(set) var issues: [TemplateIssue] = []
    private var names: Set<String> = []

    init(type: TemplateType) { self.type = type }

    mutating func compile(subject: String?, body: JSONValue) -> CompiledTemplate {
        var base = PartSet()
        if let subject { base[.subject] = compileText(subject, name: "subject") }
        var locales: [String: LocaleParts] = [:]
        switch body {
        case .object(let object):
            compileParts(object, into: &base, prefix: "body", required: type.requiredParts)
            if let value = object["locales"] { locales = compileLocales(value) }
        case .null:
            issue("body", "Required")
        default:
            issue("body", "Expected object")
        }
        return CompiledTemplate(type: type, base: base, locales: locales, referencedTemplateNames: names)
    }

    private mutating func compileLocales(_ value: JSONValue) -> [String: LocaleParts] {
        guard case .object(let object) = value else {
            if !value.isNull { issue("body.locales", "Expected object") }
            return [:]
        }
        var locales: [String: LocaleParts] = [:]
        for (tag, entry) in object {
            let prefix = "body.locales.\(tag)"
            guard TemplateDocument.isValidLocale(tag) else {
                issue(prefix, "Invalid locale: use a tag such as de, de-AT or pt-BR")
                continue
            }
            guard case .object(let entryObject) = entry else {
                issue(prefix, "Expected object")
                continue
            }
            var parts = PartSet()
            if let subject = entryObject["subject"], !subject.isNull {
                if case .string(let source) = subject {
                    parts[.subject] = compileText(source, name: prefix + ".subject")
                } else {
                    issue(prefix + ".subject", "Expected string")
                }
            }
            compileParts(entryObject, into: &parts, prefix: prefix, required: [], allowing: ["subject"])
            let key = tag.lowercased()
            if locales[key] != nil {
                issue(prefix, "Duplicate locale: tags are case-insensitive")
            } else {
                locales[key] = LocaleParts(tag: tag, parts: parts)
            }
        }
        return locales
    }

    /// The type's parts from `object`; unknown keys are refused so a typo
    /// (`"htm"`) is not silently ignored.
    private mutating func compileParts(
        _ object: JSONObject, into parts: inout PartSet, prefix: String, required: [TemplatePart],
        allowing extra: Set<String> = ["locales"]
    ) {
        for key in object.keys where !extra.contains(key) {
            if let part = TemplatePart(rawValue: key), type.parts.contains(part) { continue }
            issue("\(prefix).\(key)", key == "subject" ? "Unknown key: the subject is a field of the template" : "Unknown key")
        }
        for part in type.parts {
            let name = "\(prefix).\(part.rawValue)"
            guard let value = object[part.rawValue], !value.isNull else {
                if required.contains(part) { issue(name, "Required") }
                continue
            }
            if part.isJSON {
                parts[part] = compileJSON(value, name: name)
            } else if case .string(let source) = value {
                parts[part] = compileText(source, name: name)
            } else {
                issue(name, "Expected string")
            }
        }
    }

    private mutating func compileText(_ source: String, name: String) -> CompiledPart? {
        do {
            let template = try MustacheTemplate(source)
            names.formUnion(template.partialNames)
            return CompiledPart(name: name, program: .text(template))
        } catch {
            issues.append(TemplateIssue(part: name, error))
            return nil
        }
    }

    /// Leaves compile one by one first, so every bad leaf is reported with its pointer.
    private mutating func compileJSON(_ value: JSONValue, name: String) -> CompiledPart? {
        let before = issues.count
        checkLeaves(value, pointer: "", name: name)
        guard issues.count == before else { return nil }
        do {
            return CompiledPart(name: name, program: .json(try MustacheJSONTemplate(value)))
        } catch {
            issues.append(TemplateIssue(part: name, error))  // not expected: the leaves compiled
            return nil
        }
    }

    private mutating func checkLeaves(_ value: JSONValue, pointer: String, name: String) {
        switch value {
        case .string(let source):
            do {
                names.formUnion(try MustacheTemplate(source).partialNames)
            } catch {
                var error = error
                if !pointer.isEmpty { error.context = pointer }
                issues.append(TemplateIssue(part: name, error))
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                checkLeaves(element, pointer: "\(pointer)/\(index)", name: name)
            }
        case .object(let object):
            for (key, member) in object {
                let segment = key.replacing("~", with: "~0").replacing("/", with: "~1")
                checkLeaves(member, pointer: "\(pointer)/\(segment)", name: name)
            }
        default:
            break
        }
    }

    private mutating func issue(_ part: String, _ message: String) {
        issues.append(TemplateIssue(part: part, message: message))
    }
}
