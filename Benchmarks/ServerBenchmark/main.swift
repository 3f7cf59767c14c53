// Benchmark for issue 3. Run: swift run -c release hangar-bench-server [runs]
//
// The real server (HTTP on 127.0.0.1) with its embedded worker and a SQLite store, and null jobs
// (one task, `host: "true"`, no VM):
// 1. trigger-to-task-start latency, one run at a time on an idle server (p50/p99);
// 2. null runs per second with a burst of runs queued at once, against the same host spawning
//    `sh -c true` back to back (the floor: each null run starts one shell);
// 3. GET /api/v1/runs (a page of 50) p99 with 100,000 runs stored, against GET /healthz p99.
import AsyncHTTPClient
import Foundation
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1000
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
    let run = try JSONDecoder().decode(StoredRun.self, from: Data(try await request(.POST, "/api/v1/projects/bench/jobs/null/runs").utf8))
    return run.id
}

func waitForIdle() async throws {
    while try await store.count(state: "queued") + store.count(state: "running") > 0 { try await Task.sleep(for: .milliseconds(2)) }
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
    say(String(format: "trigger-to-task-start latency: p50 %.1f ms, p99 %.1f ms (goal: p99 < 100 ms)", percentile(latencies, 0.5), percentile(latencies, 0.99)))

    // 2. Throughput: a burst of runs, against spawning the same shell back to back.
    let burst = try await timed {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<(runs / 8) { _ = try await trigger() } } }
            try await group.waitForAll()
        }
        try await waitForIdle()
    }
    let spawns = try await timed { for _ in 0..<200 { _ = try await Command.run(["sh", "-c", "true"]) } }
    let runRate = Double(runs / 8 * 8) / burst
    let spawnRate = 200 / spawns
    let passed = try await store.count(state: "passed")
    say(String(format: "null runs: %.0f runs/s (%d runs passed, capacity %d) vs sh -c true: %.0f spawns/s; ratio %.2f (goal: >= 100 runs/s)",
        runRate, passed, configuration.capacity, spawnRate, runRate / spawnRate))

    // 3. Listing with 100,000 runs stored.
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
    say(String(format: "GET /api/v1/runs with 100k runs: p50 %.2f ms, p99 %.2f ms vs GET /healthz p99 %.2f ms; ratio %.2f (goal: p99 < 50 ms)",
        percentile(lists, 0.5), percentile(lists, 0.99), percentile(health, 0.99), percentile(lists, 0.99) / percentile(health, 0.99)))
} catch {
    say("benchmark failed: \(error)")
}
server.cancel()
_ = await server.result
try await store.close()
