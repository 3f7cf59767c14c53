import SQLKit

extension RunStore {
    /// Remembers that `by`, a member, let pull request `number` of `project` run (its author is not one).
    public func trustRequest(project: String, number: Int, by: String) async throws {
        let now = now()
        try await connections.withDatabase { database in
            try await database.raw(
                """
                INSERT INTO trusted_requests (project, number, trusted_by, trusted_at)
                VALUES (\(bind: project), \(bind: number), \(bind: by), \(bind: now))
                ON CONFLICT (project, number) DO NOTHING
                """
            ).run()
        }
    }

    /// Whether a member let pull request `number` of `project` run.
    public func isTrusted(project: String, number: Int) async throws -> Bool {
        try await connections.withDatabase { database in
            try await database.raw(
                "SELECT number FROM trusted_requests WHERE project = \(bind: project) AND number = \(bind: number)"
            ).first() != nil
        }
    }
}
