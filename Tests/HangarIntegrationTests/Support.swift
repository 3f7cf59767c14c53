import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// The package's root folder.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The test guest built by `scripts/build-test-guest.sh` (the README's test command builds it first).
enum TestGuest {
    static var folder: String { ProcessInfo.processInfo.environment["HANGAR_TEST_GUEST"] ?? "\(packageRoot)/.build/test-guest" }

    /// Fails the test, rather than skipping it, when the guest has not been built.
    static func require() throws -> String {
        for file in ["vmlinuz", "initrd.img", "vmlinuz-generic", "initrd-generic.img", "disk.qcow2", "id_ed25519"] {
            try #require(
                FileManager.default.fileExists(atPath: "\(folder)/\(file)"),
                "run scripts/build-test-guest.sh first (missing \(folder)/\(file))"
            )
        }
        return folder
    }
}

/// A temporary project folder with its own cache and state folders, and the real `hangar` binary.
struct Sandbox {
    let root: String
    var project: String { "\(root)/project" }
    var state: String { "\(root)/state" }
    var cache: String { "\(root)/cache" }

    /// The folder of project `demo` that `hangar serve --projects ROOT/projects` serves, made.
    func serverProject() throws -> String {
        let folder = "\(root)/projects/demo"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    init(_ yaml: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: "\(root)/project", withIntermediateDirectories: true)
        try yaml.write(toFile: "\(root)/project/hangar.yml", atomically: true, encoding: .utf8)
    }

    /// Runs `hangar ARGS` in the project folder.
    func hangar(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        let binary = "\(packageRoot)/.build/debug/hangar"
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: swift build")
        var env = ["HANGAR_STATE_DIR": state, "HANGAR_CACHE_DIR": cache]
        env.merge(environment) { $1 }
        return try await Command.run([binary] + arguments, environment: env, directory: project)
    }

    /// Starts `hangar ARGS` in the project folder in the background, its output in `<root>/NAME.log`.
    func start(_ arguments: [String], log name: String, environment: [String: String] = [:]) async throws -> BackgroundProcess {
        let binary = "\(packageRoot)/.build/debug/hangar"
        var env = ["HANGAR_STATE_DIR": state, "HANGAR_CACHE_DIR": cache]
        env.merge(environment) { $1 }
        return try await TestProcess.start([binary] + arguments, log: "\(root)/\(name).log", environment: env, directory: project)
    }

    /// QEMU processes started for this sandbox that are still running.
    func qemuProcesses() -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.compactMap { pid -> String? in
            guard let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                cmdline.contains("qemu-system"), cmdline.contains(state),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), !stat.contains(") Z ")
            else { return nil }
            return pid
        }
    }

    /// Kills the QEMU processes of this sandbox that are left (machines a test keeps up past its
    /// end when it fails midway).
    func killMachines() {
        for pid in qemuProcesses() { kill(Int32(pid) ?? 0, SIGKILL) }
    }

    /// `hangar` processes running in this sandbox's project folder (other tests run `hangar` at the same time).
    func hangarProcesses() -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { pid in
            let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
            return cmdline.hasPrefix("\(packageRoot)/.build/debug/hangar\u{0}") && cwd == project
        }
    }

    /// Machine state folders left behind.
    func machineFolders() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: "\(state)/machines")) ?? [] }

    /// Removes the sandbox once what the test was stopping in it has ended (`TestProcess.remove`).
    func remove() { TestProcess.remove(root) }
}

/// A hangar.yml for the test guest: `kernel` (direct kernel boot, baked key), `generic` (the same with
/// Debian's generic kernel, which has 9p) or `disk` (BIOS boot, cloud-init seed).
func guestYAML(_ guest: String, machine: String = "kernel", extra: String = "", jobs: String) -> String {
    let suffix = machine == "generic" ? "-generic" : ""
    let spec =
        machine == "disk"
        ? "image: \(guest)/disk.qcow2"
        : "kernel: \(guest)/vmlinuz\(suffix)\n    initrd: \(guest)/initrd\(suffix).img\n    append: console=ttyS0 quiet no_timer_check\n    ssh: { identity: \(guest)/id_ed25519 }"
    return "machines:\n  default:\n    \(spec)\n    memory: 512M\n    accel: tcg\n\(extra)jobs:\n\(jobs)"
}
