import Foundation

/// What this host has to give runs: CPUs, memory, load.
public enum HostResources {
    /// Runs at once by default: one per CPU, and no more than one per 2 GiB of memory (a TCG guest
    /// keeps a CPU busy; 2 GiB covers a 1 GiB guest plus QEMU and the run's tools).
    public static func slots() -> Int {
        let memoryGiB = Int(ProcessInfo.processInfo.physicalMemory >> 30)
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, memoryGiB / 2))
    }

    /// Memory (MiB) a new run's machines can have now: what the kernel says is available, and no
    /// more than what the runs already taken leave of the total (their guests may not have touched
    /// their memory yet).
    public static func freeMemory(reserved: Int) -> Int {
        let total = Int(ProcessInfo.processInfo.physicalMemory >> 20)
        return max(0, min(available() ?? total, total - reserved))
    }

    /// Free space (MiB) for an unprivileged user on the file system holding `path`; nil when unknown.
    public static func freeDisk(at path: String) -> Int? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int((UInt64(stats.f_bavail) * UInt64(stats.f_frsize)) >> 20)
    }

    /// The one-minute load average.
    public static func load() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").first.flatMap { Double($0) } ?? 0
    }

    /// The machine's architecture, as `uname -m` says it.
    public static var architecture: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func available() -> Int? {
        let text = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 / 1024 }
    }
}
