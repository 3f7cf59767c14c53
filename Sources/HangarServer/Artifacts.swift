import Foundation
import HangarAPI
import HangarCore
import Hummingbird

/// The files a run collected, under `<runs>/<id>/artifacts/`.
struct Artifacts {
    let folder: String

    init(runsFolder: String, run id: Int) { folder = "\(runsFolder)/\(id)/artifacts" }

    /// Every regular file, by path under the folder, sorted.
    func list() -> [API.Artifact] {
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []
        return names.sorted().compactMap { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { return nil }
            return API.Artifact(name: name, size: (attributes?[.size] as? Int) ?? 0)
        }
    }

    /// The file `path` names (folders separated by `/`): 400 for a name that leaves the folder
    /// (`..`, or a symbolic link pointing out), 404 for one that is not there.
    func file(_ path: String) throws -> String {
        let names = try Self.names(of: path)
        let path = URL(fileURLWithPath: "\(folder)/\(names.joined(separator: "/"))").resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        // Compared as bytes: as characters, a name starting with a combining mark (an emoji
        // modifier) would join the "/" before it, and a file inside would look outside.
        guard path.utf8.starts(with: (root + "/").utf8) else {
            throw HTTPError(.badRequest, message: "artifact '\(names.joined(separator: "/"))' points outside its folder")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw HTTPError(.notFound, message: "no artifact '\(names.joined(separator: "/"))'")
        }
        return path
    }

    /// The test results its `collect` tasks read (none when there are none).
    /// What the run measured (`RunMeasurements` wrote it under the artifacts); none when it did not.
    func measures() throws -> [Measure] {
        guard let data = FileManager.default.contents(atPath: "\(folder)/\(Measure.fileName)") else { return [] }
        return try JSONDecoder().decode([Measure].self, from: data)
    }

    func results() throws -> TestResults {
        let path = "\(folder)/\(TestResults.fileName)"
        guard let data = FileManager.default.contents(atPath: path) else { return TestResults() }
        return try JSONDecoder().decode(TestResults.self, from: data)
    }

    /// True when `data` reads as text: valid UTF-8 without NUL bytes (checked on its first 64 KiB,
    /// ignoring a character the cut split).
    static func isText(_ data: Data) -> Bool {
        var head = data.prefix(65_536)
        guard !head.contains(0) else { return false }
        for _ in 0..<4 where String(data: head, encoding: .utf8) == nil && data.count > head.count { head = head.dropLast() }
        return String(data: head, encoding: .utf8) != nil
    }

    /// Where a worker's upload of `path` goes (checked like `file(_:)`, but need not exist yet).
    func destination(_ path: String) throws -> String { "\(folder)/\(try Self.names(of: path).joined(separator: "/"))" }

    /// The folder and file names of `path`, each decoded; 400 for one that is not a plain name.
    private static func names(of path: String) throws -> [String] {
        let names = path.split(separator: "/", omittingEmptySubsequences: false).map { $0.removingPercentEncoding ?? String($0) }
        if let bad = names.first(where: { $0 == ".." || $0 == "." || $0.isEmpty || $0.contains("/") || $0.contains("\0") }) {
            let why = bad.contains("/") ? "an encoded slash (%2F) inside a name" : bad.isEmpty ? "an empty folder name" : "'\(bad)'"
            throw HTTPError(
                .badRequest,
                message: "an artifact's path is its folders and name under the run's artifacts folder, separated by '/'; it may not contain \(why)"
            )
        }
        return names
    }
}
