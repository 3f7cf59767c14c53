import Foundation
import HangarCore

/// Where a run's log and artifacts go: `<project>/.hangar/runs/<job>-<time>/` (the server picks its own).
enum RunFolder {
    static func create(project: ProjectFile, job: String) throws(HangarError) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = formatter.string(from: Date())
        var folder = "\(project.directory)/.hangar/runs/\(job)-\(stamp)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: folder) {
            suffix += 1
            folder = "\(project.directory)/.hangar/runs/\(job)-\(stamp)-\(suffix)"
        }
        return try create(at: folder)
    }

    /// Creates `folder` (and its parents) and returns it.
    static func create(at folder: String) throws(HangarError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw HangarError(.runFolder, "cannot create \(folder): \(error.localizedDescription)", cause: error)
        }
        return folder
    }
}

/// The run's `log.txt`: every event as a line, as it happens.
final class RunLog: Sendable {
    private let handle: FileHandle?

    init(path: String) {
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)
    }

    deinit { try? handle?.close() }

    func write(_ event: RunEvent) { append(event.logLine) }

    func write(_ result: RunResult) {
        append("run \(result.status.rawValue) in \(DurationText.format(result.duration))" + (result.error.map { ": \($0)" } ?? ""))
    }

    private func append(_ line: String) {
        try? handle?.write(contentsOf: Data((line + "\n").utf8))
    }
}
