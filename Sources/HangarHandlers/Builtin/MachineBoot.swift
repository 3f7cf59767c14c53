public import HangarCore
import HangarMachine

/// `machine.boot`: starts the job's machine on a copy-on-write overlay and waits for SSH; mounts
/// the `share:` folder at /hangar (9p), or copies it there when the guest has no 9p.
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
        let spec = context.machineSpec
        let cached = Self.cachedImages(context)
        if let pool = context.pool, spec.pool > 0 {
            // Whether a pool machine is taken or this one boots (and saves the snapshot), the pool
            // then restores what it lacks.
            let folder = try await context.machines.snapshotFolder(spec, preparation: preparation, offline: context.offline, cached: cached)
            if let record = await pool.take(from: folder) {
                context.emit(.notice("machine '\(spec.name)': taken from the warm pool (\(record.id)); another is restored behind it"))
                context[.machine] = record
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
        if let share = spec.share { try await Share.attach(share, to: context.guest(record), emit: context.emit) }
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
