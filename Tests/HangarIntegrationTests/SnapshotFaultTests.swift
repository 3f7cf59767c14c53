import Foundation
import HangarCore
import HangarMachine
import Testing

/// `snapshot: true` when things go wrong (issue 10's faults), on the real test guest: two first
/// boots at once, a disk that fills up during the save, Ctrl-C during the save. Each asserts that
/// no partial snapshot, machine or QEMU is left, and that the machine itself was not harmed.
@Suite(.serialized, .timeLimit(.minutes(6))) struct SnapshotFaultTests {
    static func sandbox() throws -> Sandbox {
        let yaml = guestYAML(try TestGuest.require(), machine: "disk", jobs: "  x: { tasks: [{ run: 'true' }] }\n")
        return try Sandbox(yaml.replacingOccurrences(of: "    memory: 512M\n", with: "    memory: 512M\n    snapshot: true\n"))
    }

    /// What is in the snapshots folder, but the lock files.
    static func kept(_ cache: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(cache)/snapshots")) ?? []).filter { !$0.hasSuffix(".lock") }
    }

    @Test func twoFirstBootsAtOnceSaveOneSnapshot() async throws {
        let first = try Self.sandbox()
        let second = try Self.sandbox()
        defer {
            first.remove()
            second.remove()
        }
        let shared = ["HANGAR_CACHE_DIR": first.cache]
        async let one = first.hangar(["up"])
        async let two = second.hangar(["up"], environment: shared)
        let ups = try await [one, two]
        for up in ups { #expect(up.status == 0, "\(up.stderr)") }
        #expect(ups.filter { $0.stderr.contains("saved snapshot") }.count == 1, "\(ups.map(\.stderr))")
        let snapshots = Snapshots(cache: first.cache).entries()
        #expect(snapshots.count == 1 && snapshots.first?.problem == nil, "\(snapshots)")
        let exec = try await second.hangar(["exec", "--", "echo", "answers"], environment: shared)
        #expect(exec.stdout == "answers\n", "\(exec.stderr)")
        #expect(try await first.hangar(["destroy"]).status == 0)
        #expect(try await second.hangar(["destroy"], environment: shared).status == 0)
        #expect(first.qemuProcesses().isEmpty && second.qemuProcesses().isEmpty)
    }

    @Test func aDiskThatFillsUpDuringTheSaveKeepsNoPartialSnapshot() async throws {
        let sandbox = try Self.sandbox()
        defer { sandbox.remove() }
        let folder = "\(sandbox.cache)/snapshots"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A 1 MiB file system: the lock fits, the machine's state does not.
        try #require(mount("hangar-test-full", folder, "tmpfs", 0, "size=1m") == 0, "mounting a tmpfs: errno \(errno) (the tests run as root)")
        var mounted = true
        defer { if mounted { umount(folder) } }

        let up = try await sandbox.hangar(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("no snapshot was saved"), "\(up.stderr)")
        #expect(Self.kept(sandbox.cache).isEmpty, "\(Self.kept(sandbox.cache))")
        // The failed save did not harm the machine: it goes on.
        let exec = try await sandbox.hangar(["exec", "--", "echo", "answers"])
        #expect(exec.stdout == "answers\n", "\(exec.stderr)")
        #expect(try await sandbox.hangar(["destroy"]).status == 0)

        #expect(umount(folder) == 0)
        mounted = false
        let again = try await sandbox.hangar(["up"])
        #expect(again.stderr.contains("saved snapshot"), "\(again.stderr)")
        #expect(try await sandbox.hangar(["destroy"]).status == 0)
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    @Test func ctrlCDuringTheSaveLeavesNothingBehind() async throws {
        let sandbox = try Self.sandbox()
        defer { sandbox.remove() }
        let up = try await sandbox.start(["up"], log: "up")
        var saving = false
        for _ in 0..<3_000 where up.isRunning {
            if Self.kept(sandbox.cache).contains(where: { $0.contains(".partial-") }) {
                saving = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(saving, "the save never started: \(up.output())")
        up.signal(SIGINT)
        #expect(await up.wait() == 130, "\(up.output())")
        #expect(Self.kept(sandbox.cache).isEmpty, "\(Self.kept(sandbox.cache))")
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty, "\(sandbox.machineFolders())")
    }
}
