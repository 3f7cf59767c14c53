import SQLKit

/// The schema, as an append-only list of versioned steps. A database records the versions it has
/// applied in `schema_migrations`; opening it applies the rest, each in order, exactly once.
///
/// The SQL is plain and portable (SQLite and PostgreSQL) so the next store can share it.
enum Migrations {
    static let steps: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    project TEXT NOT NULL,
                    job TEXT NOT NULL,
                    state TEXT NOT NULL,
                    priority INTEGER NOT NULL DEFAULT 0,
                    attempt INTEGER NOT NULL DEFAULT 1,
                    parameters TEXT NOT NULL DEFAULT '{}',
                    reason TEXT,
                    created_at DOUBLE PRECISION NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX runs_state ON runs (state, priority, id)",
                """
                CREATE TABLE log_lines (
                    run_id INTEGER NOT NULL REFERENCES runs (id),
                    line INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    PRIMARY KEY (run_id, line)
                )
                """,
            ]
        ),
        (
            2,
            [
                "ALTER TABLE runs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 2",
                "ALTER TABLE runs ADD COLUMN started_at DOUBLE PRECISION",
                "ALTER TABLE runs ADD COLUMN finished_at DOUBLE PRECISION",
                "CREATE INDEX runs_project ON runs (project, job, id)",
                """
                CREATE TABLE tokens (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE tasks (
                    run_id INTEGER NOT NULL REFERENCES runs (id),
                    position INTEGER NOT NULL,
                    title TEXT NOT NULL,
                    status TEXT,
                    error TEXT,
                    started_at DOUBLE PRECISION NOT NULL,
                    finished_at DOUBLE PRECISION,
                    PRIMARY KEY (run_id, position)
                )
                """,
                """
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY,
                    project TEXT NOT NULL,
                    result TEXT NOT NULL,
                    run_id INTEGER,
                    received_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE schedules (
                    project TEXT NOT NULL,
                    job TEXT NOT NULL,
                    schedule TEXT NOT NULL,
                    last_fired DOUBLE PRECISION NOT NULL,
                    image_fingerprint TEXT,
                    PRIMARY KEY (project, job, schedule)
                )
                """,
            ]
        ),
    ]

    /// Applies the steps `database` has not seen yet, each in a transaction.
    /// Call it before the database is shared: the transaction is plain BEGIN/COMMIT on one connection.
    static func apply(to database: any SQLDatabase) async throws {
        try await database.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)").run()
        let applied = Set(
            try await database.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
        )
        for step in steps where !applied.contains(step.version) {
            try await database.raw("BEGIN").run()
            do {
                for statement in step.statements { try await database.raw(SQLQueryString(statement)).run() }
                try await database.raw("INSERT INTO schema_migrations (version) VALUES (\(bind: step.version))").run()
                try await database.raw("COMMIT").run()
            } catch {
                try? await database.raw("ROLLBACK").run()
                throw error
            }
        }
    }
}
