import Synchronization

/// Set when the server begins a graceful shutdown, so long responses (live logs) end at once
/// instead of holding the shutdown until their runs end.
public final class ShutdownSignal: Sendable {
    private let flag = Atomic(false)

    public init() {}

    /// The server is stopping.
    public var isShuttingDown: Bool { flag.load(ordering: .acquiring) }

    func begin() { flag.store(true, ordering: .releasing) }
}
