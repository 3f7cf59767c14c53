import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// Jobs of several real machines under TCG: booted together on a private network of their own,
/// reached by name, and destroyed together with nothing left (no QEMU, no state folder, no socket).
@Suite(.serialized, .timeLimit(.minutes(5))) struct MultiMachineTests {
    /// A hangar.yml defining the test guest as each of `names`; `broken` panics at boot (no init).
    static func yaml(_ guest: String, machines names: [String], broken: String? = nil, jobs: String) -> String {
        func spec(_ name: String) -> String {
            let append = "console=ttyS0 quiet no_timer_check" + (name == broken ? " rdinit=/nothing-here" : "")
            return "kernel: \(guest)/vmlinuz, initrd: \(guest)/initrd.img, append: \(append), "
                + "ssh: { identity: \(guest)/id_ed25519 }, memory: 256M, accel: tcg"
        }
        return "machines:\n" + names.map { "  \($0): { \(spec($0)) }\n" }.joined() + "jobs:\n" + jobs
    }

    static let trio = "  test:\n    machines: [db, web, cache]\n    tasks:\n      - run: echo started; sleep 600\n"

    @Test func threeMachinesReachEachOtherByNameAndLeaveNothing() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(
            Self.yaml(
                guest,
                machines: ["db", "web", "cache"],
                jobs: """
                      test:
                        tasks:
                          - on: db
                            run: echo "db says $(hostname)"
                          - on: web
                            run: ping -c 1 -W 10 db && ping -c 1 -W 10 cache
                          - on: cache
                            run: ping -c 1 -W 10 web && grep hangar-network /etc/hosts
                    """
            )
        )
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("machine.boot: db, web, cache"), "\(result.stderr)")
        #expect(result.stdout.contains("PING db (10.76.0.1)") && result.stdout.contains("PING cache (10.76.0.3)"), "\(result.stdout)")
        #expect(result.stdout.contains("PING web (10.76.0.2)") && !result.stdout.contains(" 0 packets received"), "\(result.stdout)")
        #expect(result.stdout.contains("10.76.0.3 cache # hangar-network"))
        #expect(result.stderr.contains("measured: boot_seconds = "), "the boot of all three is measured: \(result.stderr)")
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func oneMachineOfThreeThatCannotBootEndsTheRunNamingItAndTheOthersGo() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(Self.yaml(guest, machines: ["db", "web", "cache"], broken: "web", jobs: Self.trio))
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 2, "an error, not the tests' fault: \(result.stderr)")
        #expect(result.stderr.contains("hangar: machine 'web': "), "\(result.stderr)")
        #expect(!result.stdout.contains("started"))
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func ctrlCWhileThreeMachinesBootLeavesNothing() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(Self.yaml(guest, machines: ["db", "web", "cache"], jobs: Self.trio))
        defer { sandbox.remove() }
        let run = Task { try await sandbox.hangar(["run", "test"]) }
        try await eventually("three QEMUs booting", within: .seconds(60)) { sandbox.qemuProcesses().count == 3 }
        let pid = try #require(sandbox.hangarProcesses().first)
        _ = try await Command.run(["kill", "-INT", pid])
        let result = try await run.value
        #expect(result.status == 130, "\(result.stderr)")
        #expect(!result.stdout.contains("started"), "interrupted while booting")
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func upKeepsThemAndSshExecStatusAndDestroyNameThem() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(
            Self.yaml(
                guest,
                machines: ["db", "web"],
                jobs: "  pair:\n    machines: [db, web]\n    tasks:\n      - { on: db, run: touch /tmp/db-ready }\n"
            )
        )
        defer { sandbox.remove() }
        let up = try await sandbox.hangar(["up", "pair"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("machine 'web' is up (tcg, 10.76.0.2 on their private network); 'hangar ssh web' logs in"), "\(up.stderr)")
        #expect(sandbox.qemuProcesses().count == 2)

        let exec = try await sandbox.hangar(["exec", "--on", "web", "--", "sh", "-c", "hostname; ping -c 1 -W 10 db >/dev/null && echo reached db"])
        #expect(exec.status == 0 && exec.stdout.contains("reached db"), "\(exec.stdout)\(exec.stderr)")
        let onDB = try await sandbox.hangar(["exec", "--machine", "db", "--", "ls", "/tmp/db-ready"])
        #expect(onDB.status == 0, "the job's task ran on db: \(onDB.stderr)")

        let status = try await sandbox.hangar(["status", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let addresses = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["name"] as? String).map { ($0, row["address"] as? String) } })
        #expect(addresses == ["db": "10.76.0.1", "web": "10.76.0.2"])

        let twice = try await sandbox.hangar(["ssh", "web", "--machine", "db"])
        #expect(twice.status != 0 && twice.stderr.contains("name the machine once"))

        // The default machine (here the first, db) goes with the machines on its network.
        let destroy = try await sandbox.hangar(["destroy"])
        #expect(destroy.status == 0, "\(destroy.stderr)")
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }
}
