import JSON

/// The contract's step options, per step type: required members must be
/// present and not null, optional ones may be null, nothing else is allowed
/// (the schemas say `additionalProperties: false`).
enum TransformationSteps {
    enum Field {
        case number(min: Double?, max: Double?)
        case string
        case bool
        case oneOf([String])
    }

    struct Schema {
        let fields: [String: Field]
        let required: Set<String>
    }

    static let number = Field.number(min: nil, max: nil)
    static let percent = Field.number(min: -100, max: 100)
    static let horizontal = Field.oneOf(["left", "center", "right"])
    static let vertical = Field.oneOf(["top", "center", "bottom"])
    static let blendModes = Field.oneOf([
        "add", "color-burn", "color-dodge", "darken", "difference", "exclusion", "hard-light", "hue", "lighten",
        "multiply", "overlay", "saturate", "screen", "soft-light", "subtract", "source-over", "destination-over",
        "source-in", "destination-in", "source-out", "destination-out", "source-atop", "destination-atop", "xor",
    ])
    static let padding: [String: Field] = ["paddingLeft": number, "paddingRight": number, "paddingTop": number, "paddingBottom": number]
    static let box: [String: Field] = ["x": number, "y": number, "width": number, "height": number]

    static let schemas: [String: Schema] = [
        "blur": Schema(fields: ["blurType": .oneOf(["fast", "manual"]), "strength": .number(min: 1, max: 100)],
                       required: ["blurType"]),
        "brightness-hue-saturation-lightness": Schema(
            fields: ["brightness": percent, "hue": .number(min: -180, max: 180), "saturation": percent, "lightness": percent],
            required: []),
        "extend": Schema(fields: ["top": number, "bottom": number, "left": number, "right": number, "color": .string],
                         required: []),
        "flip": Schema(fields: [:], required: []),
        "flush": Schema(fields: [:], required: []),
        "grayscale": Schema(fields: [:], required: []),
        "layer": Schema(fields: ["url": .string, "resizeMode": .oneOf(MediaTransformationRoutes.resizeModes),
                                 "horizontalAlignment": horizontal, "verticalAlignment": vertical, "repeat": .bool,
                                 "opacity": number, "rotation": number, "blendMode": blendModes]
                            .merging(box) { a, _ in a }.merging(padding) { a, _ in a },
                        required: ["url"]),
        "negative": Schema(fields: ["negativeAlpha": .bool], required: []),
        "rotate": Schema(fields: ["type": .oneOf(["auto", "manual"]), "degrees": .number(min: -360, max: 360),
                                  "backgroundColor": .string],
                         required: ["type"]),
        "sharpen": Schema(fields: ["sharpenType": .oneOf(["fast", "manual"]), "strength": .number(min: 1, max: 100)],
                          required: ["sharpenType"]),
        "text": Schema(fields: ["text": .string, "color": .string, "fontSize": number, "fontWeight": number,
                                "fontStyle": .oneOf(["normal", "italic", "oblique"]), "letterSpacing": number,
                                "lineHeight": number, "underline": .oneOf(["none", "double", "single", "error", "low"]),
                                "horizontalAlignment": horizontal, "verticalAlignment": vertical,
                                "justify": .oneOf(["left", "center", "right", "full"]), "repeat": .bool,
                                "opacity": .number(min: 0, max: 100), "rotate": .number(min: -360, max: 360),
                                "blendMode": blendModes]
                           .merging(box) { a, _ in a }.merging(padding) { a, _ in a },
                       required: ["text"]),
        "tint": Schema(fields: ["color": .string, "opacity": .number(min: 0, max: 100)], required: ["color"]),
    ]

    static let types = schemas.keys.sorted()

    /// Appends one issue per problem of the step at `path` (e.g. `steps[2]`).
    static func check(_ step: JSONValue, at path: String, _ issues: inout [String]) {
        guard let object = step.objectValue else {
            issues.append("\(path): Expected object")
            return
        }
        for key in object.keys where key != "type" && key != "options" {
            issues.append("\(path).\(key): is not a step member (type, options)")
        }
        guard let type = object["type"]?.stringValue, let schema = schemas[type] else {
            issues.append("\(path).type: must be one of \(types.joined(separator: ", "))")
            return
        }
        guard let options = object["options"]?.objectValue else {
            issues.append("\(path).options: Expected object")
            return
        }
        for key in schema.required.sorted() where options[key] == nil || options[key]!.isNull {
            issues.append("\(path).options.\(key): Required for \(type)")
        }
        for (key, value) in options {
            let name = "\(path).options.\(key)"
            guard let field = schema.fields[key] else {
                issues.append("\(name): is not an option of \(type)")
                continue
            }
            if value.isNull { continue }  // required ones were reported above
            switch field {
            case .number(let min, let max):
                guard let number = value.doubleValue, number.isFinite else { issues.append("\(name): Expected number"); continue }
                if let min, number < min { issues.append("\(name): must be at least \(Int(min))") }
                if let max, number > max { issues.append("\(name): must be at most \(Int(max))") }
            case .string:
                if value.stringValue == nil { issues.append("\(name): Expected string") }
            case .bool:
                if value.boolValue == nil { issues.append("\(name): Expected boolean") }
            case .oneOf(let allowed):
                if !allowed.contains(value.stringValue ?? "") {
                    issues.append("\(name): must be one of \(allowed.joined(separator: ", "))")
                }
            }
        }
    }
}
