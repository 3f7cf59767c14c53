import Foundation
public import HangarCore
public import HangarEngine
public import HangarMachine
import Synchronization

/// The projects a server runs: each subfolder of the projects folder with a `hangar.yml`, or with a
/// `source.yml` naming a git repository (`GitSource`).
///
/// `reload()` re-reads the files that changed and fetches git projects once a minute (the server
/// calls it every second). A file that breaks is reported with its error while the last good version
/// stays active.
public final class ProjectCatalog: Sendable {
    /// One project as the server sees it.
    public struct Entry: Sendable {
        /// The folder's name.
        public var name: String
        /// The last version that loaded, if any.
        public var workspace: Workspace?
        /// Why the current version does not load, if it does not.
        public var error: HangarError?
        /// The repository, for a git project.
        var source: GitSource?
        /// The branch head the workspace was read at, for a git project.
        var commit: String?
        /// The modification time of hangar.yml (or source.yml) when it was last read.
        var modified: Date?
        /// When a git project was last fetched.
        var fetched: Date?
    }

    private let folder: String
    private let paths: HangarPaths
    private let entries = Mutex<[String: Entry]>([:])

    /// Loads every local project under `folder` (git projects load on the first `reload()`).
    public init(folder: String, paths: HangarPaths) {
        self.folder = folder
        self.paths = paths
        reloadLocal()
    }

    /// Every project, by name.
    public var all: [Entry] { entries.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// The project `name`, or nil.
    public func entry(_ name: String) -> Entry? { entries.withLock { $0[name] } }

    /// Re-reads changed local projects and fetches git projects not fetched within a minute.
    public func reload() async {
        reloadLocal()
        for var entry in all where entry.fetched.map({ Date().timeIntervalSince($0) > 60 }) ?? true {
            guard let source = entry.source else { continue }
            entry.fetched = Date()
            do {
                let commit = try await source.update()
                entry.workspace = try load("\(source.clone)/hangar.yml")
                (entry.commit, entry.error) = (commit, nil)
            } catch {
                entry.error = error
            }
            let updated = entry
            entries.withLock { $0[updated.name] = updated }
        }
    }

    /// The workspace run `run` uses: the project's own, or for a git project its hangar.yml at the
    /// run's commit (fetched by `ref` when the clone lacks it: a pull request's head), checked out into `folder`.
    func workspace(for project: String, commit: String?, ref: String? = nil, folder: String) async throws(HangarError) -> Workspace {
        guard let entry = await fetched(project), let workspace = entry.workspace else {
            throw HangarError(.projectNotLoaded, "project '\(project)' is not loaded" + (entry(project)?.error.map { ": \($0)" } ?? ""))
        }
        guard let source = entry.source, let commit = commit ?? entry.commit else { return workspace }
        try await source.checkout(commit, ref: ref, at: folder)
        return try load("\(folder)/hangar.yml")
    }

    /// Project `name`, a git project fetched now if it was not yet (a server just started, a
    /// source.yml just added): a run handed out at once must find its clone.
    func fetched(_ name: String) async -> Entry? {
        if let entry = entry(name), entry.source != nil, entry.workspace == nil, entry.fetched == nil { await reload() }
        return entry(name)
    }

    /// Reads a hangar.yml; the variables its forge names (token, webhook secret) are withheld from
    /// every program the server starts from then on (`Command.withhold`).
    private func load(_ file: String) throws(HangarError) -> Workspace {
        let workspace = try Workspace(file: file, paths: paths, report: { _ in }, notice: { _ in })
        if let forge = workspace.project.forge { Command.withhold([forge.secretVariable] + [forge.tokenVariable].compactMap { $0 }) }
        return workspace
    }

    private func reloadLocal() {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { name in
            ["hangar.yml", "source.yml"].contains { FileManager.default.fileExists(atPath: "\(folder)/\(name)/\($0)") }
        }
        let known = entries.withLock { $0 }
        var updated: [String: Entry] = [:]
        for name in names {
            var entry = known[name] ?? Entry(name: name)
            let local = "\(folder)/\(name)/hangar.yml"
            let file = FileManager.default.fileExists(atPath: local) ? local : "\(folder)/\(name)/source.yml"
            let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
            if entry.modified != modified || modified == nil {
                entry.modified = modified
                do throws(HangarError) {
                    if file == local {
                        let workspace = try load(file)
                        if let gate = workspace.project.pipelines.first(where: { $0.trigger == .approved }) {
                            throw .usage(
                                .gateNotGit,
                                "pipeline '\(gate.name)' is a gate: it merges pull requests, so Hangar must hold the repository",
                                hint: "make '\(name)' a git project: a source.yml naming the repository ('git:' and 'branch:') instead of hangar.yml",
                                at: gate.location
                            )
                        }
                        entry.workspace = workspace
                        entry.error = nil
                    } else {
                        // A changed source.yml is fetched on the next reload.
                        entry.source = try GitSource.load(file, clone: "\(paths.state)/sources/\(name)")
                        entry.fetched = nil
                    }
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
