public import Foundation
public import HangarCore

/// A running machine's saved state (issue 10, part 1): its memory and devices, written by QEMU's
/// own migration, and its disk as it was then, kept as a read-only layer; any number of machines
/// restore from it, each writing to an overlay of its own.
///
/// The folder holds `state.zst` (the migration stream, compressed with zstd: most of a guest's
/// memory is zero or repeats), `disk.qcow2` (the disk layer, backed by the
/// cached image), `seed.iso` (the same devices must exist on restore) and `id_ed25519` (the guest
/// trusts only the key it booted with).
public struct SavedState: Sendable {
    public let folder: String
    public var state: String { "\(folder)/state.zst" }
    public var disk: String { "\(folder)/disk.qcow2" }
    public var seed: String { "\(folder)/seed.iso" }
    public var identity: String { "\(folder)/id_ed25519" }
    /// Written last: what was saved, how and when (`SnapshotManifest`).
    var manifest: String { "\(folder)/snapshot.json" }
    /// The layout of a saved state; a folder in another one is not restored.
    public static let format = 2

    public init(folder: String) { self.folder = folder }

    /// What the folder holds; nil while the save is not complete or in another format.
    public var about: SnapshotManifest? {
        guard let data = FileManager.default.contents(atPath: manifest),
            let about = try? SnapshotManifest.decoder.decode(SnapshotManifest.self, from: data), about.format == Self.format
        else { return nil }
        return about
    }

    /// The accelerator the state was saved under (a TCG state cannot be read by KVM); nil while the
    /// save is not complete.
    public var accel: String? { about?.accel }
}

/// `snapshot.json`: what a saved state is of.
public struct SnapshotManifest: Sendable, Codable {
    public var format: Int
    /// `kvm` or `tcg`.
    public var accel: String
    /// The machine's name in hangar.yml.
    public var machine: String
    /// The image (URL or path) it was made from.
    public var image: String
    /// The cached image under the saved disk layer, if it has a disk.
    public var backing: String?
    /// The QEMU that saved it (`qemu-system-x86_64 --version`); another cannot be trusted to read it.
    public var qemu: String
    public var created: Date

    static let decoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
    static let encoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()
}

extension Machines {
    /// Stops `record`'s guest and saves its state into `folder`; the machine stays paused (destroy it
    /// after). A failed save leaves no folder behind.
    public func save(_ record: MachineRecord, to folder: String) async throws(HangarError) -> SavedState {
        let saved = SavedState(folder: folder)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let zstd = try Tools.path(of: "zstd")
            _ = try qmp("stop", socket: record.qmpSocket)
            let uri = "exec:\(zstd) -q -1 -T0 > \(ShellQuote.quote(saved.state))"
            let arguments = String(decoding: try JSONSerialization.data(withJSONObject: ["uri": uri]), as: UTF8.self)
            _ = try qmp("migrate", arguments: arguments, socket: record.qmpSocket)
            let completed = try await Poll.until(every: .milliseconds(100), for: .seconds(120)) { () throws(HangarError) -> Bool in
                let status = try qmpStatus("query-migrate", socket: record.qmpSocket)
                if ["failed", "cancelled"].contains(status) {
                    throw HangarError(.machineSave, "QEMU could not save the machine's state (migration \(status))")
                }
                return status == "completed"
            }
            guard completed else {
                throw Task.isCancelled
                    ? HangarError(.runCancelled, "cancelled while saving machine '\(record.name)'")
                    : HangarError(.machineSave, "saving the machine's state did not end in 2 minutes")
            }
            for (from, to) in [
                ("\(record.folder)/disk.qcow2", saved.disk), ("\(record.folder)/seed.iso", saved.seed), (record.identity, saved.identity),
            ]
            where FileManager.default.fileExists(atPath: from) {
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: saved.identity)
            let about = SnapshotManifest(
                format: SavedState.format,
                accel: record.accel,
                machine: record.name,
                image: record.image,
                backing: record.backingImage,
                qemu: try await Self.qemuVersion(),
                created: Date()
            )
            try SnapshotManifest.encoder.encode(about).write(to: URL(fileURLWithPath: saved.manifest))
            return saved
        } catch {
            // A migration still writing (Ctrl-C, a full disk) stops before its folder goes.
            _ = QMPClient.execute("migrate_cancel", socket: record.qmpSocket)
            try? FileManager.default.removeItem(atPath: folder)
            throw error as? HangarError
                ?? HangarError(.machineSave, "cannot save the machine's state in \(folder): \(error.localizedDescription)", cause: error)
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
        try checkNotRunning(spec.name, id: id)
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
                ports: hostPorts(spec),
                backingImage: saved.disk
            )
            plan.incoming = saved.state
            let qemu = try await LaunchedQEMU.start(plan)
            launched = qemu
            // The state is read in, then the guest goes on from where it was saved.
            // Saved stopped, the guest stays paused once its state is read in.
            var status = ""
            _ = await Poll.until(every: .milliseconds(100), for: .seconds(60)) {
                status = (try? qmpStatus("query-status", socket: "\(folder)/qmp.sock")) ?? ""
                return status == "paused" || !qemu.isRunning
            }
            if Task.isCancelled { throw HangarError(.runCancelled, "cancelled while restoring machine '\(spec.name)'") }
            guard status == "paused" else {
                throw HangarError(.machineRestore, "QEMU did not read the saved state in \(saved.folder) (status '\(status)')")
            }
            _ = try qmp("cont", socket: "\(folder)/qmp.sock")
            var record = self.record(plan, project: project, id: id, pid: qemu.pid, ephemeral: ephemeral)
            record.restoredFrom = saved.folder
            try registry.save(record)
            try await GuestSSH(record).waitUntilReachable(timeout: spec.bootTimeout, master: true) { qemu.isRunning }
            try await setClock(of: record)
            if spec.freshIdentity { try await renewIdentity(of: record) }
            return record
        } catch {
            if let launched { await launched.kill() }
            try? FileManager.default.removeItem(atPath: folder)
            throw error as? HangarError
                ?? HangarError(.machineRestore, "cannot restore from \(saved.folder): \(error.localizedDescription)", cause: error)
        }
    }

    /// The guest's clock stood still while it was saved: set it to now (as root, or with sudo). A
    /// guest that does not let us is said, not failed: it runs, with the time it was saved at.
    private func setClock(of record: MachineRecord) async throws(HangarError) {
        let now = "@\(Int(Date().timeIntervalSince1970))"
        let result = try await GuestSSH(record).run(
            "if [ \"$(id -u)\" = 0 ]; then date -u -s \(now); else sudo -n date -u -s \(now); fi >/dev/null"
        )
        if result.status != 0 {
            notice(
                "machine '\(record.name)': restored, but its clock could not be set to now "
                    + "(\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))): it shows the time it was saved at"
            )
        }
    }

    /// `snapshot: fresh`: the restored guest gets its own machine-id and SSH host keys (as root, or
    /// with sudo; sshd reloads them), and this machine's known_hosts forgets the saved guest's keys.
    /// A guest that does not let us is said, not failed: it runs with the saved guest's identity.
    private func renewIdentity(of record: MachineRecord) async throws(HangarError) {
        let script = """
            rm -f /etc/machine-id /var/lib/dbus/machine-id
            if command -v systemd-machine-id-setup >/dev/null; then systemd-machine-id-setup >/dev/null
            else tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id; fi
            if ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1; then
                rm -f /etc/ssh/ssh_host_*; ssh-keygen -A >/dev/null
                systemctl reload ssh 2>/dev/null || systemctl reload sshd 2>/dev/null || pkill -HUP -x sshd || true
            fi
            """
        let quoted = ShellQuote.quote(script)
        let result = try await GuestSSH(record).run("if [ \"$(id -u)\" = 0 ]; then sh -ec \(quoted); else sudo -n sh -ec \(quoted); fi")
        try? FileManager.default.removeItem(atPath: "\(record.folder)/known_hosts")
        if result.status != 0 {
            notice(
                "machine '\(record.name)': restored, but it could not be given its own machine-id and SSH host keys "
                    + "(\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))): it has the saved guest's"
            )
        }
    }

    /// The `status` in QEMU's answer to `command` (`query-migrate`, `query-status`).
    func qmpStatus(_ command: String, socket: String) throws(HangarError) -> String {
        let answer = try qmp(command, socket: socket)
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
            let status = (object["return"] as? [String: Any])?["status"] as? String
        else { throw HangarError(.machineQmp, "QEMU's answer to '\(command)' says no status: \(answer)") }
        return status
    }

    /// QEMU's answer to `command`; throws when it does not answer or answers with an error.
    func qmp(_ command: String, arguments: String? = nil, socket: String) throws(HangarError) -> String {
        guard let answer = QMPClient.execute(command, arguments: arguments, socket: socket) else {
            throw HangarError(.machineQmp, "QEMU did not answer '\(command)' on \(socket)")
        }
        guard !answer.contains(#""error""#) else { throw HangarError(.machineQmp, "QEMU refused '\(command)': \(answer)") }
        return answer
    }
}
