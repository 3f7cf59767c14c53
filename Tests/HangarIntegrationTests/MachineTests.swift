import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// Real VMs under TCG, driven through the real `hangar` command.
@Suite(.serialized, .timeLimit(.minutes(5))) struct MachineTests {
    @Test func runBootsRunsCollectsAndLeavesNothingBehind() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(
            guestYAML(
                guest,
                extra: "    share: .\n",
                jobs: """
                      test:
                        tasks:
                          - run: echo "hello from $(uname -r)"; cat /hangar/note.txt; echo; echo HANGAR_MEASURE answer=42 unit=items
                          - use: collect
                            with: { paths: ["/etc/host*"] }
                    """
            )
        )
        defer { sandbox.remove() }
        try "shared note".write(toFile: "\(sandbox.project)/note.txt", atomically: true, encoding: .utf8)
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hello from 6."))
        #expect(result.stdout.contains("shared note"))
        // Debian's cloud kernel has no 9p: the folder is copied in, and Hangar says so.
        #expect(result.stderr.contains("cannot mount 9p; copying"))
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(sandbox.project)/.hangar/runs")
        let artifact = "\(sandbox.project)/.hangar/runs/\(try #require(runs.first))/artifacts/hostname"
        #expect(try String(contentsOfFile: artifact, encoding: .utf8) == "hangar-guest\n")
        // What it measured: the guest's line, the boot to SSH and the run, in the summary and the artifacts.
        let measured = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("measured: ") }, "\(result.stderr)")
        #expect(
            measured.contains("boot_seconds = ") && measured.contains("answer = 42 items") && measured.contains("items, run_seconds = "),
            "\(measured)"
        )
        let file = "\(sandbox.project)/.hangar/runs/\(try #require(runs.first))/artifacts/hangar-measurements.json"
        let measures = try JSONDecoder().decode([Measure].self, from: try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(measures.map(\.name) == ["boot_seconds", "answer", "run_seconds"] && measures[0].value > 0 && measures[0].value < measures[2].value)
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func theShareIsMountedOver9pBothWays() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(
            guestYAML(
                guest,
                machine: "generic",
                extra: "    share: .\n",
                jobs: """
                      test:
                        tasks:
                          - run: mount | grep ' /hangar type 9p' && cat /hangar/in.txt && echo from-guest > /hangar/out.txt
                    """
            )
        )
        defer { sandbox.remove() }
        try "from-host".write(toFile: "\(sandbox.project)/in.txt", atomically: true, encoding: .utf8)
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("from-host"))
        #expect(!result.stderr.contains("cannot mount 9p"))
        #expect(try String(contentsOfFile: "\(sandbox.project)/out.txt", encoding: .utf8) == "from-guest\n")
    }

    @Test func aDiskImageGetsItsKeyFromTheCloudInitSeed() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(guestYAML(guest, machine: "disk", jobs: "  test:\n    tasks:\n      - run: hostname; whoami\n"))
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 0, "\(result.stderr)")
        // The seed sets the hostname to the machine's name and creates Hangar's user.
        #expect(result.stdout.contains("default\n"))
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    @Test func aFailingTaskFailsTheRunAndStillDestroysTheMachine() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(guestYAML(guest, jobs: "  test:\n    tasks:\n      - run: echo before; exit 3\n      - run: echo never\n"))
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("before"))
        #expect(!result.stdout.contains("never"))
        #expect(result.stderr.contains("exited with status 3"))
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func upExecStatusDestroy() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(
            guestYAML(guest, extra: "    ports: [\"0:80\"]\n", jobs: "  default:\n    tasks:\n      - run: touch /tmp/provisioned\n")
        )
        defer { sandbox.remove() }
        let none = try await sandbox.hangar(["exec", "--", "true"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("machine 'default' is not running"))

        let up = try await sandbox.hangar(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        let exec = try await sandbox.hangar(["exec", "--", "sh", "-c", "ls /tmp/provisioned && echo 'two words' && exit 7"])
        #expect(exec.status == 7)
        #expect(exec.stdout.contains("/tmp/provisioned\ntwo words"))

        let status = try await sandbox.hangar(["status", "--json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["state"] as? String == "running")
        #expect((rows.first?["ports"] as? [[String: Int]])?.first?["guest"] == 80)
        // The ssh line status prints works as it is.
        let line = try #require(rows.first?["ssh"] as? String)
        let viaLine = try await Command.run(["sh", "-c", line + " -o BatchMode=yes -- echo reached"])
        #expect(viaLine.stdout == "reached\n", "\(viaLine.stderr)")

        let again = try await sandbox.hangar(["up"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already running"))
        #expect(sandbox.qemuProcesses().count == 1)

        let console = try await sandbox.hangar(["console"])
        #expect(console.stdout.contains("hangar-test-guest: ready"))

        let destroy = try await sandbox.hangar(["destroy"])
        #expect(destroy.status == 0)
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func aMachineWhoseQEMUDiedIsStaleAndUpReplacesIt() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(guestYAML(guest, jobs: ""))
        defer { sandbox.remove() }
        #expect(try await sandbox.hangar(["up"]).status == 0)
        let pid = try #require(sandbox.qemuProcesses().first)
        _ = try await Command.run(["kill", "-KILL", pid])
        while !sandbox.qemuProcesses().isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        let status = try await sandbox.hangar(["status"])
        #expect(status.stdout.contains("stale"))
        let up = try await sandbox.hangar(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("cleaning up stale machine"))
        #expect(try await sandbox.hangar(["exec", "--", "true"]).status == 0)
        #expect(try await sandbox.hangar(["destroy", "--all"]).status == 0)
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    @Test func aGuestThatNeverAnswersSSHTimesOutWithTheSerialTail() async throws {
        let guest = try TestGuest.require()
        // rdinit=/bin/sh: the kernel boots to a shell with no network and no sshd.
        let yaml =
            "machines:\n  default:\n    kernel: \(guest)/vmlinuz\n    initrd: \(guest)/initrd.img\n    append: console=ttyS0 rdinit=/bin/sh\n"
            + "    memory: 512M\n    accel: tcg\n    boot-timeout: 8s\n    ssh: { identity: \(guest)/id_ed25519 }\njobs:\n  test:\n    tasks: [{ run: 'true' }]\n"
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("did not answer SSH"))
        #expect(result.stderr.contains("last serial console lines"))
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func aKernelPanicEndsTheWaitAtOnceAndIsRetriedOnce() async throws {
        let guest = try TestGuest.require()
        // No such init: the kernel panics ("No working init found"), and halts.
        let yaml =
            "machines:\n  default:\n    kernel: \(guest)/vmlinuz\n    initrd: \(guest)/initrd.img\n    append: console=ttyS0 rdinit=/nope init=/nope\n"
            + "    memory: 512M\n    accel: tcg\n    boot-timeout: 5m\n    ssh: { identity: \(guest)/id_ed25519 }\njobs:\n  test:\n    tasks: [{ run: 'true' }]\n"
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the guest's kernel panicked: "), "\(result.stderr)")
        #expect(result.stderr.contains("booting it once more"), "\(result.stderr)")
        #expect(!result.stderr.contains("did not answer SSH"), "it did not wait for the boot timeout: \(result.stderr)")
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func aSilentBootIsRetriedOnceAndLeavesItsDiagnostics() async throws {
        let guest = try TestGuest.require()
        // No console=ttyS0: the kernel writes to the (invisible) VGA console, the serial log stays empty.
        let yaml =
            "machines:\n  default:\n    kernel: \(guest)/vmlinuz\n    initrd: \(guest)/initrd.img\n    append: rdinit=/bin/sh\n"
            + "    memory: 512M\n    accel: tcg\n    boot-watchdog: 3s\n    boot-timeout: 8s\n    ssh: { identity: \(guest)/id_ed25519 }\n"
            + "jobs:\n  test:\n    tasks: [{ run: 'true' }]\n"
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the serial console printed nothing in 3s"))
        #expect(result.stderr.contains("booting it once more"))
        // The retry ran without the watchdog, to the boot timeout.
        #expect(result.stderr.contains("did not answer SSH on port"), "\(result.stderr)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(sandbox.project)/.hangar/runs")
        let folder = "\(sandbox.project)/.hangar/runs/\(try #require(runs.first))"
        let status = try String(contentsOfFile: "\(folder)/boot-1-status.json", encoding: .utf8)
        #expect(status.contains(#""status": "running""#), "\(status)")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/boot-1-qemu.log"))
        #expect(FileManager.default.fileExists(atPath: "\(folder)/boot-2-serial.log"))
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func aGuestSilentUnderAutoChosenKVMIsBootedAgainWithTCG() async throws {
        let guest = try TestGuest.require()
        // This host's KVM passes the firmware probe some of the time and then hangs every guest kernel
        // silently. Here the probe's answer is "kvm", and the guest is silent whatever runs it.
        try #require(FileManager.default.isReadableFile(atPath: "/dev/kvm"), "CI machines have /dev/kvm")
        let yaml =
            "machines:\n  default:\n    kernel: \(guest)/vmlinuz\n    initrd: \(guest)/initrd.img\n    append: rdinit=/bin/sh\n"
            + "    memory: 512M\n    boot-watchdog: 3s\n    boot-timeout: 8s\n    ssh: { identity: \(guest)/id_ed25519 }\n"
            + "jobs:\n  test:\n    tasks: [{ run: 'true' }]\n"
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        Accelerator.remember(kvmWorks: true, cache: sandbox.cache)
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 2)
        // Silent, or QEMU aborting ("failed to set MSR"): both are KVM failing this guest.
        #expect(result.stderr.contains("under KVM, which starts on this host but does not run this guest"), "\(result.stderr)")
        #expect(result.stderr.contains("booting it again with TCG"))
        #expect(try String(contentsOfFile: Accelerator.cacheFile(cache: sandbox.cache), encoding: .utf8) == "tcg")
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func testResultsFromTheGuestAreReadEvenAfterTheTestCommandFailed() async throws {
        let guest = try TestGuest.require()
        let jobs = """
              test:
                tasks:
                  - run: |
                      mkdir -p /tmp/r
                      echo '<testsuite name="demo"><testcase classname="demo" name="ok" time="0.1"/><testcase classname="demo" name="broken"><failure message="expected 4">got 3</failure></testcase></testsuite>' > /tmp/r/report.xml
                      echo 'not junit' > /tmp/r/other.xml
                      exit 1
                  - use: collect
                    with: { paths: ["/tmp/r/*.xml"], format: junit }

            """
        let sandbox = try Sandbox(guestYAML(guest, jobs: jobs))
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        let output = result.stdout + result.stderr
        #expect(result.status == 1, "\(output)")
        #expect(output.contains("report.xml: 2 tests: 1 fail, 1 pass"), "\(output)")
        #expect(output.contains("cannot read test results: other.xml:1:"))
        #expect(output.contains("1 of 2 tests failed: demo.broken"))
        let runs = try FileManager.default.contentsOfDirectory(atPath: "\(sandbox.project)/.hangar/runs")
        let file = "\(sandbox.project)/.hangar/runs/\(try #require(runs.first))/artifacts/hangar-results.json"
        let results = try JSONDecoder().decode(TestResults.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(results.tests.map(\.status) == [.pass, .fail])
        #expect(results.tests[1].output == "expected 4\ngot 3")
        #expect(results.problems.count == 1)
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    @Test func interruptingARunDestroysItsMachine() async throws {
        let guest = try TestGuest.require()
        let sandbox = try Sandbox(guestYAML(guest, jobs: "  test:\n    tasks:\n      - run: echo started; sleep 600\n"))
        defer { sandbox.remove() }
        let run = Task { try await sandbox.hangar(["run", "test"]) }
        // Wait until the guest command runs, then interrupt hangar as Ctrl-C would.
        let deadline = ContinuousClock.now + .seconds(120)
        var hangarPID: String?
        while hangarPID == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            let logs = (try? FileManager.default.subpathsOfDirectory(atPath: "\(sandbox.project)/.hangar/runs")) ?? []
            let log = logs.first { $0.hasSuffix("log.txt") }.flatMap {
                try? String(contentsOfFile: "\(sandbox.project)/.hangar/runs/\($0)", encoding: .utf8)
            }
            if log?.contains("started") == true { hangarPID = sandbox.hangarProcesses().first }
        }
        let pid = try #require(hangarPID)
        _ = try await Command.run(["kill", "-INT", pid])
        let result = try await run.value
        #expect(result.status == 130)
        #expect(sandbox.qemuProcesses().isEmpty)
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func aParameterChoosesTheImage() async throws {
        let guest = try TestGuest.require()
        let yaml =
            "machines:\n  default:\n    image: ${DISK}\n    memory: 512M\n    accel: tcg\n"
            + "jobs:\n  test:\n    parameters: { DISK: { required: true } }\n    tasks: [{ run: 'echo booted from the disk' }]\n"
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let missing = try await sandbox.hangar(["run", "test"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("needs parameter 'DISK'"))
        let result = try await sandbox.hangar(["run", "test", "--param", "DISK=\(guest)/disk.qcow2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("booted from the disk"))
        #expect(sandbox.qemuProcesses().isEmpty)
    }

    @Test func aTakenPortIsReplacedAndReported() async throws {
        let guest = try TestGuest.require()
        // Hold a port for the duration of the test with a real listening socket.
        let script =
            "import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(300)"
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-holder-\(UUID().uuidString.prefix(8))").path
        let holder = try await TestProcess.start(["python3", "-c", script], log: log)
        defer {
            holder.signal(SIGTERM)
            try? FileManager.default.removeItem(atPath: log)
        }
        let port = try #require(await holder.firstLine())
        let sandbox = try Sandbox(guestYAML(guest, extra: "    ports: [\"\(port):80\"]\n", jobs: "  test:\n    tasks: [{ run: 'true' }]\n"))
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "test"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("host port \(port) is taken; forwarding"))
    }
}
