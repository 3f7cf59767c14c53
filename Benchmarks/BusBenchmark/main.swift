// Bus benchmark. Run: swift build -c release && .build/release/hangar-bench-bus [--messages N]
//
// A real RabbitMQ node and a real `hangar serve --no-worker --bus` on PostgreSQL (both throwaway,
// from Debian's packages), against a Python pika consumer that only parses each message's JSON and
// acknowledges it, in the same run, on the same broker:
// - messages consumed per second: N build events (default 100,000; 1% for the package a job's
//   `obs:` trigger watches, each queueing a run) waiting in the queue, consumed until it is empty;
// - message-to-run-queued p50/p99: 200 matching events published one at a time to the idle server.
import ArgumentParser
import BenchmarkSupport
import Foundation
import HangarAMQP
import HangarCore
import HangarMachine
import HangarTestSupport
import NIOCore

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench-bus")
    @Option(help: "Build events waiting in the queue.") var messages = 100_000
}

let messageCount = Options.parseOrExit().messages
let hangar = Bench.hangar
let work = try Bench.folder("bus")
try FileManager.default.createDirectory(atPath: "\(work)/projects/bench", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
try """
machines:
  default:
    image: { obs: { project: "bench:images", package: watched, repository: images, arch: x86_64 } }
jobs:
  null:
    triggers: [{ obs: default, wait-for: build }]
    tasks: [{ host: "true" }]
""".write(toFile: "\(work)/projects/bench/hangar.yml", atomically: true, encoding: .utf8)

/// A build event: every 100th for the watched package.
func event(_ index: Int) -> String {
    let package = index % 100 == 0 ? "watched" : "other-\(index % 977)"
    return
        #"{"project": "bench:images", "package": "\#(package)", "repository": "images", "arch": "x86_64", "bcnt": \#(index), "reason": "new build"}"#
}

/// Fills `queue` (bound to the build events) with `count` events.
func fill(_ url: AMQPURL, queue: String, count: Int, offset: Int = 0) async throws {
    let connection = try await AMQPConnection.connect(url)
    let channel = try await connection.openChannel()
    try await channel.exchangeDeclare("pubsub", type: "topic", passive: false, durable: true)
    try await channel.queueDeclare(queue)
    try await channel.queueBind(queue, exchange: "pubsub", routingKey: "opensuse.obs.package.build_success")
    for index in 0..<count {
        try channel.publish(ByteBuffer(string: event(offset + index)), exchange: "pubsub", routingKey: "opensuse.obs.package.build_success")
        if index % 5000 == 4999 { _ = try await channel.queueDeclare(queue, passive: true) }  // keeps the broker in step
    }
    _ = try await channel.queueDeclare(queue, passive: true)
    await connection.close()
}

/// Waits until `queue` is empty (nothing ready or unacknowledged): seconds since `start`.
func drained(_ url: AMQPURL, queue: String, since start: ContinuousClock.Instant) async throws -> Double {
    let connection = try await AMQPConnection.connect(url)
    let channel = try await connection.openChannel()
    defer { Task { await connection.close() } }
    var last = ContinuousClock.now
    while true {
        let (ready, _) = try await channel.queueDeclare(queue, passive: true)
        if ready == 0 { return (last - start).seconds }
        last = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(20))
    }
}

let rabbit = TestRabbit()
let postgres = TestPostgres()
var failed = false
do {
    let url = try AMQPURL(parsing: try await rabbit.url())
    say("hangar-bench-bus: \(messageCount) build events, 1% for a watched package; RabbitMQ and PostgreSQL on this host")

    // Baseline: pika, parsing JSON and acknowledging each message.
    let venv = "\(Bench.root)/.build/bench-venv"
    if !FileManager.default.fileExists(atPath: "\(venv)/bin/python") {
        try await Command.check(["python3", "-m", "venv", venv])
        try await Command.check(["\(venv)/bin/pip", "install", "-q", "pika==1.3.2"])
    }
    try await fill(url, queue: "baseline", count: messageCount)
    let consumer = """
        import json, sys, time, pika
        count = int(sys.argv[2]); seen = 0
        connection = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
        channel = connection.channel(); channel.basic_qos(prefetch_count=200)
        start = time.monotonic()
        for method, properties, body in channel.consume("baseline"):
            json.loads(body); channel.basic_ack(method.delivery_tag); seen += 1
            if seen == count: break
        print(time.monotonic() - start)
        """
    let pika = try await Command.check(["\(venv)/bin/python", "-c", consumer, "amqp://guest:guest@127.0.0.1:\(url.port)/%2F", "\(messageCount)"])
    let baseline = Double(messageCount) / (Double(pika.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1)
    say(String(format: "pika (JSON + ack only)       %8.0f messages/s", baseline))

    // Hangar: a real server on PostgreSQL, no worker (runs are queued, not run).
    let database = try await postgres.newDatabase()
    try await fill(url, queue: "hangar-bench", count: messageCount)
    let environment = ["HANGAR_STATE_DIR": "\(work)/state", "HANGAR_CACHE_DIR": "\(work)/cache"]
    let created = try await Command.run([hangar, "token", "create", "--role", "operator", "--database", database], environment: environment)
    let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let port = PortPicker.freePort()
    let start = ContinuousClock.now
    let server = try await Command.start(
        [
            hangar, "serve", "--projects", "\(work)/projects", "--port", "\(port)", "--no-worker", "--database", database, "--bus",
            "amqp://guest:guest@127.0.0.1:\(url.port)", "--bus-queue", "hangar-bench",
        ],
        log: "\(work)/serve.log",
        environment: environment
    )
    defer { Task { await server.stop() } }
    let seconds = try await drained(url, queue: "hangar-bench", since: start)
    let rate = Double(messageCount) / seconds
    say(String(format: "hangar serve --bus           %8.0f messages/s (%.2f × pika; goal ≥ 5,000/s and ≥ 1 ×)", rate, rate / baseline))

    // Latency: one matching event at a time, to the run it queues.
    struct Run: Decodable {
        var id: Int
        var createdAt: Double
    }
    let connection = try await AMQPConnection.connect(url)
    let channel = try await connection.openChannel()
    var latencies: [Double] = []
    var seen = Set(
        try JSONDecoder().decode(
            [Run].self,
            from: Data(
                try await Command.check(["curl", "-sf", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)/api/v1/runs?limit=1"]).utf8
            )
        ).map(\.id)
    )
    for index in 0..<200 {
        let sent = Date().timeIntervalSince1970
        try channel.publish(ByteBuffer(string: event(10_000_000 + index * 100)), exchange: "pubsub", routingKey: "opensuse.obs.package.build_success")
        while true {
            let runs = try JSONDecoder().decode(
                [Run].self,
                from: Data(
                    try await Command.check(["curl", "-sf", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)/api/v1/runs?limit=1"])
                        .utf8
                )
            )
            if let run = runs.first, !seen.contains(run.id) {
                seen.insert(run.id)
                latencies.append((run.createdAt - sent) * 1000)
                break
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
    await connection.close()
    say(
        String(
            format: "message to run queued        p50 %6.1f ms  p99 %6.1f ms (goal p99 < 50 ms)",
            percentile(latencies, 0.5),
            percentile(latencies, 0.99)
        )
    )
} catch {
    say("benchmark failed: \(error)")
    failed = true
}
try? await rabbit.destroy()
try? await postgres.destroy()
if failed { exit(1) }
