// Cluster benchmark. Run: swift build -c release && .build/release/hangar-bench-cluster [--workers N] [--runs N]
//
// A real coordinator (`hangar serve --no-worker`) on PostgreSQL (a throwaway cluster from Debian's
// postgresql) and N real `hangar worker` processes (default 50, two slots each) running null jobs
// (`host: "true"`), against the same figures for one `hangar serve` on SQLite with its embedded
// worker, in the same run:
// - claims per second: runs started and ended per second for a burst of queued runs;
// - trigger-to-task-start p50/p99, one run at a time on the idle cluster (the long polls answer at once);
// - the coordinator's CPU time and peak memory over the whole run;
// - on PostgreSQL, the statements per second the idle cluster sends the database (all workers
//   long-polling and beating; counted in its statement log), with their kinds. `--idle-only` runs
//   just that.
import ArgumentParser
import BenchmarkSupport
import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench-cluster")
    @Option(help: "Worker processes, two slots each.") var workers = 50
    @Option(help: "Null runs in the burst.") var runs = 10_000
    @Flag(help: "Only count the idle cluster's statements on PostgreSQL.") var idleOnly = false
}

let options = Options.parseOrExit()
let (workerCount, runCount) = (options.workers, options.runs)
let root = Bench.root
let hangar = Bench.hangar
let work = try Bench.folder("cluster")
try FileManager.default.createDirectory(atPath: "\(work)/projects/bench", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
try "machines:\n  default: { image: ./none.qcow2 }\njobs:\n  null: { tasks: [{ host: \"true\" }] }\n"
    .write(toFile: "\(work)/projects/bench/hangar.yml", atomically: true, encoding: .utf8)

/// A process's CPU seconds (user + system) and peak resident memory (MiB), from /proc.
func usage(_ pid: Int32) -> (cpu: Double, peakMiB: Double) {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    let ticks = fields.count > 13 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
    return (ticks / Double(sysconf(Int32(_SC_CLK_TCK))), peak / 1024)
}

/// One setup: a coordinator process (and its workers), a token, and how to reach it.
struct Setup {
    let label: String
    let coordinator: BackgroundProcess
    let workers: [BackgroundProcess]
    let base: String
    let token: String

    static func start(label: String, database: String?, workers: Int) async throws -> Setup {
        let state = "\(work)/\(label.filter(\.isLetter))"
        let environment = ["HANGAR_STATE_DIR": state, "HANGAR_CACHE_DIR": "\(work)/cache"]
        let databaseArguments = database.map { ["--database", $0] } ?? []
        let operatorToken = try await token("operator", databaseArguments, environment)
        let port = PortPicker.freePort()
        let coordinator = try await Command.start(
            [hangar, "serve", "--projects", "\(work)/projects", "--port", "\(port)", "--capacity", "2", "--name", "coordinator"] + databaseArguments
                + (workers > 0 ? ["--no-worker"] : []),
            log: "\(state).log",
            environment: environment
        )
        let base = "http://127.0.0.1:\(port)"
        var started: [BackgroundProcess] = []
        if workers > 0 {
            let workerToken = try await token("worker", databaseArguments, environment)
            for index in 0..<workers {
                started.append(
                    try await Command.start(
                        [hangar, "worker", "--server", base, "--token", workerToken, "--name", "w\(index)", "--slots", "2"],
                        log: "\(state)-w\(index).log",
                        environment: ["HANGAR_STATE_DIR": "\(state)-w\(index)", "HANGAR_CACHE_DIR": "\(work)/cache"]
                    )
                )
            }
        }
        let setup = Setup(
            label: label,
            coordinator: coordinator,
            workers: started,
            base: base,
            token: operatorToken.trimmingCharacters(in: .whitespacesAndNewlines)
        )
        while (try? await setup.get("/healthz")) == nil { try await Task.sleep(for: .milliseconds(100)) }
        return setup
    }

    /// A new token of `role`.
    static func token(_ role: String, _ database: [String], _ environment: [String: String]) async throws -> String {
        let result = try await Command.run([hangar, "token", "create", "--role", role] + database, environment: environment)
        guard result.status == 0 else { throw HangarError(.benchSetUp, "cannot create a token: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func get(_ path: String) async throws -> String {
        try await Command.check(["curl", "-sf", "-H", "Authorization: Bearer \(token)", base + path])
    }

    /// Trigger-to-task-start latencies (ms) of `count` runs, one at a time.
    func latencies(_ count: Int) async throws -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<count {
            let result = try await Command.run(["python3", "\(root)/Tests/Fixtures/burst.py", base, token, "bench/null", "1", "--timings"])
            latencies += result.stdout.split(separator: "\n").compactMap { Double($0) }
        }
        return latencies
    }

    /// Runs per second for `count` runs queued at once.
    func burst(_ count: Int) async throws -> Double {
        let start = ContinuousClock.now
        let result = try await Command.run(["python3", "\(root)/Tests/Fixtures/burst.py", base, token, "bench/null", "\(count)"])
        guard result.status == 0, result.stdout.contains("\"passed\": \(count)") else {
            throw HangarError(.benchSetUp, "the burst did not pass: \(result.stdout) \(result.stderr)")
        }
        return Double(count) / (ContinuousClock.now - start).seconds
    }

    func stop() async {
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { await worker.stop() }
        await coordinator.stop()
    }
}

var postgres: TestPostgres?
var failed = false
do {
    guard FileManager.default.isExecutableFile(atPath: hangar) else { throw HangarError(.benchSetUp, "build first: swift build -c release") }
    let cluster = TestPostgres()
    postgres = cluster
    let database = try await cluster.newDatabase()
    let log = try await StatementLog.enable(url: database, log: "\(try await cluster.cluster().folder)/log")
    var lines: [String] = []
    let setups = [("SQLite, embedded worker", nil as String?, 0), ("PostgreSQL, \(workerCount) workers", database, workerCount)]
    for (label, url, workers) in setups where !options.idleOnly || url != nil {
        let setup = try await Setup.start(label: label, database: url, workers: workers)
        if url != nil {
            // Every worker registered and long-polling; then ten seconds of nothing to do.
            try await Task.sleep(for: .seconds(10))
            let start = try log.statements(after: 0).end
            try await Task.sleep(for: .seconds(10))
            let idle = try log.statements(after: start).all
            say(
                String(format: "idle, %d workers: %.1f statements/s (goal < 10)\n", workers, Double(idle.count) / 10)
                    + StatementLog.kinds(idle, per: 10)
            )
            if options.idleOnly {
                await setup.stop()
                continue
            }
        }
        let latencies = try await setup.latencies(100)
        let rate = try await setup.burst(runCount)
        let (cpu, peak) = usage(setup.coordinator.pid)
        lines.append(
            label.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(
                    format: " %6.0f runs/s  start p50 %6.1f ms  p99 %6.1f ms  coordinator %6.1f s CPU, peak %5.0f MiB",
                    rate,
                    percentile(latencies, 0.5),
                    percentile(latencies, 0.99),
                    cpu,
                    peak
                )
        )
        say(lines.last!)
        await setup.stop()
    }
    say("(\(runCount) null runs each; goals: >= 500 claims/s, p99 < 50 ms with \(workerCount) idle workers long-polling, coordinator < 200 MiB)")
} catch {
    say("benchmark failed: \(error)")
    failed = true
}
try? await postgres?.destroy()
if failed { exit(1) }
