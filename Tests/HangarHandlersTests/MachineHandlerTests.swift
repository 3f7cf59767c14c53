import HangarCore
import HangarHandlers
import HangarMachine
import HangarTestSupport
import Synchronization
import Testing

/// The handlers that start and stop machines, on the fake hypervisor: what they ask of it, what
/// they leave in the job context, and that no machine outlives a run that does not keep it.
extension HandlerTests {
    static let leap = CachedImage(path: "/cache/leap.qcow2", sha256: "ab", source: .url("https://x/leap.qcow2", sha256: nil))

    static var leapSpec: MachineSpec {
        var spec = MachineSpec(name: "web")
        spec.image = .url("https://x/leap.qcow2", sha256: nil)
        return spec
    }

    /// `image.fetch` puts what the cache holds in the job context, names the OBS build an image
    /// resolved to, and fails as the cache does (offline, not built yet).
    @Test func imageFetchPutsTheCachedImagesInTheContext() async throws {
        var spec = Self.leapSpec
        spec.kernel = .file("/boot/vmlinuz")
        var built = Self.leap
        built.build = OBSBuild(
            filename: "leap.qcow2",
            size: 3 << 20,
            mtime: 0,
            url: "https://obs/leap.qcow2",
            checksumURL: nil,
            link: "https://obs/pkg"
        )
        hypervisor.image("https://x/leap.qcow2", .success(built))
        hypervisor.image("/boot/vmlinuz", .success(CachedImage(path: "/boot/vmlinuz", sha256: nil, source: .file("/boot/vmlinuz"))))
        let context = try context(booted: false, spec: spec)
        try await handler("use: image.fetch").execute(context)
        #expect(context[.image] == built && context[.kernel]?.path == "/boot/vmlinuz" && context[.initrd] == nil)
        #expect(notices.count == 1 && notices[0].hasPrefix("image: leap.qcow2 (3 MiB, built ") && notices[0].hasSuffix("https://obs/pkg"))
        hypervisor.image("https://x/leap.qcow2", .failure(HangarError(.imageNotReady, "not ready yet")))
        #expect(await failure { try await handler("use: image.fetch").execute(context) }?.code == .imageNotReady)
        spec.image = .url("https://x/other.qcow2", sha256: nil)
        let offline = try self.context(booted: false, spec: spec)
        #expect(await failure { try await handler("use: image.fetch").execute(offline) }?.code == .imageNotCached)
    }

    /// `machine.boot` boots the job's machine with the images `image.fetch` cached; its finalize
    /// destroys it unless the run keeps it (`hangar up`), and a machine running in that state
    /// folder is refused.
    @Test func machineBootUsesTheFetchedImagesAndIsDestroyedUnlessKept() async throws {
        let context = try context(booted: false, spec: Self.leapSpec)
        context[.image] = Self.leap
        let boot = try handler("use: machine.boot")
        try await boot.execute(context)
        let first = try #require(hypervisor.boots.first)
        #expect(first.id == "test" && first.machine == "web" && first.ephemeral && first.cached == ["https://x/leap.qcow2"])
        #expect(context[.machine]?.name == "web" && hypervisor.runningIDs == ["test"])
        await boot.finalize(context)
        #expect(hypervisor.runningIDs.isEmpty && hypervisor.destroyedIDs == ["test"] && context[.machine] == nil)

        let kept = try self.context(booted: false, spec: Self.leapSpec, keep: true)
        try await boot.execute(kept)
        await boot.finalize(kept)
        #expect(hypervisor.runningIDs == ["test"] && hypervisor.boots.last?.ephemeral == false && kept[.machine] != nil)
        let twice = try #require(await failure { try await boot.execute(try self.context(booted: false, spec: Self.leapSpec)) })
        #expect(twice.code == .machineRunning && twice.kind == .usage)
    }

    /// A failed boot leaves no machine in the context and nothing running.
    @Test func machineBootThatFailsLeavesNothing() async throws {
        let context = try context(booted: false, spec: Self.leapSpec)
        hypervisor.failNextBoot(HangarError(.machineSilent, "machine 'web': its serial console stayed silent"))
        let failed = try #require(await failure { try await handler("use: machine.boot").execute(context) })
        #expect(failed.code == .machineSilent && context[.machine] == nil && hypervisor.runningIDs.isEmpty)
    }

    /// `share:` mounts 9p at /hangar; a guest without 9p gets the folder copied in, and is told so.
    @Test func machineBootSharesTheFolderOrCopiesItIn() async throws {
        var spec = Self.leapSpec
        spec.share = "/p/src"
        let boot = try handler("use: machine.boot")
        let mounted = try context(booted: false, spec: spec)
        try await boot.execute(mounted)
        await boot.finalize(mounted)
        #expect(guest.commands.count == 1 && guest.commands[0].contains("mount -t 9p") && guest.copiedIn.isEmpty && notices.isEmpty)

        guest.answer("mount -t 9p", .init(status: 32, stderr: "unknown filesystem type '9p'"))
        try await boot.execute(try context(booted: false, spec: spec))
        #expect(guest.copiedIn.map(\.source) == ["/p/src/."] && guest.copiedIn.map(\.destination) == ["/hangar"])
        #expect(notices == ["the guest cannot mount 9p; copying /p/src to /hangar instead (one-way, at boot)"])
    }

    /// `machine.destroy` stops the machine now; without one it says a boot task is needed.
    @Test func machineDestroyStopsTheMachineNow() async throws {
        let context = try context(booted: false, spec: Self.leapSpec)
        try await handler("use: machine.boot").execute(context)
        try await handler("use: machine.destroy").execute(context)
        #expect(hypervisor.destroyedIDs == ["test"] && context[.machine] == nil)
        let none = try #require(await failure { try await handler("use: machine.destroy").execute(context) })
        #expect(none.code == .taskNoMachine && none.kind == .usage)
    }

    /// With `pool: 1`: the first run boots and saves the snapshot, which fills the pool; the next run
    /// takes the pool machine and another is restored behind it; a restored machine is not saved again.
    @Test func machineBootTakesAPoolMachineOnceTheSnapshotIsSaved() async throws {
        var spec = Self.leapSpec
        spec.snapshot = true
        spec.pool = 1
        let pool = WarmPool(machines: hypervisor)
        let boot = try handler("use: machine.boot")
        let first = try context(booted: false, spec: spec, pool: pool)
        try await boot.execute(first)
        await pool.settled()
        #expect(hypervisor.boots.count == 1 && pool.readyCount.withLock { $0 } == 0)
        try await SaveSnapshot(preparation: "").execute(first)
        await pool.settled()
        #expect(hypervisor.saves == 1 && pool.readyCount.withLock { $0 } == 1)
        await boot.finalize(first)

        let second = try context(booted: false, spec: spec, pool: pool)
        try await boot.execute(second)
        #expect(second[.machine]?.restoredFrom == "/fake/snapshots/web-0" && hypervisor.boots.count == 1)
        #expect(notices.contains { $0.contains("taken from the warm pool") })
        try await SaveSnapshot(preparation: "").execute(second)
        await pool.settled()
        #expect(hypervisor.saves == 1 && pool.readyCount.withLock { $0 } == 1)
        await boot.finalize(second)
        await pool.drain()
        #expect(hypervisor.runningIDs.isEmpty)
    }
}
