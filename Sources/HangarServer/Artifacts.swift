import Foundation
import Hummingbird

/// The files a run collected, under `<runs>/<id>/artifacts/`.
struct Artifacts {
    let folder: String

    init(runsFolder: String, run id: Int) { folder = "\(runsFolder)/\(id)/artifacts" }

    /// Every regular file, by path under the folder, sorted.
    func list() -> [ArtifactView] {
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []
        return names.sorted().compactMap { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { return nil }
            return ArtifactView(name: name, size: (attributes?[.size] as? Int) ?? 0)
        }
    }

    /// The file `components` names: 400 for a name that leaves the folder (`..`, or a symbolic
    /// link pointing out), 404 for one that is not there.
    func file(_ components: [Substring]) throws -> String {
        let names = components.map { $0.removingPercentEncoding ?? String($0) }
        guard !names.isEmpty, !names.contains(where: { $0 == ".." || $0 == "." || $0.contains("/") }) else {
            throw HTTPError(.badRequest, message: "artifact names are paths inside the run's artifacts folder; '..' is not allowed")
        }
        let path = URL(fileURLWithPath: "\(folder)/\(names.joined(separator: "/"))").resolvingSymlinksInPath().path
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        guard path.hasPrefix(root + "/") else { throw HTTPError(.badRequest, message: "artifact '\(names.joined(separator: "/"))' points outside its folder") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw HTTPError(.notFound, message: "no artifact '\(names.joined(separator: "/"))'")
        }
        return path
    }
}
