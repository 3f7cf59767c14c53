import ArgumentParser
import Foundation
import HangarCore
import HangarMachine

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List or prune the saved machines that 'snapshot: true' restores.",
        subcommands: [List.self, Prune.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List kept snapshots, newest use first.")

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let entries = Snapshots(cache: HangarPaths.fromEnvironment().cache).entries()
            if json { return try Terminal.json(entries) }
            if entries.isEmpty { return print("no snapshots are kept (a machine with 'snapshot: true' saves one on its first boot)") }
            Terminal.table(
                ["KEY", "MACHINE", "SIZE", "LAST USED", "IMAGE"],
                entries.map {
                    [
                        String($0.key.prefix(12)), $0.machine, "\($0.size / 1_048_576) MiB", $0.lastUsed.formatted(.iso8601),
                        $0.image + ($0.problem.map { " (\($0))" } ?? ""),
                    ]
                }
            )
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove snapshots no running machine was restored from, and what interrupted saves left.",
            discussion: "A removed snapshot costs its machine's next boot a cold start, which saves a new one."
        )

        @Option(help: "Remove only snapshots not used for this long, e.g. 7d or 12h.", transform: Self.duration)
        var unusedFor: Duration?

        @Flag(help: "Print what was removed as JSON.")
        var json = false

        func run() throws {
            let paths = HangarPaths.fromEnvironment()
            let machines = Machines(paths: paths, cache: ImageCache(root: paths.cache), notice: { _ in })
            let removed = machines.pruneSnapshots(unusedFor: unusedFor)
            if json { return try Terminal.json(removed) }
            let bytes = removed.reduce(0) { $0 + $1.size }
            print("removed \(removed.count) snapshot(s), \(bytes / 1_048_576) MiB")
        }

        static func duration(_ text: String) throws -> Duration {
            guard let duration = DurationText.parse(text) else { throw ValidationError("'\(text)' is not a duration: say e.g. 7d, 12h or 30m") }
            return duration
        }
    }
}
