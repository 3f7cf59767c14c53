import Foundation
public import HangarCore
import HangarMachine

/// `collect`: copies guest files matching shell globs into the run's `artifacts/` folder; with
/// `format: junit` or `tap` it also reads them as test results (`artifacts/hangar-results.json`).
/// A results file that cannot be read is reported with its line and kept; it does not fail the task.
public struct Collect: Handler {
    public static let name = "collect"
    public static let summary = "Copy guest files matching globs into the run's artifacts folder."
    public static let options = [
        OptionDoc("paths", "list of globs", default: nil, "Guest paths, such as /hangar/results/*.xml."),
        OptionDoc("optional", "bool", default: "false", "When false, a glob that matches nothing fails the task."),
        OptionDoc("format", "text", default: "none", "junit or tap: read the files as test results; none (or log): just keep them."),
    ]

    static let formats = ["none", "log", "junit", "tap"]
    /// The results a failed test command left are what a person wants to read.
    public static let runsAfterFailure = true

    let paths: [String]
    let optional: Bool
    /// `junit` or `tap` when the files are test results.
    let format: String?

    public init(options: OptionReader) throws(HangarError) {
        guard let paths = try options["paths"]?.strings(), !paths.isEmpty else {
            throw .usage(.configMissingOption, "missing option 'paths'", at: options.location)
        }
        self.paths = paths
        optional = try options["optional"]?.bool() ?? false
        let format = try options["format"]?.string() ?? "none"
        guard Self.formats.contains(format) else {
            throw .usage(
                .configBadOption,
                "format '\(format)' is not one collect knows\(Suggestion.phrase(for: format, in: Self.formats))",
                hint: "allowed values: \(Self.formats.joined(separator: ", "))",
                at: options.location
            )
        }
        self.format = ["junit", "tap"].contains(format) ? format : nil
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let guest = try context.shell()
        let artifacts = "\(context.runFolder)/artifacts"
        let store = "\(artifacts)/\(TestResults.fileName)"
        // What earlier collect tasks of the run read, added to file by file.
        var results = try format.map { _ throws(HangarError) in try Self.load(store) }
        for glob in paths {
            // The guest's shell expands the glob; unmatched globs stay literal and are filtered out.
            let list = try await guest.run("for f in \(glob); do [ -e \"$f\" ] && echo \"$f\"; done; true")
            let files = list.stdout.split(separator: "\n").map(String.init)
            if files.isEmpty && !optional {
                throw HangarError(
                    .collectNothing,
                    "'\(glob)' matched no file in the guest",
                    hint: "set 'optional: true' if that is fine",
                    kind: .test
                )
            }
            for file in files {
                try await guest.copyOut(file, to: artifacts)
                context.emit(.notice("collected \(file) into \(artifacts)"))
                if let format, var read = results {
                    Self.add((file as NSString).lastPathComponent, as: format, in: artifacts, to: &read, context)
                    try Self.save(read, to: store)
                    results = read
                }
            }
        }
        // Fails the task, as a test failure, when the results hold failing tests (and says which,
        // also when an earlier failure is the run's).
        let failing = results?.ordered.filter(\.status.isFailing) ?? []
        guard let results, !failing.isEmpty else { return }
        let names = failing.prefix(5).map(\.name).joined(separator: ", ") + (failing.count > 5 ? ", …" : "")
        let message = "\(failing.count) of \(results.tests.count) tests failed: \(names)"
        context.emit(.notice(message))
        throw HangarError(.testsFailed, message, kind: .test)
    }

    /// Adds the tests of results file `name` (in `artifacts`) to `results`, and says what it read.
    private static func add(_ name: String, as format: String, in artifacts: String, to results: inout TestResults, _ context: TaskContext) {
        let before = (tests: results.tests.count, problems: results.problems.count)
        let text = (try? String(contentsOfFile: "\(artifacts)/\(name)", encoding: .utf8)) ?? ""
        results.add(text, format: format, file: name)
        for problem in results.problems.dropFirst(before.problems) { context.emit(.notice("cannot read test results: \(problem)")) }
        let added = TestResults(tests: Array(results.tests.dropFirst(before.tests)))
        if !added.tests.isEmpty { context.emit(.notice("\(name): \(added.summary)")) }
    }

    /// The run's results so far (none before its first results file).
    private static func load(_ path: String) throws(HangarError) -> TestResults {
        guard FileManager.default.fileExists(atPath: path) else { return TestResults() }
        do {
            return try JSONDecoder().decode(TestResults.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw HangarError(.resultsStore, "cannot read \(path): \(error.localizedDescription)", cause: error)
        }
    }

    private static func save(_ results: TestResults, to path: String) throws(HangarError) {
        do {
            try JSONEncoder().encode(results).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw HangarError(.resultsStore, "cannot write \(path): \(error.localizedDescription)", cause: error)
        }
    }
}
