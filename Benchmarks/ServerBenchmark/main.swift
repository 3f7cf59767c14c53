// Server benchmark. Run: swift run -c release hangar-bench-server [runs] [bursts]
//
// The real server (HTTP on 127.0.0.1) with its embedded worker and a SQLite store, and null jobs
// (one task, `host: "true"`, no VM):
// 1. trigger-to-task-start latency, one run at a time on an idle server (p50/p99);
// 2. null runs per second with a burst of runs queued at once (`bursts` times in a row, default
//    10: Foundation's Process crashed the server about once in four such bursts), against the same
//    host spawning `sh -c true` back to back (the floor: each null run starts one shell);
// 3. spawns per second of Hangar's runner (swift-subprocess) against Foundation's Process, from
//    four tasks at once, the same program, alternated rounds;
// 4. GET /api/v1/runs (a page of 50) p99 with 100,000 runs stored, against GET /healthz p99.
import AsyncHTTPClient
import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1000
let bursts = CommandLine.arguments.dropFirst(2).first.flatMap(Int.init) ?? 10
let work = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-bench-server-\(getpid())").path
try FileManager.default.createDirectory(atPath: "\(work)/projects/bench", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
try "machines:\n  default: { image: ./none.qcow2 }\njobs:\n  null: { tasks: [{ host: \"true\" }] }\n"
    .write(toFile: "\(work)/projects/bench/hangar.yml", atomically: true, encoding: .utf8)

let store = try await RunStore.openSQLite(path: "\(work)/hangar.db")
let token = try await store.createToken(name: "bench", role: .operator).secret
var configuration = HangarServer.Configuration(projects: "\(work)/projects", paths: HangarPaths(cache: "\(work)/cache", state: "\(work)/state"))
configuration.port = PortPicker.freePort()
configuration.logger.logLevel = .critical
let base = "http://127.0.0.1:\(configuration.port)"
let server = Task { try await HangarServer.application(configuration, store: store).runService(gracefulShutdownSignals: []) }

/// Prints at once (stdout to a pipe is otherwise buffered until exit).
func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

func request(_ method: HTTPMethod, _ path: String) async throws -> String {
    var request = HTTPClientRequest(url: base + path)
    request.method = method
    request.headers.add(name: "Authorization", value: "Bearer \(token)")
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
    guard response.status.code < 300 else { throw HTTPError(.init(code: Int(response.status.code)), message: body) }
    return body
}

func trigger() async throws -> Int {
    let run = try JSONDecoder().decode(API.Run.self, from: Data(try await request(.POST, "/api/v1/projects/bench/jobs/null/runs").utf8))
    return run.id
}

func waitForIdle() async throws {
    while try await store.count(state: .queued) + store.count(state: .running) > 0 { try await Task.sleep(for: .milliseconds(2)) }
}

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

func timed(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).seconds
}

do {
    while (try? await request(.GET, "/healthz")) == nil { try await Task.sleep(for: .milliseconds(50)) }

    // 1. Latency on an idle server.
    var latencies: [Double] = []
    for _ in 0..<200 {
        let id = try await trigger()
        try await waitForIdle()
        let run = try await store.run(id)!
        let task = try await store.tasks(run: id).first!
        latencies.append((task.startedAt - run.createdAt) * 1000)
    }
    say(
        String(
            format: "trigger-to-task-start latency: p50 %.1f ms, p99 %.1f ms (goal: p99 < 100 ms)",
            percentile(latencies, 0.5),
            percentile(latencies, 0.99)
        )
    )

    // 2. Throughput: bursts of runs, against spawning the same shell back to back.
    var rates: [Double] = []
    for _ in 0..<bursts {
        let burst = try await timed {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { for _ in 0..<(runs / 8) { _ = try await trigger() } } }
                try await group.waitForAll()
            }
            try await waitForIdle()
        }
        rates.append(Double(runs / 8 * 8) / burst)
    }
    let spawns = try await timed { for _ in 0..<200 { _ = try await Command.run(["sh", "-c", "true"]) } }
    let shellRate = 200 / spawns
    let passed = try await store.count(state: .passed)
    say(
        String(
            format:
                "null runs: %.0f runs/s median of %d bursts (%d runs passed, capacity %d) vs sh -c true: %.0f spawns/s; ratio %.2f (goal: >= 100 runs/s)",
            percentile(rates, 0.5),
            bursts,
            passed,
            configuration.capacity,
            shellRate,
            percentile(rates, 0.5) / shellRate
        )
    )

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

    // 4. Listing with 100,000 runs stored.
    let existing = try await store.runs(limit: 1).first?.id ?? 0
    for _ in existing..<100_000 { _ = try await store.enqueue(project: "old", job: "null") }
    var lists: [Double] = []
    var health: [Double] = []
    for index in 0..<1000 {
        let before = Int.random(in: 100...100_000)
        let path = index % 2 == 0 ? "/api/v1/runs?limit=50&before=\(before)" : "/api/v1/runs?limit=50&state=queued&before=\(before)"
        lists.append(try await timed { _ = try await request(.GET, path) } * 1000)
        health.append(try await timed { _ = try await request(.GET, "/healthz") } * 1000)
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
} catch {
    say("benchmark failed: \(error)")
}
server.cancel()
_ = await server.result
try await store.close()
