import Foundation
import HangarCore
import SQLKit

/// The schema, as an append-only list of versioned steps. A database records the versions it has
/// applied in `schema_migrations`; opening it applies the rest, each in order, exactly once, one
/// replica at a time (the steps run in one transaction that first takes a lock: PostgreSQL's
/// advisory lock, SQLite's write lock). A database from a newer Hangar is refused.
///
/// The SQL is plain and portable; `{id}` stands for the dialect's self-numbering id column.
enum Migrations {
    static let steps: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE runs (
                    id {id},
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
                    run_id BIGINT NOT NULL REFERENCES runs (id),
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
                    id {id},
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE tasks (
                    run_id BIGINT NOT NULL REFERENCES runs (id),
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
                    run_id BIGINT,
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
        (
            3,
            [
                // The run lifecycle (RunLifecycle): who holds a run, until when, and whether to stop it;
                // `version` makes every transition a compare-and-set.
                "ALTER TABLE runs ADD COLUMN owner TEXT",
                "ALTER TABLE runs ADD COLUMN lease_expires_at DOUBLE PRECISION",
                "ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE runs ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
                "CREATE INDEX runs_lease ON runs (state, lease_expires_at)",
                // Leases on jobs only one replica may do at a time (the scheduler).
                """
                CREATE TABLE leaders (
                    name TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL
                )
                """,
            ]
        ),
        (
            4,
            [
                // Placement: the labels a run needs (a JSON list) and the memory its machines take (MiB).
                "ALTER TABLE runs ADD COLUMN requires TEXT NOT NULL DEFAULT '[]'",
                "ALTER TABLE runs ADD COLUMN memory INTEGER NOT NULL DEFAULT 0",
                // What each worker last said of itself (the API's WorkerStatus, as JSON), and when.
                """
                CREATE TABLE workers (
                    name TEXT PRIMARY KEY,
                    status TEXT NOT NULL,
                    last_seen DOUBLE PRECISION NOT NULL
                )
                """,
            ]
        ),
        (
            5,
            [
                // Who or what started a run, as people read it: "manual by ops", "push to main at 1a2b3c4".
                "ALTER TABLE runs ADD COLUMN cause TEXT NOT NULL DEFAULT ''"
            ]
        ),
        (
            6,
            [
                // Why a run ended badly, for programs: its error's code and kind, and the failing task.
                "ALTER TABLE runs ADD COLUMN error_code TEXT",
                "ALTER TABLE runs ADD COLUMN error_kind TEXT",
                "ALTER TABLE runs ADD COLUMN failed_task INTEGER",
            ]
        ),
        (
            7,
            [
                // Each run's test results, for every test's history across the runs of its job.
                """
                CREATE TABLE test_results (
                    run_id INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    project TEXT NOT NULL,
                    job TEXT NOT NULL,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    PRIMARY KEY (run_id, position)
                )
                """,
                "CREATE INDEX test_results_by_test ON test_results (project, job, name, run_id)",
            ]
        ),
        (
            8,
            [
                // A failed task's error code, beside its message.
                "ALTER TABLE tasks ADD COLUMN error_code TEXT"
            ]
        ),
        (
            9,
            [
                // Known failures (a Signature as JSON), from a signatures folder or the API.
                """
                CREATE TABLE signatures (
                    name TEXT PRIMARY KEY,
                    body TEXT NOT NULL,
                    source TEXT NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                // Which signatures explain a failed run, with the first line each matched.
                """
                CREATE TABLE run_matches (
                    run_id INTEGER NOT NULL,
                    signature TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    issue TEXT,
                    line INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    matched_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (run_id, signature)
                )
                """,
                "CREATE INDEX run_matches_by_signature ON run_matches (signature, matched_at)",
                // An automatic retry waits until `not_before`; it names the run it retries and counts the retries before it.
                "ALTER TABLE runs ADD COLUMN not_before DOUBLE PRECISION",
                "ALTER TABLE runs ADD COLUMN retry_of INTEGER",
                "ALTER TABLE runs ADD COLUMN automatic_retries INTEGER NOT NULL DEFAULT 0",
            ]
        ),
        (
            10,
            [
                // What to tell whom when a run ends: sent by the server, retried until it gets through.
                """
                CREATE TABLE notifications (
                    id {id},
                    run_id INTEGER NOT NULL,
                    channel TEXT NOT NULL,
                    target TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_at DOUBLE PRECISION NOT NULL,
                    sent_at DOUBLE PRECISION,
                    last_error TEXT
                )
                """,
                "CREATE INDEX notifications_due ON notifications (sent_at, next_at)",
            ]
        ),
        (
            11,
            [
                // When the coordinator received each log line, for the log viewer's timestamps.
                "ALTER TABLE log_lines ADD COLUMN at DOUBLE PRECISION"
            ]
        ),
        (
            12,
            [
                // Tasks run away from the worker holding their run (`Placement`): one row with runner ''
                // for the task itself (run by the coordinator replica `taken_by`, or dispatched to every
                // worker), and for an every-worker task one row per worker.
                """
                CREATE TABLE placed_tasks (
                    run_id INTEGER NOT NULL,
                    attempt INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    runner TEXT NOT NULL,
                    placement TEXT NOT NULL,
                    state TEXT NOT NULL,
                    taken_by TEXT,
                    lines TEXT NOT NULL DEFAULT '[]',
                    error TEXT,
                    code TEXT,
                    kind TEXT,
                    updated_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (run_id, attempt, position, runner)
                )
                """,
                "CREATE INDEX placed_tasks_by_runner ON placed_tasks (runner, state)",
            ]
        ),
        (
            13,
            [
                // The image a run's machine boots (its source after parameters), set when it is claimed:
                // a test's history and a signature's scope are per image.
                "ALTER TABLE runs ADD COLUMN image TEXT",
                "ALTER TABLE test_results ADD COLUMN image TEXT NOT NULL DEFAULT ''",
            ]
        ),
        (
            14,
            [
                // A worker's name belongs to one life of it at a time (`instance`); one that stopped
                // gracefully says so (`stopped`), and is offline at once.
                "ALTER TABLE workers ADD COLUMN instance TEXT",
                "ALTER TABLE workers ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0",
            ]
        ),
        (
            15,
            [
                // Bus messages that queued or parked runs (a redelivery is a replay), and the runs waiting
                // for their OBS repository to be published (queued, once each, when it is).
                """
                CREATE TABLE bus_messages (
                    id TEXT PRIMARY KEY,
                    routing_key TEXT NOT NULL,
                    result TEXT NOT NULL,
                    received_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE parked_runs (
                    project TEXT NOT NULL,
                    job TEXT NOT NULL,
                    obs_project TEXT NOT NULL,
                    repository TEXT NOT NULL,
                    run TEXT NOT NULL,
                    parked_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (project, job, obs_project, repository)
                )
                """,
                // What kind of thing started each run (RunTrigger), for filtering.
                "ALTER TABLE runs ADD COLUMN started_by TEXT NOT NULL DEFAULT 'manual'",
            ]
        ),
        (
            16,
            [
                // A matrix job's cells queued together are a group, named by its first run's id; each
                // run of a matrix job names its cell (`debian-12/selinux`).
                "ALTER TABLE runs ADD COLUMN group_id INTEGER",
                "ALTER TABLE runs ADD COLUMN cell TEXT",
                "CREATE INDEX runs_group ON runs (group_id)",
            ]
        ),
        (
            17,
            [
                // What each run measured (`Measure`): the last value of each name.
                """
                CREATE TABLE measures (
                    run_id INTEGER NOT NULL,
                    project TEXT NOT NULL,
                    job TEXT NOT NULL,
                    cell TEXT NOT NULL,
                    name TEXT NOT NULL,
                    value DOUBLE PRECISION NOT NULL,
                    unit TEXT NOT NULL,
                    PRIMARY KEY (run_id, name)
                )
                """,
                "CREATE INDEX measures_trend ON measures (project, job, cell, name, run_id)",
            ]
        ),
        (
            18,
            [
                // How many lines each run's log has, kept on its row as lines arrive: a report no
                // longer counts the lines before every batch (which grew with the log).
                "ALTER TABLE runs ADD COLUMN log_lines INTEGER NOT NULL DEFAULT 0",
                "UPDATE runs SET log_lines = (SELECT COUNT(*) FROM log_lines WHERE log_lines.run_id = runs.id)",
            ]
        ),
        (
            19,
            [
                // A page of the runs in one state, newest first (`GET /api/v1/runs?state=…&before=…`),
                // read in order from this instead of sorting every run in that state.
                "CREATE INDEX runs_state_id ON runs (state, id)"
            ]
        ),
        (
            20,
            [
                // What a run asks of its machines when it ends (`KeepRequest`, JSON), and the
                // machines runs kept up on their workers, with their own lifecycle (`KeptLifecycle`).
                "ALTER TABLE runs ADD COLUMN keep TEXT",
                """
                CREATE TABLE kept_machines (
                    run_id BIGINT PRIMARY KEY REFERENCES runs (id),
                    worker TEXT NOT NULL,
                    owner TEXT,
                    machines TEXT NOT NULL,
                    state TEXT NOT NULL,
                    kept_at DOUBLE PRECISION NOT NULL,
                    until DOUBLE PRECISION NOT NULL,
                    reason TEXT,
                    ended_at DOUBLE PRECISION,
                    version INTEGER NOT NULL
                )
                """,
                "CREATE INDEX kept_machines_worker ON kept_machines (worker, state)",
            ]
        ),
        (
            21,
            [
                // Tunnels people opened to kept machines (`TunnelState`): who, when, which machine
                // and port; an `ordered` one waits for its worker's heartbeat to hand it over.
                """
                CREATE TABLE tunnels (
                    id TEXT PRIMARY KEY,
                    run_id BIGINT NOT NULL REFERENCES runs (id),
                    machine TEXT NOT NULL,
                    port INTEGER NOT NULL,
                    opened_by TEXT NOT NULL,
                    opened_at DOUBLE PRECISION NOT NULL,
                    worker TEXT NOT NULL,
                    url TEXT NOT NULL,
                    state TEXT NOT NULL,
                    closed_at DOUBLE PRECISION,
                    reason TEXT
                )
                """,
                "CREATE INDEX tunnels_worker ON tunnels (worker, state)",
                "CREATE INDEX tunnels_run ON tunnels (run_id, opened_at)",
            ]
        ),
        (
            22,
            [
                // A gate pipeline's queue (`GateQueue`, as JSON), changed with a compare-and-set on
                // its version, so replicas share it and a restart resumes it.
                """
                CREATE TABLE gate_queues (
                    project TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    queue TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    changed_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (project, pipeline)
                )
                """
            ]
        ),
        (
            23,
            [
                // Each testing of a change in the gate (one per attempt, so two replicas never queue
                // its runs twice), and its runs: `settled` once its result was applied to the queue
                // or it no longer counts and its runs ended.
                """
                CREATE TABLE gate_attempts (
                    project TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    change_name TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    commit_id TEXT NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (project, pipeline, change_name, attempt)
                )
                """,
                """
                CREATE TABLE gate_runs (
                    run_id INTEGER PRIMARY KEY,
                    project TEXT NOT NULL,
                    pipeline TEXT NOT NULL,
                    change_name TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    settled INTEGER NOT NULL
                )
                """,
                "CREATE INDEX gate_runs_open ON gate_runs (project, pipeline, settled)",
            ]
        ),
        (
            24,
            [
                // Pull requests by outsiders that a member let run (`/hangar ok-to-test`).
                """
                CREATE TABLE trusted_requests (
                    project TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    trusted_by TEXT NOT NULL,
                    trusted_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (project, number)
                )
                """
            ]
        ),
        (
            25,
            [
                // PostgreSQL tells every replica listening on `hangar_queue` when a run becomes
                // queued (`RunStore.listenForQueued`), so idle claims wake without polling. A
                // trigger, so a queued run costs no statement of its own; PostgreSQL sends one
                // notification per transaction however many runs it queued.
                """
                \(postgresOnly)CREATE FUNCTION hangar_run_queued() RETURNS trigger AS $$
                BEGIN PERFORM pg_notify('\(queueChannel)', ''); RETURN NULL; END $$ LANGUAGE plpgsql
                """,
                """
                \(postgresOnly)CREATE TRIGGER runs_inserted_queued AFTER INSERT ON runs FOR EACH ROW
                WHEN (NEW.state = \(RunState.queued.sql)) EXECUTE FUNCTION hangar_run_queued()
                """,
                """
                \(postgresOnly)CREATE TRIGGER runs_requeued AFTER UPDATE OF state ON runs FOR EACH ROW
                WHEN (NEW.state = \(RunState.queued.sql) AND OLD.state <> \(RunState.queued.sql)) EXECUTE FUNCTION hangar_run_queued()
                """,
            ]
        ),
        (
            26,
            [
                // How a testing's speculative merge was made (its changes and merge style, as JSON),
                // so a replica whose clone lacks the commit makes it again.
                "ALTER TABLE gate_attempts ADD COLUMN recipe TEXT"
            ]
        ),
    ]

    /// A statement that starts with this runs on PostgreSQL only.
    static let postgresOnly = "-- postgres only\n"
    /// The channel `NOTIFY`ed when a run becomes queued.
    static let queueChannel = "hangar_queue"

    /// The newest schema this Hangar knows.
    static var latest: Int { steps.map(\.version).max() ?? 0 }

    /// Applies the steps the database has not seen yet, in one transaction under a lock.
    static func apply(to connections: Connections) async throws {
        try await connections.transaction { database in
            if connections.dialect == .postgres {
                // Any constant will do, as long as every replica uses the same one.
                try await database.raw("SELECT pg_advisory_xact_lock(7262) AS locked").run()
            }
            try await database.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)").run()
            let applied = Set(
                try await database.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
            )
            if let newest = applied.max(), newest > latest {
                throw HangarError(
                    .databaseNewer,
                    "\(connections.location) was written by a newer Hangar (schema \(newest); this one knows up to \(latest))",
                    hint: "run the newer hangar, or point --database elsewhere",
                    kind: .usage
                )
            }
            for step in steps where !applied.contains(step.version) {
                for statement in step.statements where connections.dialect == .postgres || !statement.hasPrefix(postgresOnly) {
                    let text = statement.replacingOccurrences(of: "{id}", with: connections.dialect.idColumn)
                    try await database.raw(SQLQueryString(text)).run()
                }
                try await database.raw("INSERT INTO schema_migrations (version) VALUES (\(bind: step.version))").run()
            }
        }
    }
}
