import Foundation
import HangarCore
import HangarMachine
import Testing

/// Saving a running machine with QEMU's migration and restoring it (issue 10, part 1), on the real
/// test guest: the restored guest goes on where it was saved, any number restore from one save,
/// and the saved state is never written to.
@Suite(.serialized, .timeLimit(.minutes(5))) struct SnapshotTests {
    @Test func aSavedMachineGoesOnWhereItWasAndRestoresAsOftenAsAsked() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(guestYAML(guest, machine: "disk", jobs: "  x: { tasks: [{ run: 'true' }] }\n"))
        defer { sandbox.remove() }
        let project = try ProjectFile.load(path: "\(sandbox.project)/hangar.yml")
        let spec = try #require(project.machines.first)
        let paths = HangarPaths(cache: sandbox.cache, state: sandbox.state)
        let machines = Machines(paths: paths, cache: ImageCache(root: paths.cache), notice: { _ in })

        let first = try await machines.boot(spec, project: "p", id: "first", ephemeral: true, offline: false, diagnostics: sandbox.root)
        // A process only this guest's memory knows of.
        let started = try await GuestSSH(first).run("sleep 1000 >/dev/null 2>&1 & echo $!")
        let pid = try #require(Int(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started.stderr)")
        let saved = try await machines.save(first, to: "\(sandbox.root)/snapshot")
        await machines.destroy(first)
        let savedBytes = try Data(contentsOf: URL(fileURLWithPath: saved.disk))
        // Long enough that a restored clock left at the save's time would be seen to lag.
        try await Task.sleep(for: .seconds(3))

        for id in ["second", "third"] {
            let restored = try await machines.restore(spec, from: saved, project: "p", id: id, accel: first.accel)
            let alive = try await GuestSSH(restored).run("kill -0 \(pid) && echo alive")
            #expect(alive.stdout == "alive\n", "\(id): \(alive.stderr)")
            // Set to whole seconds, so up to a second behind; left alone, three or more.
            let before = Date().timeIntervalSince1970
            let clock = try await GuestSSH(restored).run("date +%s")
            let after = Date().timeIntervalSince1970
            let seen = Double(clock.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(seen >= before.rounded(.down) - 1 && seen <= after + 1, "\(id): the guest's clock says \(seen), the host's \(before)–\(after)")
            await machines.destroy(restored)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: saved.disk)) == savedBytes)
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    /// `snapshot: true` through the CLI: the first `hangar up` boots cold and saves, the next restores;
    /// a second `up` of a running machine is refused; a snapshot that cannot be read is discarded,
    /// said so, and replaced.
    @Test func snapshotTrueRestoresTheSecondUpAndReplacesABrokenSnapshot() async throws {
        let guest = try TestGuest.require()
        let yaml = guestYAML(guest, machine: "disk", jobs: "  x: { tasks: [{ run: 'true' }] }\n")
            .replacingOccurrences(of: "    memory: 512M\n", with: "    memory: 512M\n    snapshot: true\n")
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        func up(_ expected: String) async throws {
            let up = try await sandbox.hangar(["up"])
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stderr.contains(expected), "\(up.stderr)")
            let exec = try await sandbox.hangar(["exec", "--", "echo", "answers"])
            #expect(exec.stdout == "answers\n", "\(exec.stderr)")
            #expect(try await sandbox.hangar(["destroy"]).status == 0)
        }
        try await up("saved snapshot")
        try await up("restored from its snapshot")
        // A second `up` of a running machine is refused, snapshot or not, and leaves no QEMU behind.
        #expect(try await sandbox.hangar(["up"]).status == 0)
        let again = try await sandbox.hangar(["up"])
        #expect(again.status == 2 && again.stderr.contains("is already running"), "\(again.stderr)")
        #expect(try await sandbox.hangar(["destroy"]).status == 0)
        #expect(sandbox.qemuProcesses().isEmpty)
        let snapshots = "\(sandbox.cache)/snapshots"
        let key = try #require(try FileManager.default.contentsOfDirectory(atPath: snapshots).first { !$0.contains(".") })
        try Data("not a QEMU state".utf8).write(to: URL(fileURLWithPath: "\(snapshots)/\(key)/state.zst"))
        try await up("could not be restored")
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots).filter { $0.contains("partial") }.isEmpty)
        try await up("restored from its snapshot")
        // One said to be saved by another QEMU is not trusted either.
        let manifest = "\(snapshots)/\(key)/snapshot.json"
        let edited = try String(contentsOfFile: manifest, encoding: .utf8)
            .replacingOccurrences(of: #""qemu" : "[^"]*""#, with: #""qemu" : "QEMU emulator version 6.2.0""#, options: .regularExpression)
        #expect(edited.contains("6.2.0"))
        try edited.write(toFile: manifest, atomically: true, encoding: .utf8)
        try await up("it was saved by QEMU emulator version 6.2.0, and this is QEMU emulator version")
        try await up("restored from its snapshot")
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    /// A job's `prepare:` tasks run once, before the save; a run restored from that snapshot skips
    /// them and finds what they did; changing them means a cold boot and a new snapshot.
    @Test func prepareTasksRunOnceBeforeTheSave() async throws {
        let guest = try TestGuest.require()
        func yaml(_ mark: String) -> String {
            guestYAML(
                guest,
                machine: "disk",
                jobs: "  check:\n    prepare:\n      - run: echo \(mark) > /root/prepared\n    tasks:\n      - run: cat /root/prepared\n"
            )
            .replacingOccurrences(of: "    memory: 512M\n", with: "    memory: 512M\n    snapshot: true\n")
        }
        let sandbox = try Sandbox(yaml("one"))
        defer { sandbox.remove() }
        let first = try await sandbox.hangar(["run", "check"])
        #expect(first.status == 0 && first.stdout.contains("one\n"), "\(first.stdout)\(first.stderr)")
        #expect(first.stderr.contains("saved snapshot"), "\(first.stderr)")

        let second = try await sandbox.hangar(["run", "check"])
        #expect(second.status == 0 && second.stdout.contains("one\n"), "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("restored from its snapshot"), "\(second.stderr)")
        #expect(second.stderr.contains("skipped: the machine was restored from a snapshot saved after this task ran"), "\(second.stderr)")

        try yaml("two").write(toFile: "\(sandbox.project)/hangar.yml", atomically: true, encoding: .utf8)
        let changed = try await sandbox.hangar(["run", "check"])
        #expect(changed.status == 0 && changed.stdout.contains("two\n"), "\(changed.stdout)\(changed.stderr)")
        #expect(changed.stderr.contains("saved snapshot") && !changed.stderr.contains("restored"), "\(changed.stderr)")
        #expect(Snapshots(cache: sandbox.cache).entries().count == 2)
        #expect(sandbox.qemuProcesses().isEmpty)
    }
}
