import Foundation
public import HangarCore
import HangarMachine

/// `collect`: copies guest files matching shell globs into the run's `artifacts/` folder.
public struct Collect: Handler {
    public static let name = "collect"
    public static let summary = "Copy guest files matching globs into the run's artifacts folder."
    public static let options = [
        OptionDoc("paths", "list of globs", default: nil, "Guest paths, such as /hangar/results/*.xml."),
        OptionDoc("optional", "bool", default: "false", "When false, a glob that matches nothing fails the task."),
        OptionDoc("format", "text", default: "none", "What the files are (junit, log, ...); recorded for reports."),
    ]

    let paths: [String]
    let optional: Bool

    public init(options: OptionReader) throws(HangarError) {
        guard let paths = try options["paths"]?.strings(), !paths.isEmpty else {
            throw .usage("config.missing-option", "missing option 'paths'", at: options.location)
        }
        self.paths = paths
        optional = try options["optional"]?.bool() ?? false
        _ = try options["format"]?.string()
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let guest = GuestSSH(try context.machine())
        let artifacts = "\(context.runFolder)/artifacts"
        for glob in paths {
            // The guest's shell expands the glob; unmatched globs stay literal and are filtered out.
            let list = try await guest.run("for f in \(glob); do [ -e \"$f\" ] && echo \"$f\"; done; true")
            let files = list.stdout.split(separator: "\n").map(String.init)
            if files.isEmpty && !optional {
                throw HangarError(
                    "collect.nothing",
                    "'\(glob)' matched no file in the guest",
                    hint: "set 'optional: true' if that is fine",
                    kind: .test
                )
            }
            for file in files {
                try await guest.copyOut(file, to: artifacts)
                context.emit(.notice("collected \(file) into \(artifacts)"))
            }
        }
    }
}
