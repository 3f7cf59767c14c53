import Foundation
import HangarAPI
import HangarCore
import HangarStore
import HangarWorker
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket
import Synchronization

/// Tunnels to kept machines: a user's WebSocket (`openTunnel`) is spliced with the machine's port.
/// For the embedded worker's machines the coordinator connects to the port itself (they are on its
/// host); for a worker elsewhere it records an order, the worker's next heartbeat takes it, and the
/// worker dials back (`dialTunnel`) to this replica, so workers need no inbound port. Every tunnel
/// is recorded: who, when, which machine and port, and how it ended.
struct TunnelRoutes {
    let store: RunStore
    let kept: KeptControl
    let table: RouteTable
    let broker: TunnelBroker
    /// This replica's embedded worker, whose machines are on this host; nil without one.
    let embeddedWorker: String?
    /// Where workers dial back to this replica (`--public-url`, else its address).
    let publicURL: String

    /// How long a user's tunnel waits for the worker to dial back.
    static let dialWait: Duration = .seconds(15)

    func add(to router: Router<ServerContext>) {
        webSocket(Contract.tunnel, on: router, check: target) { target, socket, context in
            try await open(target, by: context.caller ?? "?", user: socket)
        }
        webSocket(Contract.dialTunnel, on: router, check: dialled) { tunnel, socket, _ in
            await broker.arrived(tunnel.id, socket)
        }
    }

    /// Registers `operation` as a WebSocket route: `check` answers the request before the upgrade
    /// (its error is the answer) and again after it, giving `handler` what it found.
    private func webSocket<Found: Sendable>(
        _ operation: Endpoint,
        on router: Router<ServerContext>,
        check: @escaping @Sendable (Request, ServerContext) async throws -> Found,
        handler: @escaping @Sendable (Found, Tunnel.Socket, ServerContext) async throws -> Void
    ) {
        table.add(.get, operation.routerPath, access: operation.access)
        router.ws(RouterPath(operation.routerPath)) { request, context in
            _ = try await check(request, context)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, ws in
            try await handler(try await check(ws.request, ws.requestContext), (inbound, outbound), ws.requestContext)
        }
    }

    /// Where a user's tunnel goes: a kept machine, a port in it, and the port on its worker's
    /// loopback that reaches that one.
    struct Target {
        var kept: StoredKept
        var machine: API.KeptMachine
        var guest: Int
        var host: Int
    }

    /// The target a user's tunnel request names.
    private func target(_ request: Request, _ context: ServerContext) async throws -> Target {
        let inputs = try Inputs(Contract.tunnel.parameters, request, context)
        return try await target(
            run: try APIRoutes.runID(inputs),
            machine: try inputs.required(Contract.machineName.name),
            port: inputs.integer(Contract.guestPort.name) ?? 0,
            context
        )
    }

    /// Port `port` of run `run`'s kept machine `machine` (nil: its first), for the caller of
    /// `context`; 404, 403, 409 or 400 saying why there is none.
    func target(run id: Int, machine name: String?, port: Int, _ context: ServerContext) async throws -> Target {
        let stored = try await kept.kept(id)
        try kept.checkOwner(stored, caller: context.caller, role: context.role)
        let entry = try API.Kept(stored)
        guard entry.state == .kept else {
            throw HTTPError(.conflict, message: "run \(id)'s machines were destroyed (\(entry.reason ?? "destroyed")): there is nothing to tunnel to")
        }
        if let lost = try await kept.lost(stored) {
            throw HTTPError(.conflict, message: "run \(id)'s machines: \(lost)")
        }
        guard let machine = entry.machines.first(where: { $0.name == name ?? $0.name }) else {
            throw HTTPError(
                .notFound,
                message: "run \(id) kept no machine '\(name ?? "")' (it kept \(entry.machines.map(\.name).joined(separator: ", ")))"
            )
        }
        guard let host = machine.hostPort(guest: port) else {
            let open = machine.tunnelPorts.map(String.init).joined(separator: ", ")
            throw HTTPError(.badRequest, message: "machine '\(machine.name)' does not forward port \(port); a tunnel goes to \(open)")
        }
        return Target(kept: stored, machine: machine, guest: port, host: host)
    }

    /// The tunnel a worker dials back for: one ordered for it (403 for another worker's, 404 for none).
    private func dialled(_ request: Request, _ context: ServerContext) async throws -> StoredTunnel {
        let inputs = try Inputs(Contract.dialTunnel.parameters, request, context)
        let id = try inputs.required(Contract.tunnelID.name)
        guard let tunnel = try await store.tunnel(id) else { throw HTTPError(.notFound, message: "there is no tunnel \(id)") }
        guard tunnel.worker == inputs.text(Contract.workerName.name) else {
            throw HTTPError(.forbidden, message: "tunnel \(id) is worker \(tunnel.worker)'s to open")
        }
        return tunnel
    }

    /// Splices the user's WebSocket with the machine's port; a port not reached closes it saying why.
    private func open(_ target: Target, by user: String, user socket: Tunnel.Socket) async throws {
        do {
            try await withTunnel(to: target, by: user) { end in
                switch end {
                case .connection(let stream): try await Tunnel.splice(socket.inbound, socket.outbound, with: stream)
                case .worker(let worker):
                    try await Tunnel.splice(
                        socket,
                        with: (worker.inbound, worker.outbound),
                        aCut: "the tunnel's user went away",
                        bCut: "the machine's end was cut (its worker or the machine went away)"
                    )
                }
            }
        } catch let error as HTTPError {
            try? await socket.outbound.close(.unexpectedServerError, reason: error.body)
        }
    }

    /// The machine's end of a tunnel.
    enum MachineEnd {
        /// This host's TCP connection to the port (the embedded worker's machines are on this host).
        case connection(Tunnel.Stream)
        /// The machine's worker dialled back.
        case worker(TunnelBroker.End)
    }

    /// Records a tunnel of `user`'s to `target`, reaches the machine's port and gives `use` its
    /// end; the record says how the tunnel ended. A port not reached is a 502 or 504 saying why.
    func withTunnel<Value>(to target: Target, by user: String, _ use: (MachineEnd) async throws -> Value) async throws -> Value {
        let tunnel = try await store.recordTunnel(
            StoredTunnel(
                id: UUID().uuidString,
                run: target.kept.run,
                machine: target.machine.name,
                port: target.guest,
                openedBy: user,
                worker: target.kept.worker,
                url: publicURL
            )
        )
        let end: MachineEnd
        do {
            end = try await reach(tunnel, target)
        } catch let error as HTTPError {
            try await store.closeTunnel(tunnel.id, reason: error.body ?? "not reached")
            throw error
        }
        defer { if case .worker(let worker) = end { worker.done() } }
        do {
            let value = try await use(end)
            try await store.closeTunnel(tunnel.id, reason: "closed")
            return value
        } catch {
            try await store.closeTunnel(tunnel.id, reason: "cut: \(error)")
            throw error
        }
    }

    /// The machine's end of `tunnel`: a connection of this replica's own for the embedded
    /// worker's machines, else the worker's dial-back.
    private func reach(_ tunnel: StoredTunnel, _ target: Target) async throws -> MachineEnd {
        if tunnel.worker == embeddedWorker {
            _ = try await store.openTunnel(tunnel.id)
            do {
                return .connection(try await Tunnel.connect(port: target.host))
            } catch {
                throw HTTPError(.badGateway, message: "cannot reach port \(target.guest) of machine '\(target.machine.name)': \(error)")
            }
        }
        guard let worker = await broker.waitForWorker(tunnel.id, within: Self.dialWait) else {
            throw HTTPError(
                .gatewayTimeout,
                message:
                    "worker \(tunnel.worker) did not open its end within \(Int(Self.dialWait.seconds)) s (it is offline, or cannot reach \(publicURL))"
            )
        }
        return .worker(worker)
    }
}

/// The tunnels of this replica whose users wait for their worker to dial back, and the workers'
/// ends as they arrive.
final class TunnelBroker: Sendable {
    /// A worker's end of a tunnel; `done` lets its connection go once the tunnel ended.
    struct End: Sendable {
        var inbound: WebSocketInboundStream
        var outbound: WebSocketOutboundWriter
        var done: @Sendable () -> Void
    }

    private let waiting = Mutex<[String: CheckedContinuation<End?, Never>]>([:])
    /// What the waits sleep on.
    let clock: any Clock<Duration>

    init(clock: any Clock<Duration>) { self.clock = clock }

    /// The worker's end of tunnel `id`, or nil when it did not come within `limit`.
    func waitForWorker(_ id: String, within limit: Duration) async -> End? {
        let timer = Task { [self] in
            try? await clock.sleep(for: limit)
            waiting.withLock { $0.removeValue(forKey: id) }?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in waiting.withLock { $0[id] = continuation } }
    }

    /// The worker's end of tunnel `id` arrived: handed to its user, and held until the tunnel ends.
    /// An end nobody waits for (the user gave up) is closed at once.
    func arrived(_ id: String, _ socket: Tunnel.Socket) async {
        let (ended, end) = AsyncStream<Void>.makeStream()
        guard let user = waiting.withLock({ $0.removeValue(forKey: id) }) else {
            try? await socket.outbound.close(.goingAway, reason: "nobody waits for tunnel \(id) any more")
            return
        }
        user.resume(returning: End(inbound: socket.inbound, outbound: socket.outbound) { end.finish() })
        for await _ in ended {}
    }
}
