public import Foundation
public import HangarCore

/// Boots and destroys this host's machines: QEMU directly, one state folder each.
///
/// A boot either returns a machine that answers SSH or leaves nothing behind: no QEMU process, no
/// overlay, no state folder.
public struct Machines: Hypervisor {
    /// Where the cache and state folders are.
    public let paths: HangarPaths
    /// The image cache.
    public let cache: ImageCache
    /// The state folders.
    public let registry: MachineRegistry
    /// Called with notices (fallbacks, port changes) the user should see.
    public let notice: @Sendable (String) -> Void
    /// The worker the machines it boots belong to (`MachineRecord.owner`); nil outside server mode.
    public let owner: String?

    /// Machines under `paths`, booted for `owner`.
    public init(paths: HangarPaths, cache: ImageCache, owner: String? = nil, notice: @escaping @Sendable (String) -> Void) {
        self.paths = paths
        self.cache = cache
        self.registry = MachineRegistry(state: paths.state)
        self.owner = owner
        self.notice = notice
    }

    /// Boots `spec` in state folder `id` and waits until its guest answers SSH.
    ///
    /// A boot that fails after QEMU started keeps QEMU's log, the serial log and QMP `query-status`
    /// in `diagnostics` (`boot-1-qemu.log`, `boot-1-serial.log`, `boot-1-status.json`). A boot
    /// whose serial console stays silent past the machine's `boot-watchdog` is stuck, not slow: it
    /// is retried once, without the watchdog, and the notice says so; so is a boot whose kernel
    /// panicked (under TCG on a busy host, a failed IO-APIC timer check does it). Where `accel: auto` chose KVM
    /// and the guest stays silent or QEMU exits, the retry uses TCG, and this host remembers it:
    /// some hosts' KVM runs the firmware (so the probe passes) but hangs every guest kernel.
    /// `cached` holds images already fetched (by `image.fetch`), by URL or path, so they are not fetched again.
    /// `preparation` is what the job's `prepare:` tasks do (`JobSpec.preparation`): with `snapshot: true`,
    /// a cold machine is then saved by the job once they ran (`saveSnapshot`), not here.
    public func boot(
        _ spec: MachineSpec,
        project: String,
        id: String,
        ephemeral: Bool,
        offline: Bool,
        diagnostics: String,
        cached: [String: CachedImage] = [:],
        preparation: String = ""
    ) async throws(HangarError) -> MachineRecord {
        // Whichever way it comes up (cold, restored, saved), a machine's state folder is never
        // taken from a QEMU that still runs: that QEMU would outlive its record.
        try checkNotRunning(spec.name, id: id)
        if spec.snapshot {
            // `snapshot: true` (Machines+Snapshot.swift): restore the saved state, else boot cold and save it.
            let saved = SavedState(folder: try await snapshotFolder(spec, preparation: preparation, offline: offline, cached: cached))
            if let restored = await restoreIfPossible(spec, from: saved, project: project, id: id, ephemeral: ephemeral) { return restored }
            var cold = spec
            cold.snapshot = false
            let record = try await boot(
                cold,
                project: project,
                id: id,
                ephemeral: ephemeral,
                offline: offline,
                diagnostics: diagnostics,
                cached: cached
            )
            guard preparation.isEmpty else { return record }
            do {
                try await saveSnapshot(of: record, in: saved.folder)
            } catch {
                // Ctrl-C while booting: a boot that does not finish leaves no machine.
                await destroy(record)
                throw error
            }
            return record
        }
        let attempt = { (number: Int, accel: String, watchdog: Duration?) async throws(HangarError) -> MachineRecord in
            try await bootOnce(
                spec,
                project: project,
                id: id,
                ephemeral: ephemeral,
                offline: offline,
                cached: cached,
                accel: accel,
                watchdog: watchdog,
                diagnostics: (diagnostics, number)
            )
        }
        let (accel, warning) = try await Accelerator.choose(spec.accel, cache: paths.cache)
        if let warning { notice(warning) }
        do {
            return try await attempt(1, accel, spec.bootWatchdog > .zero ? spec.bootWatchdog : nil)
        } catch  where accel == "kvm" && spec.accel == .auto && [.machineSilent, .machineExited].contains(error.code) {
            Accelerator.remember(kvmWorks: false, cache: paths.cache)
            let what = error.code == .machineSilent ? "its serial console stayed silent" : "QEMU exited"
            notice(
                "machine '\(spec.name)': \(what) under KVM, which starts on this host but does not run this guest; "
                    + "booting it again with TCG, as every machine will until the host restarts (the first try's logs are in \(diagnostics))"
            )
            return try await attempt(2, "tcg", nil)
        } catch  where [.machineSilent, .machinePanic].contains(error.code) {
            notice("machine '\(spec.name)': \(error.message); booting it once more (the first try's logs are in \(diagnostics))")
            return try await attempt(2, accel, nil)
        }
    }

    private func bootOnce(
        _ spec: MachineSpec,
        project: String,
        id: String,
        ephemeral: Bool,
        offline: Bool,
        cached: [String: CachedImage],
        accel: String,
        watchdog: Duration?,
        diagnostics: (folder: String, attempt: Int)
    ) async throws(HangarError) -> MachineRecord {
        let folder = "\(registry.root)/\(id)"
        try checkNotRunning(spec.name, id: id)
        if registry.record(id: id) != nil { notice("cleaning up stale machine '\(spec.name)' (its QEMU is gone)") }
        try? FileManager.default.removeItem(atPath: folder)
        let sockets = [folder + "/qmp.sock"] + (spec.network?.links.map { "\(folder)/\($0.local)" } ?? [])
        guard sockets.allSatisfy({ $0.utf8.count < 104 }) else {
            throw .usage(.machinePath, "the state folder path \(folder) is too long for a socket", hint: "set HANGAR_STATE_DIR to a shorter path")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw HangarError(.machineState, "cannot create \(folder): \(error.localizedDescription)", cause: error)
        }
        var launched: LaunchedQEMU?
        do {
            let plan = try await prepare(spec, folder: folder, offline: offline, cached: cached, accel: accel)
            let qemu = try await LaunchedQEMU.start(plan)
            launched = qemu
            let record = self.record(plan, project: project, id: id, pid: qemu.pid, ephemeral: ephemeral)
            try registry.save(record)
            try await GuestSSH(record).waitUntilReachable(timeout: spec.bootTimeout, watchdog: watchdog) { qemu.isRunning }
            return record
        } catch {
            var error = error
            if let launched {
                if error.code != .runCancelled {
                    let kept = keepDiagnostics(of: folder, in: diagnostics.folder, prefix: "boot-\(diagnostics.attempt)-")
                    if kept, error.code != .machineSilent {
                        error.hint =
                            (error.hint.map { $0 + "\n  " } ?? "")
                            + "QEMU's log, the serial log and its status: \(diagnostics.folder)/boot-\(diagnostics.attempt)-*"
                    }
                }
                await launched.kill()
            }
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    public func link(_ wiring: [(link: String, target: String)]) throws(HangarError) {
        let files = FileManager.default
        for (path, target) in wiring where (try? files.destinationOfSymbolicLink(atPath: path)) != target {
            try? files.removeItem(atPath: path)
            do {
                try files.createSymbolicLink(atPath: path, withDestinationPath: target)
            } catch  where (try? files.destinationOfSymbolicLink(atPath: path)) == target {
                // Two machines arriving at once both made it.
            } catch {
                throw HangarError(
                    .machineNetwork,
                    "cannot link \(path) to \(target) for the job's private network: \(error.localizedDescription)",
                    cause: error
                )
            }
        }
    }

    /// Refuses state folder `id` while the machine in it runs.
    func checkNotRunning(_ name: String, id: String) throws(HangarError) {
        guard let existing = registry.record(id: id), MachineRegistry.isAlive(existing) else { return }
        throw .usage(
            .machineRunning,
            "machine '\(name)' is already running (pid \(existing.pid))",
            hint: "use 'hangar ssh' to log in, or 'hangar destroy' first"
        )
    }

    /// The record of the machine `plan` started as QEMU process `pid`.
    func record(_ plan: MachinePlan, project: String, id: String, pid: Int32, ephemeral: Bool) -> MachineRecord {
        MachineRecord(
            id: id,
            name: plan.spec.name,
            project: project,
            folder: plan.folder,
            pid: pid,
            pidStartTime: ProcessStat(pid: pid)?.startTime ?? 0,
            sshPort: plan.sshPort,
            ports: plan.ports,
            sshUser: plan.spec.ssh.user,
            identity: "\(plan.folder)/id_ed25519",
            image: (plan.spec.image ?? plan.spec.kernel)?.displayName ?? "",
            accel: plan.accel,
            ephemeral: ephemeral,
            created: Date(),
            backingImage: plan.backingImage,
            owner: owner,
            network: plan.spec.network
        )
    }

    public func fetch(_ source: ImageSource, offline: Bool) async throws(HangarError) -> CachedImage {
        try await cache.fetch(source, offline: offline)
    }

    /// Alive, and `true` over SSH within 5 s.
    public func answers(_ record: MachineRecord) async -> Bool {
        guard MachineRegistry.isAlive(record) else { return false }
        let answer = await withTimeLimit(.seconds(5)) { try? await GuestSSH(record).run("true") }
        guard case .finished(let result?) = answer else { return false }
        return result.status == 0
    }

    /// Stops the machine's QEMU (QMP `quit`, then signals) and removes its state folder.
    public func destroy(_ record: MachineRecord) async {
        if MachineRegistry.isAlive(record) {
            await GuestSSH(record).closeMaster()
            _ = QMPClient.execute("quit", socket: record.qmpSocket)
            for signal in [0, SIGTERM, SIGKILL] {
                if signal != 0 { kill(record.pid, signal) }
                if await Poll.until(every: .milliseconds(50), for: .milliseconds(2500), { !MachineRegistry.isAlive(record) }) { break }
            }
        }
        try? FileManager.default.removeItem(atPath: record.folder)
    }

    /// Copies a failed boot's QEMU log and serial log, and QEMU's answer to `query-status`, into
    /// `target`; says so and returns false when that is not possible.
    private func keepDiagnostics(of folder: String, in target: String, prefix: String) -> Bool {
        let status = QMPClient.execute("query-status", socket: "\(folder)/qmp.sock") ?? #"{"error": "QEMU did not answer on its QMP socket"}"#
        do {
            // Only the run folder itself is made: a tree removed meanwhile (what ran the run gave up) stays removed.
            if !FileManager.default.fileExists(atPath: target) {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
            }
            for name in ["qemu.log", "serial.log"] where FileManager.default.fileExists(atPath: "\(folder)/\(name)") {
                try? FileManager.default.removeItem(atPath: "\(target)/\(prefix)\(name)")
                try FileManager.default.copyItem(atPath: "\(folder)/\(name)", toPath: "\(target)/\(prefix)\(name)")
            }
            try Data((status + "\n").utf8).write(to: URL(fileURLWithPath: "\(target)/\(prefix)status.json"))
            return true
        } catch {
            notice("cannot keep the failed boot's logs in \(target): \(error.localizedDescription)")
            return false
        }
    }

    /// Fetches images, creates the overlay, the key and seed, and picks ports.
    private func prepare(
        _ spec: MachineSpec,
        folder: String,
        offline: Bool,
        cached: [String: CachedImage],
        accel: String
    ) async throws(HangarError) -> MachinePlan {
        for tool in ["qemu-system-x86_64", "ssh", "ssh-keygen"] + (spec.image == nil ? [] : ["qemu-img"])
            + (spec.ssh.identity == nil ? ["genisoimage"] : [])
        {
            _ = try Tools.path(of: tool)
        }
        let fetch = { (source: ImageSource) async throws(HangarError) -> CachedImage in
            if let image = cached[source.displayName] { return image }
            return try await cache.fetch(source, offline: offline)
        }
        let image = try await spec.image.asyncMap(fetch)
        let kernel = try await spec.kernel.asyncMap(fetch)
        let initrd = try await spec.initrd.asyncMap(fetch)
        var overlay: String?
        if let image {
            overlay = "\(folder)/disk.qcow2"
            try await Overlay.create(at: overlay!, on: image.path, size: spec.disk)
        }
        var seed: String?
        let identity = "\(folder)/id_ed25519"
        if let given = spec.ssh.identity {
            // Copied so ssh accepts its permissions, whatever the checkout made of them.
            do {
                try FileManager.default.copyItem(atPath: given, toPath: identity)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: identity)
            } catch {
                throw .usage(
                    .machineIdentity,
                    "cannot read the SSH identity \(given): \(error.localizedDescription)",
                    hint: "check 'ssh: identity:' in hangar.yml"
                )
            }
        } else {
            try await Command.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hangar", "-f", identity], code: .machineKey)
            let publicKey = try readText("\(identity).pub").trimmingCharacters(in: .whitespacesAndNewlines)
            seed = "\(folder)/seed.iso"
            try await CloudInitSeed.write(
                to: seed!,
                user: spec.ssh.user,
                publicKey: publicKey,
                hostname: spec.name,
                instanceID: (folder as NSString).lastPathComponent + "-\(Int(Date().timeIntervalSince1970))"
            )
        }
        return MachinePlan(
            spec: spec,
            folder: folder,
            overlay: overlay,
            seed: seed,
            kernel: kernel?.path,
            initrd: initrd?.path,
            accel: accel,
            sshPort: PortPicker.freePort(),
            ports: hostPorts(spec),
            backingImage: image?.path ?? kernel?.path
        )
    }

    /// The machine's forwards with the host ports it gets: the declared one when free, else (and for
    /// host port 0) a free one, said unless it was 0. A restored machine gets its own the same way.
    func hostPorts(_ spec: MachineSpec) -> [PortForward] {
        spec.ports.map { forward in
            guard forward.host == 0 || !PortPicker.isFree(forward.host) else { return forward }
            let picked = PortForward(host: PortPicker.freePort(), guest: forward.guest)
            if forward.host != 0 { notice("host port \(forward.host) is taken; forwarding \(picked.host) to guest port \(forward.guest) instead") }
            return picked
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws(HangarError) -> T) async throws(HangarError) -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

func readText(_ path: String) throws(HangarError) -> String {
    do {
        return try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8)
    } catch {
        throw HangarError(.hostRead, "cannot read \(path): \(error.localizedDescription)", cause: error)
    }
}
