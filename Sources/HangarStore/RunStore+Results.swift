public import HangarCore
import SQLKit

/// One earlier result of a test, for its history row.
public struct TestHistoryEntry: Sendable, Equatable {
    public var run: Int
    public var status: TestStatus
}

extension RunStore {
    /// Keeps run `id`'s test results, so each test has a history across the runs of its job on one
    /// image. Replaces what was kept for the run before (a resent result is harmless).
    public func saveResults(_ results: TestResults, run id: Int, project: String, job: String, image: String = "") async throws {
        try await connections.transaction { database in
            try await database.raw("DELETE FROM test_results WHERE run_id = \(bind: id)").run()
            for (position, test) in results.tests.enumerated() {
                try await database.raw(
                    """
                    INSERT INTO test_results (run_id, position, project, job, image, name, status)
                    VALUES (\(bind: id), \(bind: position), \(bind: project), \(bind: job), \(bind: image), \(bind: test.name), \(bind: test.status.rawValue))
                    """
                ).run()
            }
        }
    }

    /// Records what run `id` (of `project`/`job`, in `cell` for a matrix job) measured, in one
    /// statement; a name recorded already gets the new value (a resend is harmless), and of a name
    /// given twice the last value counts.
    public func saveMeasures(_ measures: [Measure], run id: Int, project: String, job: String, cell: String?) async throws {
        let kept = Measure.lastOfEachName(measures)
        guard !kept.isEmpty else { return }
        var query = SQLQueryString("INSERT INTO measures (run_id, project, job, cell, name, value, unit) VALUES ")
        query.appendRows(kept.map { [id, project, job, cell ?? "", $0.name, $0.value, $0.unit] })
        query.appendInterpolation(unsafeRaw: " \(Self.measureUpsert)")
        let finished = query
        try await connections.withDatabase { database in try await database.raw(finished).run() }
    }

    /// How many of a run's measures a job's trends read, on average: a run that reports more
    /// crowds out older runs' values.
    static let measuresPerRunShown = 200

    /// What `project`/`job`'s runs measured, one series per cell and name (by cell, then name), each
    /// its last `runs` values, oldest first.
    public func measureSeries(project: String, job: String, runs: Int = 30) async throws -> [MeasureSeries] {
        let rows = try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT run_id, cell, name, value, unit FROM measures WHERE project = \(bind: project) AND job = \(bind: job)
                ORDER BY run_id DESC LIMIT \(literal: max(0, runs) * Self.measuresPerRunShown)
                """
            ).all()
        }
        var series: [String: MeasureSeries] = [:]
        for row in rows.reversed() {
            let (cell, name) = (try row.decode(column: "cell", as: String.self), try row.decode(column: "name", as: String.self))
            series["\(cell)\n\(name)", default: MeasureSeries(cell: cell, name: name, unit: "", points: [])].add(
                run: try row.decode(column: "run_id", as: Int.self),
                value: try row.decode(column: "value", as: Double.self),
                unit: try row.decode(column: "unit", as: String.self)
            )
        }
        return series.values.map { $0.last(runs) }.sorted { ($0.cell, $0.name) < ($1.cell, $1.name) }
    }

    /// What run `id` measured, by name.
    public func measures(run id: Int) async throws -> [Measure] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT name, value, unit FROM measures WHERE run_id = \(bind: id) ORDER BY name").all().map { row in
                Measure(
                    name: try row.decode(column: "name", as: String.self),
                    value: try row.decode(column: "value", as: Double.self),
                    unit: try row.decode(column: "unit", as: String.self)
                )
            }
        }
    }

    /// The last `limit` results of test `name` of `project`/`job` on `image` in runs up to and
    /// including `run`, oldest first (a history row reads left to right, newest right).
    public func history(
        of name: String,
        project: String,
        job: String,
        image: String = "",
        upTo run: Int,
        limit: Int = 20
    ) async throws -> [TestHistoryEntry] {
        try await connections.withDatabase { database in
            try await database.raw(
                """
                SELECT run_id, status FROM test_results
                WHERE project = \(bind: project) AND job = \(bind: job) AND image = \(bind: image) AND name = \(bind: name)
                AND run_id <= \(bind: run)
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
                "SELECT name FROM test_results WHERE run_id = \(bind: id) AND status IN \(unsafeRaw: [TestStatus.fail, .error].sqlList) ORDER BY position"
            ).all().map { try $0.decode(column: "name", as: String.self) }
        }
    }
}

/// A test that both passed and failed on the same code and image (`Flakiness`).
public struct FlakyTest: Sendable, Equatable {
    public var project: String
    public var job: String
    public var name: String
    /// Flips between passing and failing, failures and results, over every code and image it flaked on.
    public var flips: Int
    public var failures: Int
    public var results: Int
    /// The newest run it flaked in.
    public var lastRun: Int
}

extension RunStore {
    /// The tests that flaked in runs that ended since `since`, the most flips first.
    public func flakyTests(since: Double, limit: Int = 100) async throws -> [FlakyTest] {
        struct Key: Hashable {
            var project, job, name, parameters: String
        }
        var groups: [Key: (flakiness: Flakiness, last: Int)] = [:]
        try await connections.withDatabase { database in
            let rows = try await database.raw(
                """
                SELECT t.project, t.job, t.name, t.status, t.run_id, r.parameters FROM test_results t JOIN runs r ON r.id = t.run_id
                WHERE r.finished_at >= \(bind: since) ORDER BY t.run_id LIMIT 200000
                """
            ).all()
            for row in rows {
                guard let status = TestStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
                let key = Key(
                    project: try row.decode(column: "project", as: String.self),
                    job: try row.decode(column: "job", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    parameters: try row.decode(column: "parameters", as: String.self)
                )
                groups[key, default: (Flakiness(), 0)].flakiness.add(status)
                groups[key]!.last = try row.decode(column: "run_id", as: Int.self)
            }
        }
        var tests: [String: FlakyTest] = [:]
        for (key, group) in groups where group.flakiness.isFlaky {
            let id = "\(key.project)\u{0}\(key.job)\u{0}\(key.name)"
            var test = tests[id] ?? FlakyTest(project: key.project, job: key.job, name: key.name, flips: 0, failures: 0, results: 0, lastRun: 0)
            test.flips += group.flakiness.flips
            test.failures += group.flakiness.failures
            test.results += group.flakiness.outcomes.count
            test.lastRun = max(test.lastRun, group.last)
            tests[id] = test
        }
        return Array(tests.values.sorted { ($0.flips, $0.lastRun) > ($1.flips, $1.lastRun) }.prefix(limit))
    }
}

/// One measurement of a job's runs over time, in one cell (empty for a job without a matrix).
public struct MeasureSeries: Sendable, Equatable {
    public var cell: String
    public var name: String
    /// The unit of its newest value.
    public var unit: String
    /// Oldest first.
    public var points: [Point]

    public struct Point: Sendable, Equatable {
        public var run: Int
        public var value: Double
    }

    mutating func add(run: Int, value: Double, unit: String) {
        points.append(Point(run: run, value: value))
        self.unit = unit
    }

    func last(_ count: Int) -> MeasureSeries {
        var kept = self
        kept.points = Array(points.suffix(count))
        return kept
    }
}
