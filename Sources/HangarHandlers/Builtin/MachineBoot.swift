import Foundation
public import HangarCore
import HangarMachine

/// `machine.boot`: starts the job's machine on a copy-on-write overlay and waits for SSH; mounts
/// the `share:` folder at /hangar (9p), or copies it there when the guest has no 9p. A machine of a
/// job that boots several gets its address on their private network (`PrivateNetwork`), whether it
/// booted for the run or was taken from the warm pool (a pool of such machines is kept per network
/// shape: the machine's place in the job and its number of links).
///
/// Its finalize destroys the machine unless the run keeps it (`hangar up`), so no QEMU process or
/// overlay outlives `hangar run`, whatever happens.
public struct MachineBoot: Handler {
    public static let name = "machine.boot"
    public static let summary = "Boot the job's machine, wait for SSH, share the project folder; destroyed at the end unless kept."
    public static let options: [OptionDoc] = []

    /// What the job's `prepare:` tasks do (`JobSpec.preparation`), set by the job's plan.
    public var preparation = ""

    public init(options: OptionReader) throws(HangarError) {}

    public func execute(_ context: TaskContext) async throws(HangarError) {
        do {
            try await start(context)
        } catch {
            // Of several machines booting at once, the error says which.
            let name = context.machineSpec.name
            guard context.jobMachines.count > 1, !error.message.contains("machine '\(name)'") else { throw error }
            var named = error
            named.message = "machine '\(name)': \(error.message)"
            throw named
        }
    }

    private func start(_ context: TaskContext) async throws(HangarError) {
        let spec = context.machineSpec
        let cached = Self.cachedImages(context)
        if let pool = context.pool, spec.pool > 0 {
            // Whether a pool machine is taken or this one boots (and saves the snapshot), the pool
            // then restores what it lacks.
            let folder = try await context.machines.snapshotFolder(spec, preparation: preparation, offline: context.offline, cached: cached)
            if var record = await pool.take(spec, from: folder) {
                context.emit(.notice("machine '\(spec.name)': taken from the warm pool (\(record.id)); another is restored behind it"))
                // The run's network (its names), not that of the run the pool first restored it for.
                record.network = spec.network
                context[.machine] = record
                if let network = spec.network { try await join(network, record, context) }
                return await pool.refill(spec, from: folder, count: spec.pool)
            }
            try await bootMachine(context, cached: cached)
            return await pool.refill(spec, from: folder, count: spec.pool)
        }
        try await bootMachine(context, cached: cached)
    }

    private func bootMachine(_ context: TaskContext, cached: [String: CachedImage]) async throws(HangarError) {
        let spec = context.machineSpec
        let record = try await context.machines.boot(
            spec,
            project: context.project.directory,
            id: context.machineID,
            ephemeral: !context.keepMachine,
            offline: context.offline,
            diagnostics: context.runFolder,
            cached: cached,
            preparation: preparation
        )
        context[.machine] = record
        if let network = spec.network { try await join(network, record, context) }
        if let share = spec.share { try await Share.attach(share, to: context.guest(record), emit: context.emit) }
    }

    /// Links the machine's sockets with those of the job's machines already there (and theirs with
    /// its own: whichever of two comes second links both), gives the guest its address on the
    /// job's private network and every machine's name.
    private func join(_ network: PrivateNIC, _ record: MachineRecord, _ context: TaskContext) async throws(HangarError) {
        let nics = Dictionary(
            uniqueKeysWithValues: context.jobMachines.compactMap { machine in machine.spec.network.map { (machine.spec.name, $0) } }
        )
        let folders = Dictionary(
            uniqueKeysWithValues: context.jobMachines.compactMap { machine in
                context.on(machine.spec.name)[.machine].map { (machine.spec.name, $0.folder) }
            }
        )
        try context.machines.link(PrivateNetwork.wiring(nics, folders: folders))
        let result = try await context.guest(record).run(network.setupScript)
        guard result.status == 0 else {
            // Kept or not, a machine that could not join is no use.
            await context.machines.destroy(record)
            context[.machine] = nil
            let said = (result.stderr + result.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            throw HangarError(
                .machineNetwork,
                "machine '\(record.name)' could not join the job's private network (status \(result.status)): \(said)",
                hint: "the guest needs 'ip' (iproute2 or busybox) and root or sudo"
            )
        }
        context.emit(.notice("machine '\(record.name)': \(network.address) on the job's private network"))
    }

    /// The images `image.fetch` cached for `spec`, by their names, so they are not fetched again.
    static func cachedImages(_ context: TaskContext) -> [String: CachedImage] {
        let spec = context.machineSpec
        var cached: [String: CachedImage] = [:]
        for (source, key) in [(spec.image, ContextKey<CachedImage>.image), (spec.kernel, .kernel), (spec.initrd, .initrd)] {
            if let source, let image = context[key] { cached[source.displayName] = image }
        }
        return cached
    }

    public func finalize(_ context: TaskContext) async {
        guard !context.keepMachine, let record = context[.machine] else { return }
        await context.machines.destroy(record)
        context[.machine] = nil
    }
}
