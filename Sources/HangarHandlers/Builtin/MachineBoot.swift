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

    public init(options: OptionReader) throws(HangarError) {}

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let spec = context.machineSpec
        // Use what image.fetch cached rather than fetching again.
        var cached: [String: CachedImage] = [:]
        for (source, key) in [(spec.image, ContextKey<CachedImage>.image), (spec.kernel, .kernel), (spec.initrd, .initrd)] {
            if let source, let image = context[key] { cached[source.displayName] = image }
        }
        let record = try await context.machines.boot(
            spec,
            project: context.project.directory,
            id: context.machineID,
            ephemeral: !context.keepMachine,
            offline: context.offline,
            diagnostics: context.runFolder,
            cached: cached
        )
        context[.machine] = record
        if let share = spec.share { try await Share.attach(share, to: GuestSSH(record), emit: context.emit) }
    }

    public func finalize(_ context: TaskContext) async {
        guard !context.keepMachine, let record = context[.machine] else { return }
        await context.machines.destroy(record)
        context[.machine] = nil
    }
}
