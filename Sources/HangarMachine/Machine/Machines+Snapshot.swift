import Crypto
import Foundation
public import HangarCore
import Synchronization

/// QEMU's version by its binary's identity (`Machines.qemuVersion`).
private let qemuVersions = Mutex<[String: String]>([:])

extension Machines {
    // `snapshot: true`: the first boot of a machine is a cold one whose state is then saved (the
    // guest is paused for it, a few seconds, and goes on); every later boot restores that state.
    // Snapshots are kept in `<cache>/snapshots/<key>`, the key covering everything that must match
    // (`snapshotKey`). A snapshot that cannot be restored is discarded, said so, and replaced by a
    // cold boot and a new save. Two Hangar processes booting one snapshot's first machine at once
    // save it once (a file lock).

    /// Where the snapshot of `spec`, prepared by `preparation`, is kept.
    public func snapshotFolder(
        _ spec: MachineSpec,
        preparation: String,
        offline: Bool,
        cached: [String: CachedImage]
    ) async throws(HangarError) -> String {
        "\(paths.cache)/snapshots/\(try await snapshotKey(spec, preparation: preparation, offline: offline, cached: cached))"
    }

    /// Saves `record` as the snapshot in `folder` unless it is there already (`keepSnapshot`); throws only
    /// when the run was cancelled meanwhile.
    public func saveSnapshot(of record: MachineRecord, in folder: String) async throws(HangarError) {
        await keepSnapshot(of: record, in: SavedState(folder: folder))
        if Task.isCancelled { throw HangarError(.runCancelled, "cancelled while saving machine '\(record.name)'") }
    }

    public func hasSnapshot(in folder: String) -> Bool { SavedState(folder: folder).accel != nil }

    /// A throwaway machine restored from the snapshot in `folder` (a warm pool's).
    public func restore(_ spec: MachineSpec, fromSnapshotIn folder: String, project: String, id: String) async throws(HangarError) -> MachineRecord {
        let saved = SavedState(folder: folder)
        guard let accel = saved.accel else { throw HangarError(.machineRestore, "there is no snapshot in \(folder)") }
        return try await restore(spec, from: saved, project: project, id: id, accel: accel)
    }

    /// `spec` restored from `saved` as machine `id`; nil when there is no snapshot yet or it could not
    /// be restored (then it is discarded, and the user told).
    func restoreIfPossible(_ spec: MachineSpec, from saved: SavedState, project: String, id: String, ephemeral: Bool) async -> MachineRecord? {
        guard let accel = saved.accel else { return nil }
        let name = (saved.folder as NSString).lastPathComponent.prefix(12)
        do throws(HangarError) {
            // The key holds QEMU's version too; this catches a state file copied from elsewhere.
            let qemu = try await Self.qemuVersion()
            if let other = saved.about?.qemu, other != qemu {
                throw HangarError(.machineRestore, "it was saved by \(other), and this is \(qemu)")
            }
            let record = try await restore(spec, from: saved, project: project, id: id, accel: accel, ephemeral: ephemeral)
            Snapshots.touch(saved)
            notice("machine '\(spec.name)': restored from its snapshot \(name)")
            return record
        } catch {
            notice("machine '\(spec.name)': its snapshot \(name) could not be restored (\(error.message)); booting it cold and saving a new one")
            try? FileManager.default.removeItem(atPath: saved.folder)
            return nil
        }
    }

    /// Saves `record`'s state as the snapshot `saved` (once, whoever else boots it now), then lets the
    /// guest go on. A failed save is said, not thrown: the machine is fine.
    private func keepSnapshot(of record: MachineRecord, in saved: SavedState) async {
        let name = (saved.folder as NSString).lastPathComponent.prefix(12)
        do {
            try FileManager.default.createDirectory(atPath: "\(paths.cache)/snapshots", withIntermediateDirectories: true)
            let lock = try await FileLock(path: "\(saved.folder).lock")
            if saved.accel == nil {
                // What a killed save left is no one's now: the lock is ours.
                let key = (saved.folder as NSString).lastPathComponent
                for name in try FileManager.default.contentsOfDirectory(atPath: "\(paths.cache)/snapshots") where name.hasPrefix("\(key).partial-") {
                    try? FileManager.default.removeItem(atPath: "\(paths.cache)/snapshots/\(name)")
                }
                let partial = "\(saved.folder).partial-\(getpid())"
                _ = try await save(record, to: partial)
                if Task.isCancelled {
                    // Ctrl-C during the save: what was there before is all that stays.
                    try? FileManager.default.removeItem(atPath: partial)
                    throw HangarError(.runCancelled, "cancelled while saving")
                }
                try? FileManager.default.removeItem(atPath: saved.folder)
                try FileManager.default.moveItem(atPath: partial, toPath: saved.folder)
                notice("machine '\(record.name)': saved snapshot \(name); later machines restore it")
            }
            withExtendedLifetime(lock) {}
        } catch {
            notice("machine '\(record.name)': no snapshot was saved: \(error)")
        }
        // Saving paused the guest (and a failed save may have): it goes on.
        _ = QMPClient.execute("cont", socket: record.qmpSocket)
    }

    /// What a snapshot must match: the images' digests, memory, CPUs, disk, kernel command line, SSH
    /// user and key, QEMU's version, the job's `prepare:` tasks, and the snapshot format.
    func snapshotKey(_ spec: MachineSpec, preparation: String, offline: Bool, cached: [String: CachedImage]) async throws(HangarError) -> String {
        var parts = ["hangar-snapshot-\(SavedState.format)"]
        for source in [spec.image, spec.kernel, spec.initrd] {
            guard let source else {
                parts.append("-")
                continue
            }
            var image = cached[source.displayName]
            if image == nil { image = try await cache.fetch(source, offline: offline) }
            guard let image else { continue }
            parts.append(image.sha256 ?? "\(image.path) \(Self.fileIdentity(image.path))")
        }
        parts += [
            try await Self.qemuVersion(), "\(spec.memory.bytes)", "\(spec.cpus)", "\(spec.disk?.bytes ?? 0)", spec.append ?? "", spec.ssh.user,
            spec.ssh.identity.map { "\($0) \(Self.fileIdentity($0))" } ?? "generated", preparation,
        ]
        // A machine of several has a second NIC: its state is not another's.
        if let network = spec.network { parts.append("private network \(network.mac)") }
        return SHA256.hash(data: Data(parts.joined(separator: "\n").utf8)).hexString
    }

    /// Removes the snapshots not restored for `unusedFor` (all when nil), keeping those running
    /// machines were restored from (`Snapshots.prune`); returns what went.
    public func pruneSnapshots(unusedFor: Duration?) -> [Snapshots.Entry] {
        let running = registry.list().filter { $0.state == .running }
        return Snapshots(cache: paths.cache).prune(inUse: Set(running.compactMap(\.record.backingImage)), unusedFor: unusedFor, now: Date())
    }

    /// The first line of `qemu-system-x86_64 --version`, asked once per binary: remembered by the
    /// binary's path, size and time, so a long-running worker whose QEMU is upgraded asks again.
    static func qemuVersion() async throws(HangarError) -> String {
        let binary = try Tools.path(of: "qemu-system-x86_64")
        let identity = "\(binary) \(fileIdentity(binary))"
        if let known = qemuVersions.withLock({ $0[identity] }) { return known }
        let version = String(try await Command.check([binary, "--version"], code: .machineQemu).split(separator: "\n").first ?? "")
        qemuVersions.withLock { $0[identity] = version }
        return version
    }

    /// A file's size and time, for files that have no digest.
    private static func fileIdentity(_ path: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return "\(attributes?[.size] as? Int ?? 0) \((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
    }
}
