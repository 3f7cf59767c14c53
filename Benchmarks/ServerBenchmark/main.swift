// Server benchmark. Run: swift run -c release hangar-bench-server [--runs N] [--bursts N] [--database postgres://…]
//
// The real server (HTTP on 127.0.0.1) with its embedded worker, and null jobs (one task,
// `host: "true"`, no VM), printed side by side for SQLite, PostgreSQL with one replica and
// PostgreSQL with two replicas (a throwaway cluster from Debian's postgresql unless --database):
// 1. trigger-to-task-start latency, one run at a time on an idle server (p50/p99);
// 2. null runs per second with a burst of runs queued at once (on SQLite `bursts` times in a row,
//    default 10: Foundation's Process crashed the server about once in four such bursts), against
//    the same host spawning `sh -c true` back to back (the floor: each null run starts one shell);
// 3. spawns per second of Hangar's runner (swift-subprocess) against Foundation's, from four tasks;
// 4. GET /api/v1/runs (a page of 50) p99 with 100,000 runs stored, against GET /healthz p99;
// 5. statements per null run on PostgreSQL (issue 25: goal ≤ 6), counted in the server's own
//    statement log (`log_statement = all` on a throwaway cluster), idle polling subtracted, with the
//    kinds of statement that cost most. `--statements-only` runs just this one; with `--at-most N`
//    it fails when a run takes more (CI runs it so, so a change that adds statements is seen).
import ArgumentParser
import AsyncHTTPClient
import BenchmarkSupport
import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import HangarTestSupport
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench-server")
    @Option(help: "Null runs per burst.") var runs = 1000
    @Option(help: "Bursts in a row on SQLite.") var bursts = 10
    @Option(help: "A PostgreSQL to use instead of a throwaway cluster (postgres://…).") var database: String?
    @Flag(help: "Only count the statements of a null run on PostgreSQL.") var statementsOnly = false
    @Option(help: "With --statements-only: fail when a null run takes more statements than this.") var atMost: Double?
}

let options = Options.parseOrExit()
let (runs, bursts) = (options.runs, options.bursts)
let work = try Bench.folder("server")
try FileManager.default.createDirectory(atPath: "\(work)/projects/bench", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
try "machines:\n  default: { image: ./none.qcow2 }\njobs:\n  null: { tasks: [{ host: \"true\" }] }\n"
    .write(toFile: "\(work)/projects/bench/hangar.yml", atomically: true, encoding: .utf8)

/// Programs started per second by `tasks` tasks starting `each` one after another.
func spawnRate(tasks: Int, each: Int, _ spawn: @escaping @Sendable () async throws -> Void) async throws -> Double {
    let seconds = try await timed {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks { group.addTask { for _ in 0..<each { try await spawn() } } }
            try await group.waitForAll()
        }
    }
    return Double(tasks * each) / seconds
}

/// Servers (replicas) on one database, each with its own store, started in this process.
struct Replicas {
    let stores: [RunStore]
    let bases: [String]
    let token: String
    let tasks: [Task<Void, any Error>]

    init(_ location: DatabaseLocation, count: Int) async throws {
        var stores: [RunStore] = []
        var bases: [String] = []
        var tasks: [Task<Void, any Error>] = []
        // A state folder and a name of its own for each server: an embedded worker's folder is locked by it,
        // its name is taken while it seems online, and the SQLite servers still run beside the others.
        let setup = UUID().uuidString.prefix(8)
        for index in 0..<count {
            let store = try await RunStore.open(location)
            var configuration = HangarServer.Configuration(
                projects: "\(work)/projects",
                paths: HangarPaths(cache: "\(work)/cache", state: "\(work)/state-\(setup)-\(index)")
            )
            configuration.port = PortPicker.freePort()
            // Null runs wait on the database, not the CPU: four at once on every setup, the same for all.
            configuration.capacity = 4
            configuration.identity = "bench-\(setup)-\(index)"
            configuration.logger.logLevel = .critical
            let application = HangarServer.application(configuration, store: store)
            tasks.append(
                Task {
                    do {
                        try await application.runService(gracefulShutdownSignals: [])
                    } catch {
                        // Said: the wait for its /healthz below only times out.
                        say("server \(index) stopped: \(error)")
                        throw error
                    }
                }
            )
            stores.append(store)
            bases.append("http://127.0.0.1:\(configuration.port)")
        }
        (self.stores, self.bases, self.tasks) = (stores, bases, tasks)
        token = try await stores[0].createToken(name: "bench-\(UUID().uuidString.prefix(6))", role: .operator).secret
        for base in bases {
            let deadline = ContinuousClock.now + .seconds(30)
            while (try? await request(base, .GET, "/healthz")) == nil {
                guard ContinuousClock.now < deadline else { throw HangarError(.benchSetUp, "the server at \(base) did not come up") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    func request(_ base: String, _ method: HTTPMethod, _ path: String) async throws -> String {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status.code < 300 else { throw HTTPError(.init(code: Int(response.status.code)), message: body) }
        return body
    }

    /// Queues a null run through replica `index` (round robin).
    func trigger(_ index: Int) async throws -> Int {
        let body = try await request(bases[index % bases.count], .POST, "/api/v1/projects/bench/jobs/null/runs")
        return try JSONDecoder().decode(API.Run.self, from: Data(body.utf8)).id
    }

    func waitForIdle() async throws {
        while try await stores[0].count(state: .queued) + stores[0].count(state: .running) > 0 { try await Task.sleep(for: .milliseconds(2)) }
    }

    /// Trigger-to-task-start latencies (ms) of `count` runs one at a time.
    func latencies(_ count: Int) async throws -> [Double] {
        var latencies: [Double] = []
        for index in 0..<count {
            let id = try await trigger(index)
            try await waitForIdle()
            let run = try await stores[0].run(id)!
            let task = try await stores[0].tasks(run: id).first!
            latencies.append((task.startedAt - run.createdAt) * 1000)
        }
        return latencies
    }

    /// Null runs per second for a burst of `count` queued by 8 tasks at once.
    func burst(_ count: Int) async throws -> Double {
        let seconds = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 { group.addTask { for index in 0..<(count / 8) { _ = try await trigger(worker + index) } } }
                try await group.waitForAll()
            }
            try await waitForIdle()
        }
        return Double(count / 8 * 8) / seconds
    }

    func stop() async throws {
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
        for store in stores { try await store.close() }
    }
}

/// One line of the side-by-side table.
func row(_ label: String, _ replicas: Replicas, bursts: Int) async throws -> (rate: Double, line: String) {
    let latencies = try await replicas.latencies(200)
    var rates: [Double] = []
    for _ in 0..<bursts { rates.append(try await replicas.burst(runs)) }
    let passed = try await replicas.stores[0].count(state: .passed)
    let rate = percentile(rates, 0.5)
    let line =
        label.padding(toLength: 24, withPad: " ", startingAt: 0)
        + String(
            format: " %8.0f runs/s  start p50 %6.1f ms  p99 %6.1f ms  (%d bursts, %d runs passed)",
            rate,
            percentile(latencies, 0.5),
            percentile(latencies, 0.99),
            bursts,
            passed
        )
    return (rate, line)
}

/// Statements per null run on the throwaway PostgreSQL `cluster`, with the costliest kinds.
func statementsPerRun(_ cluster: TestPostgres, runs count: Int = 100) async throws -> (perRun: Double, text: String) {
    let url = try await cluster.newDatabase()
    let log = try await StatementLog.enable(url: url, log: "\(try await cluster.cluster().folder)/log")
    func statements(after offset: Int) throws -> (all: [String], end: Int) { try log.statements(after: offset) }
    let server = try await Replicas(try DatabaseLocation(parsing: url), count: 1)
    try await Task.sleep(for: .seconds(2))
    let idleStart = try statements(after: 0).end
    let idleSeconds = 5.0
    try await Task.sleep(for: .seconds(idleSeconds))
    let (idle, busyStart) = try statements(after: idleStart)
    let window = 8.0
    let busySeconds = try await timed {
        for index in 0..<count { _ = try await server.trigger(index) }
        try await Task.sleep(for: .seconds(window))
    }
    let busy = try statements(after: busyStart).all
    let passed = try await server.stores[0].count(state: .passed)
    try await server.stop()
    guard passed == count else { throw HangarError(.testTimeout, "only \(passed) of \(count) null runs passed within \(window) s") }
    let idleRate = Double(idle.count) / idleSeconds
    let perRun = (Double(busy.count) - idleRate * busySeconds) / Double(count)
    let text =
        String(
            format: "statements per null run on PostgreSQL: %.1f (goal <= 6; %d statements for %d runs, idle %.1f/s subtracted)\n",
            perRun,
            busy.count,
            count,
            idleRate
        ) + StatementLog.kinds(busy, per: Double(count)) + "\nidle, per second:\n" + StatementLog.kinds(idle, per: idleSeconds)
    return (perRun, text)
}

var postgres: TestPostgres?
if options.statementsOnly {
    let cluster = TestPostgres()
    var failed = false
    do {
        let (perRun, text) = try await statementsPerRun(cluster)
        say(text)
        if let limit = options.atMost, perRun > limit {
            say(String(format: "a null run takes %.1f statements, more than %.1f: what did the change add? (the kinds above)", perRun, limit))
            failed = true
        }
    } catch {
        say("benchmark failed: \(error)")
        failed = options.atMost != nil
    }
    try? await cluster.destroy()
    if failed {
        // exit skips the folder's `defer`.
        try? FileManager.default.removeItem(atPath: work)
        exit(1)
    }
} else {
    do {
        // 3. The process runner against Foundation's.
        var ours: [Double] = []
        var foundation: [Double] = []
        for _ in 0..<3 {
            ours.append(try await spawnRate(tasks: 4, each: 100) { _ = try await Command.run(["true"]) })
            foundation.append(try await spawnRate(tasks: 4, each: 100) { try FoundationSpawn.run("/bin/true") })
        }
        say(
            String(
                format: "spawns from 4 tasks: Hangar's runner %.0f/s vs Foundation's %.0f/s; ratio %.2f (goal: >= 1.00)",
                percentile(ours, 0.5),
                percentile(foundation, 0.5),
                percentile(ours, 0.5) / percentile(foundation, 0.5)
            )
        )
        let shell = 200 / (try await timed { for _ in 0..<200 { _ = try await Command.run(["sh", "-c", "true"]) } })

        // 1 and 2, side by side.
        let postgresURL: String
        if let given = options.database {
            postgresURL = given
        } else {
            let cluster = TestPostgres()
            postgres = cluster
            postgresURL = try await cluster.newDatabase()
        }
        let sqlite = try await Replicas(.sqlite(path: "\(work)/hangar.db"), count: 1)
        let sqliteRow = try await row("SQLite", sqlite, bursts: bursts)
        say(sqliteRow.line)
        let pgLocation = try DatabaseLocation(parsing: postgresURL)
        let one = try await Replicas(pgLocation, count: 1)
        let oneRow = try await row("PostgreSQL, 1 replica", one, bursts: 3)
        say(oneRow.line)
        try await one.stop()
        let two = try await Replicas(pgLocation, count: 2)
        let twoRow = try await row("PostgreSQL, 2 replicas", two, bursts: 3)
        say(twoRow.line)
        try await two.stop()
        say(
            String(
                format: "sh -c true back to back: %.0f spawns/s; SQLite %.2f, PostgreSQL %.2f and %.2f of it; 2 replicas / 1: %.2f "
                    + "(goals: >= 100 runs/s SQLite, >= 200 runs/s and p99 < 50 ms PostgreSQL, 2 replicas >= 1)",
                shell,
                sqliteRow.rate / shell,
                oneRow.rate / shell,
                twoRow.rate / shell,
                twoRow.rate / oneRow.rate
            )
        )

        // 4. Listing with 100,000 runs stored.
        let store = sqlite.stores[0]
        let existing = try await store.runs(limit: 1).first?.id ?? 0
        for _ in existing..<100_000 { _ = try await store.enqueue(project: "old", job: "null", skipped: "filler") }
        var lists: [Double] = []
        var health: [Double] = []
        for index in 0..<1000 {
            let before = Int.random(in: 100...100_000)
            let path = index % 2 == 0 ? "/api/v1/runs?limit=50&before=\(before)" : "/api/v1/runs?limit=50&state=skipped&before=\(before)"
            lists.append(try await timed { _ = try await sqlite.request(sqlite.bases[0], .GET, path) } * 1000)
            health.append(try await timed { _ = try await sqlite.request(sqlite.bases[0], .GET, "/healthz") } * 1000)
        }
        say(
            String(
                format: "GET /api/v1/runs with 100k runs: p50 %.2f ms, p99 %.2f ms vs GET /healthz p99 %.2f ms; ratio %.2f (goal: p99 < 50 ms)",
                percentile(lists, 0.5),
                percentile(lists, 0.99),
                percentile(health, 0.99),
                percentile(lists, 0.99) / percentile(health, 0.99)
            )
        )
        try await sqlite.stop()
        if let postgres { say(try await statementsPerRun(postgres).text) }
    } catch {
        say("benchmark failed: \(error)")
    }
}
try? await postgres?.destroy()
