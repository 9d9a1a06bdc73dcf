import Foundation
import JSON
import Mustache

/// `herald bench render --template FILE --data FILE [--partials DIR] --iterations N`:
/// compiles once, renders N times, and ends with `renders_per_s=<number>`.
public enum BenchRenderCommand {
    static let usage = "usage: herald bench render --template FILE --data FILE [--partials DIR] --iterations N [--escape html|none]"

    public static func run(_ arguments: [String]) -> Int32 {
        // Accept the arguments with or without the subcommand word.
        let arguments = arguments.first == "render" ? Array(arguments.dropFirst()) : arguments
        do {
            let options = try CommandOptions(
                arguments, valued: ["--template", "--data", "--partials", "--iterations", "--escape"], flags: [])
            guard options.positional.isEmpty, let templatePath = options.values["--template"],
                  let dataPath = options.values["--data"],
                  let iterations = options.values["--iterations"].flatMap({ Int($0) }), iterations > 0 else {
                throw CommandFailure.usage(usage)
            }
            let job = try RenderJob(
                templatePath: templatePath, dataPath: dataPath,
                partialsDirectory: options.values["--partials"], escape: options.values["--escape"])
            return try measure(job, iterations: iterations)
        } catch {
            return error.report()
        }
    }

    private static func measure(_ job: RenderJob, iterations: Int) throws(CommandFailure) -> Int32 {
        do {
            let first = try job.template.render(job.data, partials: job.partials, options: job.options)
            // Summing output sizes keeps every render's result observably used.
            var totalBytes = 0
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations {
                totalBytes &+= try job.template.render(job.data, partials: job.partials, options: job.options).output.utf8.count
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let report = """
                iterations=\(iterations)
                output_bytes=\(totalBytes / iterations)
                missing_variables=\(first.missingVariables.count)
                seconds=\(String(format: "%.3f", seconds))
                renders_per_s=\(Int((Double(iterations) / seconds).rounded()))

                """
            FileHandle.standardOutput.write(Data(report.utf8))
            return 0
        } catch {
            throw .template(error)
        }
    }
}
