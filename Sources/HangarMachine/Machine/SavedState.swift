public import Foundation
public import HangarCore

/// A running machine's saved state (issue 10, part 1): its memory and devices, written by QEMU's
/// own migration, and its disk as it was then, kept as a read-only layer; any number of machines
/// restore from it, each writing to an overlay of its own.
///
/// The folder holds `state` (the migration stream), `disk.qcow2` (the disk layer, backed by the
/// cached image), `seed.iso` (the same devices must exist on restore) and `id_ed25519` (the guest
/// trusts only the key it booted with).
public struct SavedState: Sendable {
    public let folder: String
    public var state: String { "\(folder)/state" }
    public var disk: String { "\(folder)/disk.qcow2" }
    public var seed: String { "\(folder)/seed.iso" }
    public var identity: String { "\(folder)/id_ed25519" }
    /// Written last: what the state was saved under (`accel`: a TCG state cannot be read by KVM).
    var manifest: String { "\(folder)/snapshot.json" }

    public init(folder: String) { self.folder = folder }

    /// The accelerator the state was saved under; nil while the save is not complete.
    public var accel: String? {
        guard let data = FileManager.default.contents(atPath: manifest),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return json["accel"] as? String
    }
}

extension Machines {
    /// Stops `record`'s guest and saves its state into `folder`; the machine stays paused (destroy it
    /// after). A failed save leaves no folder behind.
    public func save(_ record: MachineRecord, to folder: String) async throws(HangarError) -> SavedState {
        let saved = SavedState(folder: folder)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = try qmp("stop", socket: record.qmpSocket)
            let uri = "exec:cat > \(ShellQuote.quote(saved.state))"
            let arguments = String(decoding: try JSONSerialization.data(withJSONObject: ["uri": uri]), as: UTF8.self)
            _ = try qmp("migrate", arguments: arguments, socket: record.qmpSocket)
            var status = ""
            for _ in 0..<1_200 {
                status = try qmp("query-migrate", socket: record.qmpSocket)
                if status.contains(#""status": "completed""#) || status.contains(#""status":"completed""#) { break }
                if status.contains("failed") || status.contains("cancelled") {
                    throw HangarError("machine.save", "QEMU could not save the machine's state: \(status)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard status.contains("completed") else { throw HangarError("machine.save", "saving the machine's state did not end in 2 minutes") }
            for (from, to) in [
                ("\(record.folder)/disk.qcow2", saved.disk), ("\(record.folder)/seed.iso", saved.seed), (record.identity, saved.identity),
            ]
            where FileManager.default.fileExists(atPath: from) {
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: saved.identity)
            try JSONSerialization.data(withJSONObject: ["format": 1, "accel": record.accel]).write(to: URL(fileURLWithPath: saved.manifest))
            return saved
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error as? HangarError ?? HangarError("machine.save", "cannot save the machine's state in \(folder): \(error.localizedDescription)")
        }
    }

    /// Starts `spec` as machine `id` from `saved` instead of booting it: a new overlay on the saved
    /// disk, QEMU reading the saved state, then continued; returns once its guest answers SSH.
    public func restore(
        _ spec: MachineSpec,
        from saved: SavedState,
        project: String,
        id: String,
        accel: String,
        ephemeral: Bool = true
    ) async throws(HangarError) -> MachineRecord {
        let folder = "\(registry.root)/\(id)"
        try? FileManager.default.removeItem(atPath: folder)
        var launched: LaunchedQEMU?
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let identity = "\(folder)/id_ed25519"
            try FileManager.default.copyItem(atPath: saved.identity, toPath: identity)
            var overlay: String?
            if FileManager.default.fileExists(atPath: saved.disk) {
                overlay = "\(folder)/disk.qcow2"
                try await Overlay.create(at: overlay!, on: saved.disk, size: nil)
            }
            let kernel = try await spec.kernel.asyncMap { source throws(HangarError) in try await cache.fetch(source, offline: true) }
            let initrd = try await spec.initrd.asyncMap { source throws(HangarError) in try await cache.fetch(source, offline: true) }
            var plan = MachinePlan(
                spec: spec,
                folder: folder,
                overlay: overlay,
                seed: FileManager.default.fileExists(atPath: saved.seed) ? saved.seed : nil,
                kernel: kernel?.path,
                initrd: initrd?.path,
                accel: accel,
                sshPort: PortPicker.freePort(),
                ports: spec.ports.map { PortForward(host: $0.host == 0 ? 0 : PortPicker.freePort(), guest: $0.guest) },
                backingImage: saved.disk
            )
            plan.incoming = saved.state
            let qemu = try await LaunchedQEMU.start(plan)
            launched = qemu
            // The state is read in, then the guest goes on from where it was saved.
            var status = ""
            for _ in 0..<600 where qemu.isRunning {
                status = (try? qmp("query-status", socket: "\(folder)/qmp.sock")) ?? ""
                if status.contains("paused") || status.contains("postmigrate") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard status.contains("paused") || status.contains("postmigrate") else {
                throw HangarError("machine.restore", "QEMU did not read the saved state in \(saved.folder): \(status)")
            }
            _ = try qmp("cont", socket: "\(folder)/qmp.sock")
            let record = Self.record(plan, project: project, id: id, pid: qemu.pid, ephemeral: ephemeral)
            try registry.save(record)
            try await GuestSSH(record).waitUntilReachable(timeout: spec.bootTimeout, watchdog: nil) { qemu.isRunning }
            return record
        } catch {
            if let launched { await launched.kill() }
            try? FileManager.default.removeItem(atPath: folder)
            throw error as? HangarError ?? HangarError("machine.restore", "cannot restore from \(saved.folder): \(error.localizedDescription)")
        }
    }

    /// QEMU's answer to `command`; throws when it does not answer or answers with an error.
    func qmp(_ command: String, arguments: String? = nil, socket: String) throws(HangarError) -> String {
        guard let answer = QMPClient.execute(command, arguments: arguments, socket: socket) else {
            throw HangarError("machine.qmp", "QEMU did not answer '\(command)' on \(socket)")
        }
        guard !answer.contains(#""error""#) else { throw HangarError("machine.qmp", "QEMU refused '\(command)': \(answer)") }
        return answer
    }
}
