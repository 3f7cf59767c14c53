import Foundation
public import HangarCore

/// Chooses KVM or TCG. `/dev/kvm` can exist and still hang QEMU, so KVM is tried, not assumed.
///
/// The probe starts QEMU with no disk under KVM and waits for its firmware to report "No bootable
/// device" on the debug console (tens of milliseconds where KVM works; where it is broken, the
/// firmware stalls). The answer is kept for the rest of the host's boot in the image cache's folder
/// (`<cache>/accel-<boot id>`), which every state folder of the user shares, so a new
/// `HANGAR_STATE_DIR` does not try a broken KVM again.
public enum Accelerator {
    /// The accelerator to use and, when it is a fallback, a warning to show.
    public static func choose(_ wanted: Acceleration, cache: String) async throws(HangarError) -> (accel: String, warning: String?) {
        switch wanted {
        case .tcg: return ("tcg", nil)
        case .kvm:
            guard await kvmWorks(cache: cache) else {
                throw HangarError(
                    .machineKvm,
                    "accel: kvm was asked for, but KVM does not work on this host",
                    hint: "use 'accel: auto' or 'accel: tcg'"
                )
            }
            return ("kvm", nil)
        case .auto:
            if let forced = ProcessInfo.processInfo.environment["HANGAR_ACCEL"], ["kvm", "tcg"].contains(forced) { return (forced, nil) }
            return await kvmWorks(cache: cache)
                ? ("kvm", nil) : ("tcg", "KVM is not usable on this host; using TCG software emulation (much slower)")
        }
    }

    static func kvmWorks(cache: String) async -> Bool {
        guard FileManager.default.isReadableFile(atPath: "/dev/kvm") else { return false }
        if let cached = try? String(contentsOfFile: cacheFile(cache: cache), encoding: .utf8) { return cached == "kvm" }
        let works = await probe()
        remember(kvmWorks: works, cache: cache)
        return works
    }

    /// Records for the rest of this host boot whether KVM works (a cache: losing it costs one probe).
    public static func remember(kvmWorks works: Bool, cache: String) {
        try? FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try? (works ? "kvm" : "tcg").write(toFile: cacheFile(cache: cache), atomically: true, encoding: .utf8)
    }

    /// `<cache>/accel-<boot id>`.
    public static func cacheFile(cache: String) -> String {
        let bootID =
            (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        return "\(cache)/accel-\(bootID)"
    }

    private static func probe() async -> Bool {
        let arguments = [
            "qemu-system-x86_64", "-accel", "kvm", "-nodefaults", "-display", "none",
            "-debugcon", "stdio", "-global", "isa-debugcon.iobase=0x402",
        ]
        let found = OnceFlag()
        let probe = Task {
            try await Command.run(arguments, output: .lines { line, _ in if line.contains("No bootable device") { found.set() } })
        }
        _ = await Poll.until(every: .milliseconds(100), for: .seconds(3)) { found.isSet }
        probe.cancel()
        _ = await probe.result
        return found.isSet
    }
}
