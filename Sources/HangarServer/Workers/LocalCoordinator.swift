import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarMachine
import HangarStore
import HangarWorker
import HummingbirdWebSocket

/// The coordinator as the embedded worker of `hangar serve` sees it: the same questions a remote
/// worker asks over HTTP, answered in-process. Its runs use the server's run folders, so their
/// collected files need no upload.
struct LocalCoordinator: Coordinator {
    let coordinator: RunCoordinator
    /// The server's cache and state folders.
    let paths: HangarPaths

    func register(_ status: API.WorkerStatus) async throws { try await coordinator.register(status) }

    func leave(_ status: API.WorkerStatus) async throws { try await coordinator.leave(status) }

    func claim(_ status: API.WorkerStatus, wait: Duration) async throws -> API.Assignment? { try await coordinator.claim(status, wait: wait) }

    func heartbeat(_ beat: API.Heartbeat) async throws -> API.HeartbeatAnswer { try await coordinator.heartbeat(beat) }

    func held(worker: String) async throws -> [API.HeldRun] { try await coordinator.held(by: worker) }

    func report(_ run: API.HeldRun, worker: String, _ report: API.Report) async throws -> Int {
        try await coordinator.report(run, worker: worker, report)
    }

    func upload(_ run: API.HeldRun, worker: String, artifact path: String, file: String) async throws {
        let destination = coordinator.artifactFile(run: run.id, path: path)
        // The embedded worker's run folder is the server's: the file is already there.
        guard URL(fileURLWithPath: destination).standardizedFileURL != URL(fileURLWithPath: file).standardizedFileURL else { return }
        try await coordinator.checkHolder(run, worker: worker)
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: file, toPath: destination)
    }

    func finish(_ run: API.HeldRun, worker: String, _ outcome: API.Outcome) async throws -> API.Run {
        try await coordinator.finish(run, worker: worker, outcome)
    }

    func release(_ run: API.HeldRun, worker: String) async throws { _ = try await coordinator.release(run, worker: worker) }

    func runTask(_ run: API.HeldRun, worker: String, position: Int) async throws -> API.TaskResult {
        try await coordinator.runPlaced(run, worker: worker, position: position)
    }

    func taskEnded(_ order: API.TaskOrder, worker: String, _ result: API.TaskResult) async throws {
        try await coordinator.partEnded(
            PlacedTaskKey(run: order.run.id, attempt: order.run.attempt, position: order.position),
            worker: worker,
            result
        )
    }

    /// Never ordered: the coordinator reaches its embedded worker's machines itself (`TunnelRoutes`).
    func dialTunnel(
        _ order: API.TunnelOrder,
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    )
        async throws
    {
        throw HangarError(.workerTunnel, "the embedded worker dials no tunnel: the coordinator connects to its machines itself")
    }

    func workspace(for assignment: API.Assignment, folder: String) async throws -> Workspace {
        try Workspace(text: assignment.projectFile, path: "\(assignment.projectPath)/hangar.yml", paths: paths, notice: { _ in })
    }
}
