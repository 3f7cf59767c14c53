import Synchronization

/// A thread-safe boolean that only ever turns on: "it has happened", shared between tasks.
public final class OnceFlag: Sendable {
    private let value = Atomic(false)

    /// An unset flag.
    public init() {}

    /// Turns it on.
    public func set() { value.store(true, ordering: .releasing) }

    /// Whether it was turned on.
    public var isSet: Bool { value.load(ordering: .acquiring) }
}
