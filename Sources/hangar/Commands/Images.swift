import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Images: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List or prune the image cache.",
        subcommands: [List.self, Prune.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cached images.")

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let entries = ImageCache(root: HangarPaths.fromEnvironment().cache).entries()
            if json { return try Terminal.json(entries) }
            if entries.isEmpty { return print("the image cache is empty") }
            Terminal.table(
                ["SHA256", "SIZE", "SOURCE"],
                entries.map {
                    [String($0.sha256.prefix(12)), "\($0.size / 1_048_576) MiB", $0.urls.joined(separator: " ")]
                }
            )
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove cached images no machine uses, and partial downloads.",
            discussion: "Images that kept snapshots are saved on stay; 'hangar snapshots prune' first frees them."
        )

        func run() async throws {
            let paths = HangarPaths.fromEnvironment()
            var inUse = Set(MachineRegistry(state: paths.state).list().filter { $0.state == .running }.map(\.record.backingImage))
            inUse.formUnion(Snapshots(cache: paths.cache).images().map { Optional($0) })
            let removed = ImageCache(root: paths.cache).prune(keeping: inUse)
            print("removed \(removed.count) image(s)")
        }
    }
}
