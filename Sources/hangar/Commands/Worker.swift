import ArgumentParser
import Foundation
import HangarCore
import HangarMachine
import HangarServer
import HangarWorker
import Logging
import ServiceLifecycle

/// `hangar worker`: runs a coordinator's runs on this host.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Hangar server's runs on this host: takes runs its labels, slots and free memory allow.",
        discussion: """
            The server needs a worker token: 'hangar token create --role worker' on it. What the worker has not yet \
            delivered is kept in its state folder and sent when the server answers again. On SIGTERM it stops taking \
            runs and cancels running ones (their machines are destroyed), or lets them finish with --finish-on-shutdown.
            """
    )

    @Option(help: "The server's address (default: $HANGAR_SERVER, else http://127.0.0.1:8400).")
    var server: String?

    @Option(help: "A worker token (default: $HANGAR_TOKEN).")
    var token: String?

    @Option(
        help:
            "This worker's name; the server refuses a second worker online under one name (default: the host name and a digest of the state folder)."
    )
    var name: String?

    @Option(help: "What this worker offers, such as kvm,arch=x86_64 (it adds arch= itself); jobs' requires: must be among them.")
    var labels = ""

    @Option(parsing: .unconditional, help: "Runs at once: a number, or auto (one per CPU, at most one per 2 GiB of memory).")
    var slots = "auto"

    @Flag(help: "On SIGTERM, let running runs finish instead of cancelling them.")
    var finishOnShutdown = false

    @Option(
        parsing: .unconditional,
        help: "Take no run while the state folder's file system has less free space than this (overlays and run folders grow there)."
    )
    var minFreeDisk = "2G"

    func validate() throws {
        guard ByteSize(parsing: minFreeDisk) != nil else {
            throw ValidationError("--min-free-disk '\(minFreeDisk)' is not a size such as 2G or 500M")
        }
        guard slots == "auto" || (Int(slots).map { (1...1024).contains($0) } ?? false) else {
            throw ValidationError("--slots '\(slots)' is not a number from 1 to 1024 or 'auto'")
        }
        _ = try Labels.parse(labels, option: "--labels")
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let environment = ProcessInfo.processInfo.environment
        let server = server ?? environment["HANGAR_SERVER"] ?? "http://127.0.0.1:8400"
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server '\(server)' needs http:// or https:// in front")
        }
        guard let token = token ?? environment["HANGAR_TOKEN"] else {
            throw ValidationError("a worker token is needed: --token or HANGAR_TOKEN ('hangar token create --role worker' on the server makes one)")
        }
        // The runs' host tasks may run a pull request's code: they never see the worker's token.
        Command.withhold(["HANGAR_TOKEN"])
        let paths = HangarPaths.fromEnvironment()
        let name = name ?? WorkerIdentity.defaultName(paths: paths)
        var configuration = WorkerAgent.Configuration(name: name, labels: try Labels.parse(labels, option: "--labels"), paths: paths)
        if let count = Int(slots) { configuration.slots = count }
        configuration.finishOnShutdown = finishOnShutdown
        configuration.minFreeDisk = Int((ByteSize(parsing: minFreeDisk)?.bytes ?? 0) >> 20)
        let logger = Logger(label: "hangar.worker")
        let coordinator = RemoteCoordinator(server: server, token: token, worker: name, paths: paths)
        let agent = WorkerAgent(coordinator: coordinator, configuration: configuration, logger: logger)
        try await ServiceRunner.run([("the worker", agent)], logger: logger)
    }
}
