import Foundation
public import HangarCore
public import HangarEngine
public import HangarMachine

/// The projects a server runs: each subfolder of the projects folder with a `hangar.yml`.
/// A project whose file is broken is kept with its error, so the API can show it.
public struct ProjectCatalog: Sendable {
    /// Loaded projects by folder name.
    public var projects: [String: Workspace]
    /// Projects whose hangar.yml does not load, with the reason.
    public var broken: [String: HangarError]

    /// Loads every project under `folder`.
    public init(folder: String, paths: HangarPaths) {
        projects = [:]
        broken = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where FileManager.default.fileExists(atPath: "\(folder)/\(name)/hangar.yml") {
            do {
                projects[name] = try Workspace(file: "\(folder)/\(name)/hangar.yml", paths: paths, report: { _ in }, notice: { _ in })
            } catch {
                broken[name] = error
            }
        }
    }
}
