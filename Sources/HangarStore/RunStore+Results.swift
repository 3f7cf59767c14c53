public import HangarCore
import SQLKit

/// One earlier result of a test, for its history row.
public struct TestHistoryEntry: Sendable, Equatable {
    public var run: Int
    public var status: TestStatus
}

extension RunStore {
    /// Keeps run `id`'s test results, so each test has a history across the runs of its job.
    /// Replaces what was kept for the run before (a resent result is harmless).
    public func saveResults(_ results: TestResults, run id: Int, project: String, job: String) async throws {
        try await connections.transaction { database in
            try await database.raw("DELETE FROM test_results WHERE run_id = \(bind: id)").run()
            for (position, test) in results.tests.enumerated() {
                try await database.raw(
                    """
                    INSERT INTO test_results (run_id, position, project, job, name, status)
                    VALUES (\(bind: id), \(bind: position), \(bind: project), \(bind: job), \(bind: test.name), \(bind: test.status.rawValue))
                    """
                ).run()
            }
        }
    }

    /// The last `limit` results of test `name` of `project`/`job` in runs up to and including
    /// `run`, oldest first (a history row reads left to right, newest right).
    public func history(of name: String, project: String, job: String, upTo run: Int, limit: Int = 20) async throws -> [TestHistoryEntry] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT run_id, status FROM test_results
                WHERE project = \(bind: project) AND job = \(bind: job) AND name = \(bind: name) AND run_id <= \(bind: run)
                ORDER BY run_id DESC LIMIT \(literal: max(0, limit))
                """
            ).all().compactMap { row in
                guard let status = TestStatus(rawValue: try row.decode(column: "status", as: String.self)) else { return nil }
                return TestHistoryEntry(run: try row.decode(column: "run_id", as: Int.self), status: status)
            }.reversed()
        }
    }
}

extension RunStore {
    /// The names of run `id`'s tests that failed or erred.
    public func failedTests(run id: Int) async throws -> [String] {
        try await connections.withDatabase { database in
            try await database.raw(
                "SELECT name FROM test_results WHERE run_id = \(bind: id) AND status IN ('fail', 'error') ORDER BY position"
            ).all().map { try $0.decode(column: "name", as: String.self) }
        }
    }
}
