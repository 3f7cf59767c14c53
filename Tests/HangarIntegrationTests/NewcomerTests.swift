import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// What a new user runs into first, through the real binary: exit codes a script can trust, YAML
/// mistakes said with their place and what to do, and mistakes refused before anything boots.
@Suite(.timeLimit(.minutes(2))) struct NewcomerTests {
    /// Usage mistakes all exit 64: flags, hangar.yml, names; a failed test 1; an error 2.
    @Test(arguments: [
        ("machines:\n  default:\n    image: ./a.qcow2\n", ["run", "tset"], 64, "no job 'tset'"),
        ("machines:\n  default:\n    image: ./a.qcow2\n    memroy: 2G\n", ["status"], 64, "hangar.yml:4:5: unknown key 'memroy'"),
        ("", ["run"], 64, "Missing expected argument"),
        ("", ["status", "--no-such-flag"], 64, "Unknown option"),
        ("jobs:\n  t:\n    tasks: [{ host: 'exit 3' }]\n", ["run", "t"], 1, "exited with status 3"),
        (
            "machines:\n  default:\n    image: http://127.0.0.1:9/x.qcow2\njobs:\n  t:\n    tasks: [{ run: 'true' }]\n", ["run", "t", "--offline"], 2,
            "is not in the image cache"
        ),
    ])
    func exitStatusesAScriptCanTrust(yaml: String, arguments: [String], status: Int32, message: String) async throws {
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: message).count == 2, "said once: \(result.stderr)")
    }

    @Test func versionAndHelpWorkAnywhere() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try FileManager.default.removeItem(atPath: "\(sandbox.project)/hangar.yml")
        let version = try await sandbox.hangar(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == HangarVersion.current)
        let help = try await sandbox.hangar(["exec", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("USAGE"))
    }

    @Test(arguments: [
        ("machines:\n  default:\n\timage: ./a.qcow2\n", "hangar.yml:3:1: a tab in the indentation", "indent with spaces"),
        ("jobs:\n  t:\n    tasks:\n      - run: echo a: b\n", "hangar.yml:4:", "needs quotes"),
        ("jobs:\n  t:\n    tasks: []\n  t:\n    tasks: []\n", "duplicate key 't'", "keep one"),
    ])
    func yamlMistakesSayWhereAndWhatToDo(yaml: String, message: String, hint: String) async throws {
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["status"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains(hint), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count <= 3, "not the whole file: \(result.stderr)")
    }

    @Test(arguments: [
        ("jobs:\n  t:\n    tasks: [{ run: '  ' }]\n", "hangar.yml:3:20: an empty command"),
        (
            "machines:\n  default:\n    image: ./missing.qcow2\njobs:\n  t:\n    tasks: [{ run: 'true' }]\n",
            "hangar.yml:3:12: image: "
        ),
        (
            "machines:\n  default:\n    image: http://127.0.0.1:9/x.qcow2\n    share: ./nothing\njobs:\n  t:\n    tasks: [{ run: 'true' }]\n",
            "hangar.yml:4:12: share: "
        ),
        ("machines:\n  default:\n    image: ./a\njobs:\n  t:\n    machine: other\n    tasks: [{ run: 'true' }]\n", "machines defined: default"),
    ])
    func mistakesAreRefusedBeforeAnythingBoots(yaml: String, message: String) async throws {
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "t", "--offline"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("kernel"), "the hint names only what the user wrote: \(result.stderr)")
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func aProjectOfHostTasksNeedsNoMachinesAndSaysWhereItsLogWent() async throws {
        let sandbox = try Sandbox("jobs:\n  lint:\n    tasks: [{ host: 'echo linted' }]\n")
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "lint"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("linted"))
        #expect(result.stderr.contains("log and artifacts in \(sandbox.project)/.hangar/runs/lint-"))
    }

    /// A matrix runs every cell in turn, says each one's outcome, and exits with the worst; a cell
    /// is picked by name or by a parameter's value.
    @Test func aMatrixRunsEveryCellAndExitsWithTheWorst() async throws {
        let sandbox = try Sandbox(
            """
            jobs:
              test:
                matrix:
                  IMAGE: [https://example.org/images/leap-15.6.qcow2, https://example.org/images/debian-12.qcow2]
                  SCENARIO: [default, selinux]
                  exclude: [{ IMAGE: debian-12, SCENARIO: selinux }]
                tasks: [{ host: 'echo "testing $IMAGE ($SCENARIO)"; [ "$SCENARIO" = default ]' }]

            """
        )
        defer { sandbox.remove() }
        let all = try await sandbox.hangar(["run", "test"])
        #expect(all.status == 1, "\(all.stderr)")
        #expect(all.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("testing") }.count == 3)
        #expect(all.stderr.contains("==> cell leap-15.6/selinux (2 of 3)"))
        #expect(all.stderr.contains("matrix of 3 cells:\n  leap-15.6/default: passed\n  leap-15.6/selinux: failed\n  debian-12/default: passed\n"))
        let one = try await sandbox.hangar(["run", "test", "--param", "IMAGE=debian-12"])
        #expect(one.status == 0 && one.stdout == "testing https://example.org/images/debian-12.qcow2 (default)\n", "\(one.stdout)\(one.stderr)")
        let typo = try await sandbox.hangar(["run", "test", "--cell", "leap-15.6/selinx"])
        #expect(typo.status == 64 && typo.stderr.contains("has no cell 'leap-15.6/selinx' (did you mean 'leap-15.6/selinux'?)"))
        // `up` keeps one machine: it runs one cell, and asks which before it boots anything.
        let up = try await sandbox.hangar(["up", "test", "--param", "SCENARIO=default"])
        #expect(up.status == 64 && up.stderr.contains("job 'test' is a matrix of 2 cells here; 'up' runs one: pick it with --cell"), "\(up.stderr)")
        #expect(up.stderr.contains("its cells: leap-15.6/default, debian-12/default") && sandbox.machineFolders().isEmpty)
    }

    /// `--parallel 2` runs two cells at once: each cell waits for the other's mark, which only two
    /// runs at the same time can both see; each line says its cell.
    @Test func cellsRunAtOnceWithParallel() async throws {
        let sandbox = try Sandbox(
            """
            jobs:
              meet:
                matrix: { SIDE: [left, right] }
                tasks:
                  - host: |
                      touch "$HANGAR_RUN_DIR/../$SIDE.mark"
                      other=left; [ "$SIDE" = left ] && other=right
                      for i in $(seq 100); do [ -e "$HANGAR_RUN_DIR/../$other.mark" ] && break; sleep 0.1; done
                      [ -e "$HANGAR_RUN_DIR/../$other.mark" ] && echo "$SIDE met $other"

            """
        )
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "meet", "--parallel", "2"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("[left] left met right\n") && result.stdout.contains("[right] right met left\n"), "\(result.stdout)")
        #expect(result.stderr.contains("[left] run passed in") && result.stderr.contains("matrix of 2 cells:\n  left: passed\n  right: passed\n"))
        let wrong = try await sandbox.hangar(["run", "meet", "--parallel", "0"])
        #expect(wrong.status == 64 && wrong.stderr.contains("--parallel 0 is not a number of cells at once"), "\(wrong.stderr)")
    }

    @Test func serveRefusesAMissingProjectsFolderAndABusyPort() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let missing = try await sandbox.hangar(["serve", "--projects", "\(sandbox.root)/nothing"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("is not a folder"))
        let wrap = try await sandbox.hangar(["serve", "--projects", sandbox.root, "--port", "99999"])
        #expect(wrap.status == 64)
        #expect(wrap.stderr.contains("use 1 to 65535"))
        let log = "\(sandbox.root)/holder.log"
        let holder = try await TestProcess.start(
            [
                "python3", "-c",
                "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)",
            ],
            log: log
        )
        defer { holder.terminate() }
        let port = try #require(await holder.firstLine())
        let busy = try await sandbox.hangar(["serve", "--projects", sandbox.root, "--port", port])
        #expect(busy.status == 64)
        #expect(busy.stderr.contains("port \(port) on 127.0.0.1 is in use by another program"), "\(busy.stderr)")
    }

    @Test func remoteSaysAtOnceThatNothingAnswers() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let port = PortPicker.freePort()
        let started = ContinuousClock.now
        let result = try await sandbox.hangar(["remote", "runs", "--server", "127.0.0.1:\(port)", "--token", "x"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot reach the server at http://127.0.0.1:\(port): connection refused"), "\(result.stderr)")
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
