import Foundation
import Synchronization

/// How the server's bus connection is, for `/readyz`, the machines page and `/metrics`.
public final class BusStatus: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// The broker, without its password.
        public var broker: String
        public var connected = false
        /// When it (dis)connected last (seconds since 1970).
        public var since: Double
        public var lastMessage: Double?
        public var reconnects = 0
        /// Why it is not connected.
        public var problem: String?
    }

    private let state: Mutex<Snapshot>

    init(broker: String) { state = Mutex(Snapshot(broker: broker, since: Date().timeIntervalSince1970)) }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func connected() {
        state.withLock {
            if $0.since > 0, !$0.connected, $0.problem != nil { $0.reconnects += 1 }
            $0.connected = true
            $0.problem = nil
            $0.since = Date().timeIntervalSince1970
        }
    }

    func disconnected(_ problem: String) {
        state.withLock {
            $0.connected = false
            $0.problem = problem
            $0.since = Date().timeIntervalSince1970
        }
    }

    func received() { state.withLock { $0.lastMessage = Date().timeIntervalSince1970 } }

    /// One line for people: `bus: connected to amqp://guest@host:5672 for 3 min; last message 2 s ago; 1 reconnect`.
    public var line: String {
        let now = Date().timeIntervalSince1970
        let status = snapshot
        var text =
            status.connected
            ? "bus: connected to \(status.broker) for \(Int(now - status.since)) s"
            : "bus: not connected to \(status.broker): \(status.problem ?? "connecting"); retrying"
        text += "; " + (status.lastMessage.map { "last message \(Int(now - $0)) s ago" } ?? "no message yet")
        text += "; \(status.reconnects) reconnect\(status.reconnects == 1 ? "" : "s")"
        return text
    }
}
