// libFuzzer entry point for the Mustache tokenizer, compiler and renderer, compiled into the
// Mustache module by deploy/fuzz.sh (never by SwiftPM). Any trap, sanitizer report, hang or
// invariant failure is a finding.
//
// Input: the first byte picks options; the rest is split at NUL bytes into a template, a
// partial (named "p", "q" and, through data, dynamically) and a JSON document used both as
// render data and as a JSON template. The template is also its own partial "self", so
// recursion is reachable; the limits below bound every render, so a hang is a bug.
import JSON

let fuzzRenderLimits = (output: 1 << 16, steps: 200_000, partialDepth: 20)

/// Data with something for every kind of tag: lists, nesting, falsy values, markup, a dynamic name.
let fuzzDefaultData: JSONValue = [
    "name": "<b>&\"'", "n": 3, "x": 1.5, "t": true, "f": false, "z": nil, "e": "",
    "list": [1, "two", ["a": 1], [], nil, true],
    "obj": ["a": ["b": ["c": "deep"]], "list": [["name": "inner"]]],
    "dyn": "p", "self": "self",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func mustacheFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let flags = data[0]
    let parts = UnsafeBufferPointer(start: data + 1, count: size - 1)
        .split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let source = parts[0]
    let partialSource = parts.count > 1 ? parts[1] : "{{name}}"
    let documentText = parts.count > 2 ? parts[2] : ""

    let compileOptions = MustacheCompileOptions(maxNestingDepth: flags & 1 == 0 ? 100 : 3)
    let renderOptions = MustacheRenderOptions(
        escaping: flags & 2 == 0 ? .html : .none,
        maxOutputBytes: fuzzRenderLimits.output, maxPartialDepth: fuzzRenderLimits.partialDepth,
        maxSteps: fuzzRenderLimits.steps, strictPartials: flags & 4 != 0)

    let document = try? JSONParser.parse(documentText)
    let renderData = flags & 8 == 0 ? fuzzDefaultData : (document ?? fuzzDefaultData)

    guard let template = try? MustacheTemplate(source, options: compileOptions) else {
        checkJSONTemplate(document, data: renderData, compileOptions, renderOptions, partials: MustachePartials())
        return 0
    }
    var partials = MustachePartials(["self": template])
    if let partial = try? MustacheTemplate(partialSource, options: compileOptions) {
        partials.templates["p"] = partial
        partials.templates["q"] = partial
    }
    _ = template.partialNames
    _ = try? template.validatePartials(partials)

    let first = Result { () throws(MustacheError) in try template.render(renderData, partials: partials, options: renderOptions) }
    if case .success(let rendering) = first {
        fuzzCheck(rendering.output.utf8.count <= fuzzRenderLimits.output,
                  "output of \(rendering.output.utf8.count) bytes passed maxOutputBytes")
        fuzzCheck(Set(rendering.missingVariables).count == rendering.missingVariables.count,
                  "missing variables repeat: \(rendering.missingVariables)")
    }
    // A compiled template is a value: rendering it again gives the same result.
    let second = Result { () throws(MustacheError) in try template.render(renderData, partials: partials, options: renderOptions) }
    fuzzCheck(first == second, "two renders of the same template and data differ")

    checkJSONTemplate(document, data: renderData, compileOptions, renderOptions, partials: partials)
    return 0
}

/// A JSON template renders to a document that encodes to JSON which parses back.
func checkJSONTemplate(_ document: JSONValue?, data: JSONValue, _ compileOptions: MustacheCompileOptions,
                       _ renderOptions: MustacheRenderOptions, partials: MustachePartials) {
    guard let document, let template = try? MustacheJSONTemplate(document, options: compileOptions) else { return }
    guard let rendering = try? template.render(data, partials: partials, options: renderOptions) else { return }
    let encoded = rendering.value.encoded()
    fuzzCheck((try? JSONParser.parse(encoded)) != nil,
              "a JSON template rendered to text that is not JSON: \(String(decoding: encoded, as: UTF8.self))")
}

func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}
