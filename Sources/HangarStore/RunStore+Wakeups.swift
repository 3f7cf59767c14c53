extension RunStore {
    /// Calls `heard` whenever a run becomes queued anywhere in the cluster (PostgreSQL's `NOTIFY`,
    /// sent by a trigger: migration 25), until cancelled; throws when the connection breaks. False
    /// at once on SQLite, where the one server knows what it queued.
    public func listenForQueued(_ heard: @escaping @Sendable () -> Void) async throws -> Bool {
        try await connections.listen(Migrations.queueChannel, heard: heard)
    }
}
