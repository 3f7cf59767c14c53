import Foundation
public import HangarCore
public import HangarEngine
public import HangarMachine
import Synchronization

/// The projects a server runs: each subfolder of the projects folder with a `hangar.yml`.
///
/// `reload()` re-reads the files that changed (the server calls it every second). A file that
/// breaks is reported with its error while the last good version stays active.
public final class ProjectCatalog: Sendable {
    /// One project as the server sees it.
    public struct Entry: Sendable {
        /// The folder's name.
        public var name: String
        /// The last version that loaded, if any.
        public var workspace: Workspace?
        /// Why the file on disk does not load, if it does not.
        public var error: HangarError?
        /// The file's modification time when it was last read.
        var modified: Date?
    }

    private let folder: String
    private let paths: HangarPaths
    private let entries = Mutex<[String: Entry]>([:])

    /// Loads every project under `folder`.
    public init(folder: String, paths: HangarPaths) {
        self.folder = folder
        self.paths = paths
        reload()
    }

    /// Every project, by name.
    public var all: [Entry] { entries.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// The project `name`, or nil.
    public func entry(_ name: String) -> Entry? { entries.withLock { $0[name] } }

    /// Reads new and changed hangar.yml files and forgets removed projects.
    public func reload() {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(folder)/\($0)/hangar.yml")
        }
        let known = entries.withLock { $0 }
        var updated: [String: Entry] = [:]
        for name in names {
            let file = "\(folder)/\(name)/hangar.yml"
            let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
            var entry = known[name] ?? Entry(name: name)
            if entry.modified != modified || modified == nil {
                entry.modified = modified
                do {
                    entry.workspace = try Workspace(file: file, paths: paths, report: { _ in }, notice: { _ in })
                    entry.error = nil
                } catch {
                    entry.error = error
                }
            }
            updated[name] = entry
        }
        entries.withLock { $0 = updated }
    }
}

extension ProjectCatalog.Entry {
    init(name: String) { self.name = name }
}
