import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

/// Options every project command takes.
struct ProjectOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The project file.")
    var file = "hangar.yml"

    /// Loads the project; image download progress goes to stderr.
    func workspace() throws -> Workspace {
        try Workspace(file: file, paths: .fromEnvironment(), report: Terminal.progress, notice: { Terminal.note($0) })
    }
}

/// Options of commands that act on one machine.
struct MachineOptions: ParsableArguments {
    @OptionGroup var project: ProjectOptions

    @Option(name: [.long, .customLong("on")], help: "The machine, when the project has several (--on is the same).")
    var machine: String?

    /// The running machine these options name.
    func running() throws -> MachineRecord { try project.workspace().running(machine) }
}

/// Output to the person at the terminal.
enum Terminal {
    static let isTTY = isatty(STDERR_FILENO) == 1

    static func note(_ text: String) { printError("hangar: \(text)") }

    static func printError(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    /// A download progress bar on a terminal; nothing when output is not a terminal.
    @Sendable static func progress(_ event: ImageCache.ProgressEvent) {
        switch event {
        case .notice(let text): note(text)
        case .downloading(let name, let bytes, let total) where isTTY:
            let mib = Double(bytes) / 1_048_576
            let line =
                total.map { "\(name): \(Int(Double(bytes) * 100 / Double(max($0, 1))))% of \(String(format: "%.1f", Double($0) / 1_048_576)) MiB" }
                ?? "\(name): \(String(format: "%.1f", mib)) MiB"
            FileHandle.standardError.write(Data("\r\u{1B}[K  downloading \(line)".utf8))
        case .done where isTTY: FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        default: break
        }
    }

    /// Prints rows as aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            print(
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces)
            )
        }
    }

    /// Prints a value as JSON.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
