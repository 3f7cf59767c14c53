import Foundation
public import HangarCore
import SQLKit

/// A job's run waiting for an OBS repository to be published: one run, or a matrix job's cells.
public struct ParkedRun: Sendable, Equatable {
    public var repository: OBSRepository
    public var runs: [NewRun]

    public init(repository: OBSRepository, runs: [NewRun]) {
        self.repository = repository
        self.runs = runs
    }
}

extension RunStore {
    /// Records bus message `id` (what it came to: `result`), queues `runs`, parks `park` (a job
    /// already waiting for the same repository waits once), and when `published` names a
    /// repository, queues the runs parked for it — all in one transaction, so the message is
    /// acknowledged only once its runs are stored, and its redelivery is a replay: nil, nothing done.
    public func recordBusMessage(
        _ id: String,
        routingKey: String,
        result: String,
        runs: [NewRun],
        park: [ParkedRun] = [],
        published: OBSRepository? = nil
    ) async throws -> [StoredRun]? {
        let now = now()
        return try await connections.transaction { [self] database -> [StoredRun]? in
            let recorded = try await database.raw(
                """
                INSERT INTO bus_messages (id, routing_key, result, received_at) VALUES (\(bind: id), \(bind: routingKey), \(bind: result), \(bind: now))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """
            ).first()
            guard recorded != nil else { return nil }
            var queued = try await insert(into: database, runs)
            for parked in park {
                guard let first = parked.runs.first else { continue }
                let runs = String(decoding: try JSONEncoder().encode(parked.runs), as: UTF8.self)
                try await database.raw(
                    """
                    INSERT INTO parked_runs (project, job, obs_project, repository, run, parked_at)
                    VALUES (\(bind: first.project), \(bind: first.job), \(bind: parked.repository.project), \(bind: parked.repository.repository),
                        \(bind: runs), \(bind: now))
                    ON CONFLICT (project, job, obs_project, repository) DO NOTHING
                    """
                ).run()
            }
            if let published {
                let rows = try await database.raw(
                    """
                    DELETE FROM parked_runs WHERE obs_project = \(bind: published.project) AND repository = \(bind: published.repository) RETURNING run
                    """
                ).all()
                queued += try await insert(into: database, try rows.flatMap(Self.parkedRuns))
            }
            return queued
        }
    }

    /// True when runs wait for `repository` to be published.
    public func hasParkedRuns(for repository: OBSRepository) async throws -> Bool {
        try await connections.withDatabase { database in
            try await database.raw(
                "SELECT 1 AS one FROM parked_runs WHERE obs_project = \(bind: repository.project) AND repository = \(bind: repository.repository) LIMIT 1"
            ).first() != nil
        }
    }

    /// The runs waiting for their repository to be published.
    public func parkedRuns() async throws -> [ParkedRun] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT obs_project, repository, run FROM parked_runs ORDER BY parked_at").all().map { row in
                ParkedRun(
                    repository: OBSRepository(
                        project: try row.decode(column: "obs_project", as: String.self),
                        repository: try row.decode(column: "repository", as: String.self)
                    ),
                    runs: try Self.parkedRuns(row)
                )
            }
        }
    }

    /// The runs a `parked_runs` row holds: a job's runs (a row parked before matrix jobs holds one run).
    private static func parkedRuns(_ row: any SQLRow) throws -> [NewRun] {
        let json = Data(try row.decode(column: "run", as: String.self).utf8)
        if let runs = try? JSONDecoder().decode([NewRun].self, from: json) { return runs }
        return [try JSONDecoder().decode(NewRun.self, from: json)]
    }
}
