public import HangarAPI
public import HangarCore
public import HangarEngine
public import HummingbirdWSClient

/// What a worker asks of the coordinator (`hangar serve`): runs to take, and where to report on
/// them. `RemoteCoordinator` asks over HTTP; the embedded worker of `hangar serve` asks the same
/// questions in-process, so there is one worker whichever way it runs.
///
/// Every report names the attempt; one for an attempt the worker no longer holds throws a
/// `run.stale` error and is never applied, so a resend is harmless and a late one changes nothing.
public protocol Coordinator: Sendable {
    /// Says what the worker is; throws when the coordinator cannot serve it (another protocol, or
    /// another worker online under its name).
    func register(_ status: API.WorkerStatus) async throws
    /// Says the worker stopped: it is offline at once.
    func leave(_ status: API.WorkerStatus) async throws
    /// A run the worker can take, held by it from now on; nil when none came within `wait`.
    func claim(_ status: API.WorkerStatus, wait: Duration) async throws -> API.Assignment?
    /// Renews the leases of the runs the worker holds; says which to stop.
    func heartbeat(_ beat: API.Heartbeat) async throws -> API.HeartbeatAnswer
    /// The runs the worker holds, as the coordinator sees it (after a restart).
    func held(worker: String) async throws -> [API.HeldRun]
    /// Stores log lines and task events, in order; returns how many lines the run's log has.
    func report(_ run: API.HeldRun, worker: String, _ report: API.Report) async throws -> Int
    /// Stores a collected file (`path` under the run's artifacts folder) from the local `file`.
    func upload(_ run: API.HeldRun, worker: String, artifact path: String, file: String) async throws
    /// Records how the attempt ended; returns the run as it ended.
    func finish(_ run: API.HeldRun, worker: String, _ outcome: API.Outcome) async throws -> API.Run
    /// Gives the run up: it is queued again as its next attempt, or ends error.
    func release(_ run: API.HeldRun, worker: String) async throws
    /// Runs task `position` of the attempt where its handler is placed (on the coordinator, or on
    /// every worker); answers when it ended. Asked again, it answers the same and runs nothing twice.
    func runTask(_ run: API.HeldRun, worker: String, position: Int) async throws -> API.TaskResult
    /// Says how this worker's part of an every-worker task ended.
    func taskEnded(_ order: API.TaskOrder, worker: String, _ result: API.TaskResult) async throws
    /// The workspace the assignment's job runs in; `folder` is the run's folder on this host.
    func workspace(for assignment: API.Assignment, folder: String) async throws -> Workspace
    /// Opens this worker's end of a tunnel a heartbeat ordered (a WebSocket to the coordinator's
    /// replica the user is connected to) and runs `body` with it; returns when the tunnel closed.
    func dialTunnel(
        _ order: API.TunnelOrder,
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    )
        async throws
}

extension HangarError {
    /// True for a refusal: the worker does not hold the attempt (any more). Not worth retrying.
    public var isStale: Bool { code == .runStale }
}
