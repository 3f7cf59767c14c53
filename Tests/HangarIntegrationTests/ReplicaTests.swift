import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// Two real `hangar serve` replicas on one real PostgreSQL: they serve the same runs, and neither
/// a replica killed mid-run nor a PostgreSQL restart loses a run or runs one twice.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ReplicaTests {
    struct Run: Decodable {
        var id: Int
        var state: String
        var attempt: Int
    }

    /// Two replicas on `database`, sharing a projects folder and a token.
    struct Cluster {
        let sandbox: Sandbox
        let token: String
        let replicas: [Server]

        init(database: String, lease: Int) async throws {
            sandbox = try Sandbox("")
            let project = try sandbox.serverProject()
            try """
            machines:
              default: { image: ./none.qcow2 }
            jobs:
              quick: { tasks: [{ host: 'echo "run $HANGAR_RUN_ID attempt $HANGAR_ATTEMPT"' }] }
              slow:
                retries: 1
                tasks: [{ host: 'echo "start $HANGAR_ATTEMPT"; while [ ! -e \(sandbox.root)/release ]; do sleep 0.1; done; echo "done $HANGAR_ATTEMPT"' }]
            """.write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
            let created = try await sandbox.hangar(["token", "create", "--role", "operator", "--database", database])
            token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(created.status == 0, "\(created.stderr)")
            var replicas: [Server] = []
            for name in ["r1", "r2"] {
                let replica = try await Server(sandbox, arguments: ["--database", database, "--name", name, "--lease", "\(lease)"])
                try await replica.waitUntilUp()
                replicas.append(replica)
            }
            self.replicas = replicas
        }

        func trigger(_ job: String, on replica: Int) async throws -> Int {
            let result = try await replicas[replica].remote(["trigger", "demo/\(job)"], token: token)
            return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(result.stderr)")
        }

        func runs(on replica: Int) async throws -> [Run] {
            let result = try await replicas[replica].remote(["runs", "--json", "--limit", "500"], token: token)
            return try JSONDecoder().decode([Run].self, from: Data(result.stdout.utf8))
        }

        /// Waits until every run has ended, asking `replica` (which may fail while the database is
        /// away); fails after 3 minutes with the runs last seen and what the replicas logged.
        func waitForAll(on replica: Int, count: Int) async throws -> [Run] {
            var seen: [Run] = []
            try await eventually("\(count) runs end; last seen: \(seen); the replicas said: \(said())", within: .seconds(180)) {
                guard let runs = try? await runs(on: replica) else { return false }
                seen = runs
                return runs.count == count && runs.allSatisfy { $0.state != "queued" && $0.state != "running" }
            }
            return seen
        }

        /// The end of each replica's error log.
        func said() -> String {
            replicas.map { String(((try? String(contentsOfFile: $0.errors, encoding: .utf8)) ?? "").suffix(3000)) }.joined(separator: "\n---\n")
        }

        func log(_ id: Int) async throws -> String {
            try await replicas[1].remote(["logs", "\(id)"], token: token).stdout
        }

        func stop() {
            for replica in replicas { replica.process.terminate() }
            sandbox.remove()
        }
    }

    @Test func twoReplicasServeTheSameRunsAndALostOneLosesNothing() async throws {
        let cluster = try await Cluster(database: try await TestPostgres.shared.newDatabase(), lease: 3)
        defer { cluster.stop() }
        // Runs triggered on either replica are run by both and read on either.
        var ids: [Int] = []
        for index in 0..<12 { ids.append(try await cluster.trigger("quick", on: index % 2)) }
        let quick = try await cluster.waitForAll(on: 0, count: 12)
        #expect(quick.allSatisfy { $0.state == "passed" && $0.attempt == 1 })
        for id in ids { #expect(try await cluster.log(id).contains("run \(id) attempt 1")) }

        // Four slow runs, two on each replica; then one replica dies.
        var slow: [Int] = []
        for index in 0..<4 { slow.append(try await cluster.trigger("slow", on: index % 2)) }
        while try await cluster.runs(on: 1).filter({ $0.state == "running" }).count < 4 { try await Task.sleep(for: .milliseconds(100)) }
        cluster.replicas[0].process.signal(SIGKILL)
        await cluster.replicas[0].process.wait()
        // The slow runs wait for this file: none ended before the kill, however slow the machine.
        FileManager.default.createFile(atPath: "\(cluster.sandbox.root)/release", contents: nil)
        let all = try await cluster.waitForAll(on: 1, count: 16)
        let ended = all.filter { slow.contains($0.id) }
        #expect(ended.allSatisfy { $0.state == "passed" }, "\(ended)")
        #expect(ended.filter { $0.attempt == 2 }.count == 2, "the dead replica's two runs ran again: \(ended)")
        for id in slow {
            let log = try await cluster.log(id)
            #expect(log.components(separatedBy: "\ndone ").count == 2, "one 'done' in run \(id): \(log)")
        }
        #expect(try String(contentsOfFile: cluster.replicas[1].errors, encoding: .utf8).contains("lost its holder"))
    }

    @Test func aPostgreSQLRestartLosesAndRepeatsNothing() async throws {
        let postgres = TestPostgres()
        let cluster = try await Cluster(database: try await postgres.newDatabase(), lease: 15)
        defer {
            cluster.stop()
            Task { try? await postgres.destroy() }
        }
        for index in 0..<4 { _ = try await cluster.trigger("slow", on: index % 2) }
        for index in 0..<8 { _ = try await cluster.trigger("quick", on: index % 2) }
        try await eventually("two runs start; the replicas said: \(cluster.said())") {
            try await cluster.runs(on: 0).filter { $0.state == "running" }.count >= 2
        }
        try await postgres.stop()
        try await Task.sleep(for: .seconds(3))
        try await postgres.start()
        FileManager.default.createFile(atPath: "\(cluster.sandbox.root)/release", contents: nil)
        let all = try await cluster.waitForAll(on: 0, count: 12)
        #expect(all.allSatisfy { $0.state == "passed" && $0.attempt == 1 }, "\(all)")
        for run in all {
            let log = try await cluster.log(run.id)
            #expect(!log.contains("start") || log.components(separatedBy: "\ndone ").count == 2, "run \(run.id): \(log)")
        }
        for replica in cluster.replicas { #expect(replica.process.isRunning) }
    }
}
