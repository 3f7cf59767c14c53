public import Foundation
public import HangarCore
import SQLKit

/// A tunnel to a kept machine as the store keeps it.
public struct StoredTunnel: Sendable, Equatable {
    public var id: String
    public var run: Int
    public var machine: String
    /// In the guest.
    public var port: Int
    public var openedBy: String
    public var openedAt: Double
    /// The worker that has the machine, and where it dials back.
    public var worker: String
    public var url: String
    public var state: TunnelState
    public var closedAt: Double?
    public var reason: String?

    public init(id: String, run: Int, machine: String, port: Int, openedBy: String, openedAt: Double = 0, worker: String, url: String) {
        self.id = id
        self.run = run
        self.machine = machine
        self.port = port
        self.openedBy = openedBy
        self.openedAt = openedAt
        self.worker = worker
        self.url = url
        state = .ordered
    }

    static let columns = "id, run_id, machine, port, opened_by, opened_at, worker, url, state, closed_at, reason"

    init(_ row: any SQLRow) throws {
        id = try row.decode(column: "id", as: String.self)
        run = try row.decode(column: "run_id", as: Int.self)
        machine = try row.decode(column: "machine", as: String.self)
        port = try row.decode(column: "port", as: Int.self)
        openedBy = try row.decode(column: "opened_by", as: String.self)
        openedAt = try row.decode(column: "opened_at", as: Double.self)
        worker = try row.decode(column: "worker", as: String.self)
        url = try row.decode(column: "url", as: String.self)
        let state = try row.decode(column: "state", as: String.self)
        guard let known = TunnelState(rawValue: state) else { throw HangarError(.storeState, "tunnel \(id) has an unknown state '\(state)'") }
        self.state = known
        closedAt = try row.decode(column: "closed_at", as: Double?.self)
        reason = try row.decode(column: "reason", as: String?.self)
    }
}

extension RunStore {
    /// Records `tunnel`, `ordered`, opened now; returns it as stored.
    public func recordTunnel(_ tunnel: StoredTunnel) async throws -> StoredTunnel {
        let now = now()
        return try await connections.withDatabase { database in
            guard
                let row = try await database.raw(
                    """
                    INSERT INTO tunnels (id, run_id, machine, port, opened_by, opened_at, worker, url, state)
                    VALUES (\(bind: tunnel.id), \(bind: tunnel.run), \(bind: tunnel.machine), \(bind: tunnel.port), \(bind: tunnel.openedBy),
                        \(bind: now), \(bind: tunnel.worker), \(bind: tunnel.url), \(bind: TunnelState.ordered.rawValue))
                    RETURNING \(unsafeRaw: StoredTunnel.columns)
                    """
                ).first()
            else { throw HangarError(.storeInsert, "tunnel \(tunnel.id) was not recorded") }
            return try StoredTunnel(row)
        }
    }

    /// Hands `worker` the tunnels ordered for it, each once (they are `open` from then on).
    public func takeTunnelOrders(worker: String) async throws -> [StoredTunnel] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE tunnels SET state = \(bind: TunnelState.ordered.opened?.rawValue)
                WHERE worker = \(bind: worker) AND state = \(bind: TunnelState.ordered.rawValue) RETURNING \(unsafeRaw: StoredTunnel.columns)
                """
            ).all().map(StoredTunnel.init)
        }
    }

    /// Tunnel `id` is open (the coordinator connected itself); false when it was not waiting.
    public func openTunnel(_ id: String) async throws -> Bool {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE tunnels SET state = \(bind: TunnelState.ordered.opened?.rawValue)
                WHERE id = \(bind: id) AND state = \(bind: TunnelState.ordered.rawValue) RETURNING id
                """
            ).first() != nil
        }
    }

    /// Tunnel `id` closed, for `reason`; a second close changes nothing.
    public func closeTunnel(_ id: String, reason: String) async throws { try await closeTunnels(where: "id", is: id, reason: reason) }

    /// Every tunnel the replica at `url` recorded that is not closed yet, closed for `reason` (the
    /// replica started again: they ended with its last life).
    public func closeTunnels(carriedBy url: String, reason: String) async throws { try await closeTunnels(where: "url", is: url, reason: reason) }

    private func closeTunnels(where column: String, is value: String, reason: String) async throws {
        let now = now()
        try await connections.withDatabase { database in
            try await database.raw(
                """
                UPDATE tunnels SET state = \(bind: TunnelState.open.closed?.rawValue), closed_at = \(bind: now), reason = \(bind: reason)
                WHERE \(unsafeRaw: column) = \(bind: value) AND state <> \(bind: TunnelState.closed.rawValue)
                """
            ).run()
        }
    }

    /// Tunnel `id`, if there is one.
    public func tunnel(_ id: String) async throws -> StoredTunnel? {
        try await connections.withDatabase { database in
            try await database.raw("SELECT \(unsafeRaw: StoredTunnel.columns) FROM tunnels WHERE id = \(bind: id)").first().map(StoredTunnel.init)
        }
    }

    /// The last `limit` tunnels opened to run `id`'s machines, newest first.
    public func tunnels(run id: Int, limit: Int = 20) async throws -> [StoredTunnel] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT \(unsafeRaw: StoredTunnel.columns) FROM tunnels WHERE run_id = \(bind: id) ORDER BY opened_at DESC, id LIMIT \(literal: limit)
                """
            ).all().map(StoredTunnel.init)
        }
    }
}
