import Crypto
public import Foundation
public import HangarCore
public import HangarMachine

/// Who a worker is: its name, and this life of it (the instance, new at each start). A name is one
/// worker's at a time: a coordinator refuses a second instance under a name while the first is
/// online, and a state folder is one worker's at a time under a name (a file lock), so the runs
/// held under a name, the journal and the machines a worker's restart cleans up are its own.
///
/// `<state>/workers/<name>/` holds the lock, the last instance (`instance`: a restart takes the name
/// over from it at once) and the journal.
public struct WorkerIdentity: Sendable {
    /// The worker's name.
    public let name: String
    /// This life's id.
    public let instance: String
    /// The id of the last life with this state folder and name, if there was one.
    public let replaces: String?
    /// `<state>/workers/<name>`.
    public let folder: String

    /// A new life of worker `name` with state folder `state`.
    public init(name: String, state: String) {
        self.name = name
        folder = "\(state)/workers/\(name)"
        instance = UUID().uuidString.lowercased()
        replaces = (try? String(contentsOfFile: "\(folder)/instance", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The lock that makes this process the worker, held until it is released; refused when
    /// another process on this host is that worker now.
    public func lock() throws(HangarError) -> FileLock {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if let lock = try FileLock.attempt(path: "\(folder)/lock") { return lock }
        } catch {
            throw HangarError(.workerState, "cannot take the worker's folder \(folder): \(error.localizedDescription)", cause: error)
        }
        throw .usage(
            .workerRunning,
            "another Hangar process on this host runs as worker \(name) with this state folder (\(folder))",
            hint: "stop it first, or give this one its own HANGAR_STATE_DIR or --name"
        )
    }

    /// Notes this life as the last one, once the coordinator gave it the name.
    public func remember() throws(HangarError) {
        do {
            try Data(instance.utf8).write(to: URL(fileURLWithPath: "\(folder)/instance"), options: .atomic)
        } catch {
            throw HangarError(.workerState, "cannot write \(folder)/instance: \(error.localizedDescription)", cause: error)
        }
    }

    /// The name a worker takes without `--name`: the host's, with a short digest of its state folder,
    /// so two workers on one host (each with its own state folder) never share one.
    public static func defaultName(host: String = ProcessInfo.processInfo.hostName, paths: HangarPaths) -> String {
        let folder = URL(fileURLWithPath: paths.state).standardizedFileURL.path
        let digest = SHA256.hash(data: Data(folder.utf8)).prefix(3).hexString
        let host = host.filter { $0.isLetter || $0.isNumber || ".-".contains($0) }
        return "\(host.isEmpty ? "worker" : host)-\(digest)"
    }
}
