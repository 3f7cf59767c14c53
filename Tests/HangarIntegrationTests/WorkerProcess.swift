import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport

/// A running `hangar worker` with its own state folder (its machines, journal and run folders).
final class WorkerProcess {
    let name: String
    let state: String
    let process: BackgroundProcess

    /// `hangar worker` named `name` for `server`, its state under the sandbox's root; `prefix` runs
    /// it through another program (`ip netns exec NAME`). With `name` nil it takes its default
    /// name, and its state folder is named by `label`.
    init(
        _ sandbox: Sandbox,
        name: String?,
        label: String? = nil,
        server: String,
        token: String,
        arguments: [String] = ["--slots", "1"],
        prefix: [String] = [],
        cache: String? = nil
    )
        async throws
    {
        self.name = name ?? ""
        state = "\(sandbox.root)/worker-\(name ?? label ?? "unnamed")"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        process = try await TestProcess.start(
            prefix + ["\(packageRoot)/.build/debug/hangar", "worker", "--server", server, "--token", token]
                + (name.map { ["--name", $0] } ?? []) + arguments,
            log: "\(state)-\(UUID().uuidString.prefix(4)).log",
            environment: ["HANGAR_STATE_DIR": state, "HANGAR_CACHE_DIR": cache ?? "\(sandbox.root)/cache"]
        )
    }

    /// QEMU processes of this worker's machines still running.
    func qemuProcesses() -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { pid in
            let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return cmdline.contains("qemu-system") && cmdline.contains("\(state)/") && !stat.contains(") Z ")
        }
    }

    var log: String { process.output() }
}
