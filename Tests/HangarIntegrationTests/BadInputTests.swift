import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// Bad input through the real command: a clear message, a non-zero exit, nothing left behind.
@Suite(.timeLimit(.minutes(2))) struct BadInputTests {
    @Test func missingQEMUNamesThePackage() async throws {
        let sandbox = try Sandbox("machines:\n  default:\n    image: ./disk.qcow2\njobs:\n  t:\n    tasks: [{ run: 'true' }]\n")
        defer { sandbox.remove() }
        try "x".write(toFile: "\(sandbox.project)/disk.qcow2", atomically: true, encoding: .utf8)
        // A PATH with ssh tools but no QEMU.
        let bin = "\(sandbox.root)/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for tool in ["ssh", "ssh-keygen", "genisoimage", "sh"] {
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/\(tool)", withDestinationPath: try Tools.path(of: tool))
        }
        let result = try await sandbox.hangar(["run", "t"], environment: ["PATH": bin])
        #expect(result.status == 2)
        #expect(result.stderr.contains("'qemu-system-x86_64' was not found"))
        #expect(result.stderr.contains("apt-get install qemu-system-x86"))
    }

    @Test(arguments: [
        ("machines:\n  default:\n    image: [oops\n", ["run", "t"], ["hangar.yml:", "invalid YAML"]),
        (
            "machines:\n  default:\n    image: ./a.qcow2\n    memroy: 2G\n", ["status"],
            ["hangar.yml:4:5: unknown key 'memroy' (did you mean 'memory'?)"]
        ),
        ("machines:\n  default:\n    image: ./a.qcow2\n", ["ssh"], ["machine 'default' is not running", "hangar up"]),
        ("machines:\n  default:\n    image: ./a.qcow2\n", ["run", "tset"], ["no job 'tset'"]),
    ])
    func mistakesFailWithAClearMessage(yaml: String, arguments: [String], messages: [String]) async throws {
        let sandbox = try Sandbox(yaml)
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(arguments)
        #expect(result.status != 0)
        for message in messages { #expect(result.stderr.contains(message), "\(result.stderr)") }
    }

    /// Negative numbers get the message a wrong positive one gets (not "Missing value"), and the
    /// other options a newcomer gets wrong are refused saying what is wrong.
    @Test(arguments: [
        (["worker", "--slots", "-1"], "--slots '-1' is not a number from 1 to 1024 or 'auto'"),
        (["worker", "--min-free-disk", "-5G"], "--min-free-disk '-5G' is not a size"),
        (["worker", "--labels", "big disk,kvm"], "'big disk' is not a label"),
        (["serve", "--lease", "-5"], "--lease -5.0 is too short"),
        (["serve", "--capacity", "-1"], "--capacity -1 is not a number of runs"),
        (["serve", "--capacity", "0"], "--capacity 0 is not a number of runs"),
        (["serve", "--smtp", "mail.example.org:99999"], "is not HOST:PORT with a port from 1 to 65535"),
        (["serve", "--mail-from", "not an address"], "'not an address' is not an e-mail address"),
        (["serve", "--labels", "big disk"], "'big disk' is not a label"),
    ])
    func optionsANewcomerGetsWrongAreRefusedSayingWhy(arguments: [String], message: String) async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: "\(sandbox.root)/projects", withIntermediateDirectories: true)
        let extra = arguments[0] == "serve" ? ["--projects", "\(sandbox.root)/projects"] : ["--token", "hgr_x"]
        let result = try await sandbox.hangar(arguments + extra)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// `serve` with wrong signature files does not start, and names every one where it is wrong.
    @Test func serveNamesEveryWrongSignatureFile() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let signatures = "\(sandbox.root)/signatures"
        try FileManager.default.createDirectory(atPath: "\(sandbox.root)/projects", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: signatures, withIntermediateDirectories: true)
        try "kind: flaky\npattern: ''\n".write(toFile: "\(signatures)/empty.yml", atomically: true, encoding: .utf8)
        try "kind: flakey\npattern: x\n".write(toFile: "\(signatures)/kind.yml", atomically: true, encoding: .utf8)
        let result = try await sandbox.hangar(["serve", "--projects", "\(sandbox.root)/projects", "--signatures", signatures])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("2 signature files in \(signatures) are wrong"), "\(result.stderr)")
        #expect(result.stderr.contains("\(signatures)/empty.yml:2:10: the pattern is empty"), "\(result.stderr)")
        #expect(result.stderr.contains("\(signatures)/kind.yml:1:7: unknown kind 'flakey'"), "\(result.stderr)")
    }

    /// A worker whose coordinator is not there says so at once, in plain words, once.
    @Test func aWorkerSaysAtOnceThatItsCoordinatorDoesNotAnswer() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let port = PortPicker.freePort()
        let worker = try await sandbox.start(["worker", "--server", "http://127.0.0.1:\(port)", "--token", "hgr_x"], log: "worker")
        defer { worker.terminate() }
        try await eventually("the worker says it cannot reach the coordinator: \(worker.output())", within: .seconds(5)) {
            worker.output().contains("cannot reach the coordinator at http:\\/\\/127.0.0.1:\(port): connection refused")
        }
        try await Task.sleep(for: .seconds(2))
        #expect(worker.output().components(separatedBy: "connection refused").count == 2, "said once: \(worker.output())")
        #expect(!worker.output().contains("errno"), "no library dump")
    }

    @Test func offlineWithAnUncachedImage() async throws {
        let sandbox = try Sandbox("machines:\n  default:\n    image: http://127.0.0.1:9/leap.qcow2\njobs:\n  t:\n    tasks: [{ run: 'true' }]\n")
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["run", "t", "--offline"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("is not in the image cache and --offline forbids downloading it"))
        #expect(sandbox.machineFolders().isEmpty)
    }

    @Test func initWritesAFileThatLoads() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try FileManager.default.removeItem(atPath: "\(sandbox.project)/hangar.yml")
        let written = try await sandbox.hangar(["init", "--image", "https://example.org/leap.qcow2"])
        #expect(written.status == 0)
        let status = try await sandbox.hangar(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        let again = try await sandbox.hangar(["init", "--image", "x"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func handlersListsEveryHandlerWithOptions() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let result = try await sandbox.hangar(["handlers"])
        for name in ["image.fetch", "machine.boot", "run", "host", "copy", "collect", "wait", "machine.destroy"] {
            #expect(result.stdout.contains("\(name)\n"), "\(name)")
        }
        #expect(result.stdout.contains("paths (list of globs, required)"))
    }
}
