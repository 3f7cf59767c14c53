import Crypto
import Foundation
public import HangarCore

/// The machines on this host: one state folder each under `<state>/machines/`.
public struct MachineRegistry: Sendable {
    /// `<state>/machines`.
    public let root: String

    /// A registry under the state folder `state`.
    public init(state: String) { root = "\(state)/machines" }

    /// The state folder name for machine `name` of the project in `project`: short, so socket paths fit.
    public func id(project: String, name: String) -> String {
        let digest = SHA256.hash(data: Data(project.utf8)).prefix(4).hexString
        return "\(digest)-\(name)"
    }

    /// The record in folder `id`, if any.
    public func record(id: String) -> MachineRecord? {
        guard let data = FileManager.default.contents(atPath: "\(root)/\(id)/machine.json") else { return nil }
        return try? JSONDecoder.hangar.decode(MachineRecord.self, from: data)
    }

    /// Saves a record atomically.
    public func save(_ record: MachineRecord) throws(HangarError) {
        do {
            try JSONEncoder.hangar.encode(record).write(to: URL(fileURLWithPath: "\(record.folder)/machine.json"), options: .atomic)
        } catch {
            throw HangarError(.machineState, "cannot write \(record.folder)/machine.json: \(error.localizedDescription)", cause: error)
        }
    }

    /// All machines of a project (all projects when nil), with their state.
    public func list(project: String? = nil) -> [(record: MachineRecord, state: MachineState)] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return ids.sorted().compactMap { record(id: $0) }
            .filter { project == nil || $0.project == project }
            .map { ($0, Self.isAlive($0) ? .running : .stale) }
    }

    /// True when the record's QEMU process still runs (not a zombie, not a reused pid).
    public static func isAlive(_ record: MachineRecord) -> Bool {
        guard let stat = ProcessStat(pid: record.pid) else { return false }
        return stat.state != "Z" && stat.startTime == record.pidStartTime
    }
}

/// The few fields of `/proc/PID/stat` Hangar needs.
struct ProcessStat {
    var state: Character
    var startTime: UInt64

    init?(pid: Int32) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3, starttime field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        self.state = state
        self.startTime = start
    }
}
