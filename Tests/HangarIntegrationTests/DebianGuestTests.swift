import Foundation
import HangarCore
import HangarMachine
import Testing

/// The real Debian 12 guest built by `scripts/build-debian-guest.sh` (systemd, cloud-init, OpenSSH).
enum DebianGuest {
    static var folder: String { ProcessInfo.processInfo.environment["HANGAR_DEBIAN_GUEST"] ?? "\(packageRoot)/.build/debian-guest" }

    /// Fails the test, rather than skipping it, when the guest has not been built.
    static func require() throws -> String {
        for file in ["disk.qcow2", "vmlinuz", "initrd.img"] {
            try #require(
                FileManager.default.fileExists(atPath: "\(folder)/\(file)"),
                "run scripts/build-debian-guest.sh first (missing \(folder)/\(file))"
            )
        }
        return folder
    }
}

/// Issue 10's "done when", on a real distribution: the first `hangar run` boots the Debian guest cold
/// (cloud-init makes user `hangar` from Hangar's seed) and saves it; the second restores it and
/// passes, with the clock set to now and (`snapshot: fresh`) its own machine-id and SSH host keys.
@Suite(.serialized, .timeLimit(.minutes(8))) struct DebianGuestTests {
    @Test func theSecondRunRestoresTheSnapshotAndPasses() async throws {
        let guest = try DebianGuest.require()
        let sandbox = try Sandbox(
            """
            machines:
              default:
                image: \(guest)/disk.qcow2
                kernel: \(guest)/vmlinuz
                initrd: \(guest)/initrd.img
                append: root=/dev/vda rw console=ttyS0 no_timer_check
                memory: 1G
                accel: tcg
                snapshot: fresh
            jobs:
              check:
                tasks:
                  - run: 'test "$(id -un)" = hangar && sudo -n true && test "$(hostname)" = default && echo "clock $(date +%s)"'
                  - run: 'echo "identity $(cat /etc/machine-id) $(cut -d " " -f 2 /etc/ssh/ssh_host_ed25519_key.pub)"'
            """
        )
        defer { sandbox.remove() }
        let cold = try await sandbox.hangar(["run", "check"])
        #expect(cold.status == 0, "\(cold.stdout)\(cold.stderr)")
        #expect(cold.stderr.contains("saved snapshot"), "\(cold.stderr)")

        let before = Date().timeIntervalSince1970
        let restored = try await sandbox.hangar(["run", "check"])
        let after = Date().timeIntervalSince1970
        #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
        #expect(restored.stderr.contains("restored from its snapshot"), "\(restored.stderr)")
        let clock = restored.stdout.split(separator: "\n").first { $0.hasPrefix("clock ") }.flatMap { Double($0.dropFirst(6)) }
        let seen = try #require(clock, "\(restored.stdout)")
        #expect(seen >= before.rounded(.down) && seen <= after, "the guest's clock said \(seen), the run was from \(before) to \(after)")
        // `snapshot: fresh`: the clone has its own machine-id and host keys.
        #expect(!restored.stderr.contains("could not be given its own"), "\(restored.stderr)")
        let identity = { (output: String) in output.split(separator: "\n").first { $0.hasPrefix("identity ") }.map(String.init) }
        let saved = try #require(identity(cold.stdout), "\(cold.stdout)")
        let clone = try #require(identity(restored.stdout), "\(restored.stdout)")
        let (savedParts, cloneParts) = (saved.split(separator: " "), clone.split(separator: " "))
        #expect(savedParts.count == 3 && cloneParts.count == 3, "\(saved) / \(clone)")
        #expect(savedParts[1] != cloneParts[1] && savedParts[2] != cloneParts[2], "\(saved) / \(clone)")
        #expect(sandbox.qemuProcesses().isEmpty)
    }
}
