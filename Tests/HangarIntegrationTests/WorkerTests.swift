import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// Real `hangar worker` processes, each with its own state folder, taking runs from a real
/// coordinator (`hangar serve --no-worker`): VM runs on a worker, worker tokens, placement, and
/// faults — a worker or the coordinator killed mid-run, a cancel — each checked for nothing lost
/// and nothing run twice.
@Suite(.serialized, .timeLimit(.minutes(5))) struct WorkerTests {
    struct Run: Decodable {
        struct Failure: Decodable, Equatable {
            var code: String
            var kind: String
            var task: Int?
        }

        var id: Int
        var state: String
        var attempt: Int
        var reason: String?
        var failure: Failure?
    }

    struct Worker: Decodable {
        struct Status: Decodable {
            var name: String
            var labels: [String]
        }

        var status: Status
        var online: Bool
        var runs: [Int]
    }

    /// A coordinator without an embedded worker, its tokens, and its project.
    struct Site {
        let sandbox: Sandbox
        let coordinator: Server
        let token: String
        let workerToken: String

        /// `projects`: more projects by name (their hangar.yml), besides `demo`.
        init(database: String? = nil, lease: Int = 3, serve: [String] = [], projects: [String: String] = [:]) async throws {
            let guest = try TestGuest.require()
            sandbox = try Sandbox("")
            let project = try sandbox.serverProject()
            try guestYAML(
                guest,
                jobs: """
                      vm:
                        retries: 1
                        tasks:
                          - run: echo "attempt $HANGAR_ATTEMPT from $(uname -s) in the guest"; sleep 6; echo "done $HANGAR_ATTEMPT"
                      count:
                        tasks: [{ host: 'for i in $(seq 1 30); do echo "line $i"; sleep 0.2; done' }]
                      slow:
                        tasks: [{ host: "echo waiting; sleep 60" }]
                      ticks:
                        tasks: [{ host: 'for i in $(seq 1 20); do echo "tick $HANGAR_ATTEMPT $i"; sleep 0.5; done' }]
                      null:
                        tasks: [{ host: "true" }]
                      fails:
                        tasks: [{ host: "true" }, { host: "exit 3" }]
                      kvm:
                        requires: [kvm]
                        tasks: [{ host: "true" }]
                    """
            ).write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
            for (name, yaml) in projects {
                try FileManager.default.createDirectory(atPath: "\(sandbox.root)/projects/\(name)", withIntermediateDirectories: true)
                try yaml.write(toFile: "\(sandbox.root)/projects/\(name)/hangar.yml", atomically: true, encoding: .utf8)
            }
            let database = database.map { ["--database", $0] } ?? []
            token = try await Self.token(sandbox, role: "operator", database: database)
            workerToken = try await Self.token(sandbox, role: "worker", database: database)
            coordinator = try await Server(sandbox, arguments: ["--name", "coordinator", "--no-worker", "--lease", "\(lease)"] + database + serve)
            try await coordinator.waitUntilUp()
        }

        static func token(_ sandbox: Sandbox, role: String, database: [String]) async throws -> String {
            let created = try await sandbox.hangar(["token", "create", "--role", role, "--name", role] + database)
            #expect(created.status == 0, "\(created.stderr)")
            return created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func worker(_ name: String, slots: Int = 1, labels: String = "", cache: String? = nil, more: [String] = []) async throws -> WorkerProcess {
            try await WorkerProcess(
                sandbox,
                name: name,
                server: coordinator.url,
                token: workerToken,
                arguments: ["--slots", "\(slots)", "--labels", labels] + more,
                cache: cache
            )
        }

        func trigger(_ job: String) async throws -> Int {
            let result = try await coordinator.remote(["trigger", "demo/\(job)"], token: token)
            return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(result.stderr)")
        }

        func run(_ id: Int) async throws -> Run {
            let answer = try await coordinator.call("GET", "/api/v1/runs/\(id)", token: token)
            return try JSONDecoder().decode(Run.self, from: Data(answer.body.utf8))
        }

        func workers() async throws -> [Worker] {
            try JSONDecoder().decode([Worker].self, from: Data(try await coordinator.call("GET", "/api/v1/workers", token: token).body.utf8))
        }

        func waitUntil(_ id: Int, _ condition: (Run) -> Bool) async throws -> Run {
            while true {
                let run = try await run(id)
                if condition(run) { return run }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        func log(_ id: Int) async throws -> String { try await coordinator.remote(["logs", "\(id)"], token: token).stdout }

        /// Stops the workers, then the coordinator, each within its grace.
        func stop(_ workers: [WorkerProcess]) {
            for worker in workers { worker.process.terminate() }
            coordinator.process.terminate()
        }
    }

    @Test func aVMRunsOnAWorkerAndWorkerTokensReachOnlyWorkerRoutes() async throws {
        let site = try await Site()
        defer { site.sandbox.remove() }
        let worker = try await site.worker("w1")
        defer { site.stop([worker]) }
        // Triggered, followed live, run on the worker's host: passed.
        let followed = try await site.coordinator.remote(["trigger", "demo/vm", "-f"], token: site.token)
        #expect(followed.status == 0, "\(followed.stderr)\n\(worker.log)")
        #expect(followed.stdout.contains("attempt 1 from Linux in the guest"))
        let workers = try await site.workers()
        #expect(workers.map(\.status.name) == ["w1"])
        #expect(workers.first?.online == true)
        #expect(workers.first?.status.labels.contains { $0.hasPrefix("arch=") } == true)
        #expect(worker.qemuProcesses().isEmpty)
        // A worker token reaches nothing but the worker routes.
        #expect(try await site.coordinator.call("GET", "/api/v1/runs", token: site.workerToken).status == 403)
        #expect(try await site.coordinator.call("POST", "/api/v1/projects/demo/jobs/null/runs", token: site.workerToken).status == 403)
        // A failure comes back with its structure: code, kind, task.
        let fails = try await site.trigger("fails")
        let failed = try await site.waitUntil(fails) { !["queued", "running"].contains($0.state) }
        #expect(failed.state == "failed")
        #expect(failed.failure == Run.Failure(code: "task.exit-status", kind: "test", task: 1), "\(String(describing: failed.failure))")
        // A run no online worker can take says why it waits.
        let kvm = try await site.trigger("kvm")
        let waiting = try await site.waitUntil(kvm) { $0.reason?.contains("no worker online with label kvm") == true }
        #expect(waiting.state == "queued")
        #expect(try await site.coordinator.remote(["cancel", "\(kvm)"], token: site.token).status == 0)
    }

    @Test func aWorkerShortOfDiskTakesNoRunAndTheRunSaysWhy() async throws {
        let site = try await Site()
        defer { site.sandbox.remove() }
        // No disk here has a million GiB free: the worker takes nothing, and says why.
        let worker = try await site.worker("w1", more: ["--min-free-disk", "1000000G"])
        defer { site.stop([worker]) }
        let id = try await site.trigger("null")
        let waiting = try await site.waitUntil(id) { $0.reason?.contains("no worker that can take it is taking runs (w1: only ") == true }
        #expect(waiting.state == "queued")
        #expect(waiting.reason?.contains("it takes runs with at least 1024000000 MiB free") == true, "\(waiting.reason ?? "")")
        #expect(waiting.reason?.range(of: "only [1-9][0-9]* MiB free", options: .regularExpression) != nil, "the real free space")
        #expect(worker.log.contains("taking no runs"))
        #expect(try await site.coordinator.remote(["cancel", "\(id)"], token: site.token).status == 0)
    }

    @Test func aWorkerKilledMidRunLosesNothingAndCleansUpWhenItComesBack() async throws {
        let site = try await Site(lease: 3)
        defer { site.sandbox.remove() }
        var first = try await site.worker("w1")
        let second = try await site.worker("w2")
        defer { site.stop([first, second]) }
        let id = try await site.trigger("vm")
        _ = try await site.waitUntil(id) { $0.state == "running" }
        while !(try await site.log(id)).contains("attempt 1 from Linux") { try await Task.sleep(for: .milliseconds(100)) }
        let holder = try #require(try await site.workers().first { $0.runs.contains(id) })
        var (victim, survivor) = holder.status.name == "w1" ? (first, second) : (second, first)
        victim.process.signal(SIGKILL)
        await victim.process.wait()
        #expect(!victim.qemuProcesses().isEmpty, "its machine is orphaned")
        let ended = try await site.waitUntil(id) { !["queued", "running"].contains($0.state) }
        #expect(ended.state == "passed", "\(survivor.log)")
        #expect(ended.attempt == 2)
        let log = try await site.log(id)
        #expect(log.components(separatedBy: "done 2").count == 2, "exactly one result: \(log)")
        #expect(!log.contains("done 1"))
        // Back again, the killed worker destroys the machine its last life left.
        let name = victim.name
        victim = try await site.worker(name)
        if name == "w1" { first = victim }
        while !victim.qemuProcesses().isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        #expect(victim.log.contains("destroying machine"))
        survivor.process.signal(SIGTERM)
    }

    @Test func theCoordinatorKilledMidRunLosesNoLine() async throws {
        let site = try await Site(lease: 15)
        defer { site.sandbox.remove() }
        let worker = try await site.worker("w1")
        defer { site.stop([worker]) }
        let id = try await site.trigger("count")
        while !(try await site.log(id)).contains("line 3") { try await Task.sleep(for: .milliseconds(100)) }
        site.coordinator.process.signal(SIGKILL)
        await site.coordinator.process.wait()
        try await Task.sleep(for: .seconds(3))
        // The same coordinator again (its database, name and address): the worker's journal is delivered.
        let again = try await Server(site.sandbox, port: site.coordinator.port, arguments: ["--name", "coordinator", "--no-worker", "--lease", "15"])
        defer { again.process.terminate() }
        try await again.waitUntilUp()
        let ended = try await site.waitUntil(id) { !["queued", "running"].contains($0.state) }
        #expect(ended.state == "passed", "\(worker.log)")
        let lines = try await site.log(id).split(separator: "\n").filter { $0.hasPrefix("line ") }.map(String.init)
        #expect(lines == (1...30).map { "line \($0)" }, "no gap, no repeat")
    }

    @Test func aCancelReachesARemoteWorkerWithinTwoSeconds() async throws {
        let site = try await Site()
        defer { site.sandbox.remove() }
        let worker = try await site.worker("w1")
        defer { site.stop([worker]) }
        let id = try await site.trigger("slow")
        while !(try await site.log(id)).contains("waiting") { try await Task.sleep(for: .milliseconds(100)) }
        let asked = ContinuousClock.now
        #expect(try await site.coordinator.call("POST", "/api/v1/runs/\(id)/cancel", token: site.token).status == 202)
        let ended = try await site.waitUntil(id) { !["queued", "running"].contains($0.state) }
        let took = ContinuousClock.now - asked
        #expect(ended.state == "cancelled")
        #expect(took < .seconds(2), "took \(took)")
    }

    /// Many runs, two coordinators on one PostgreSQL, four workers: every run ends, once.
    @Test func fiveHundredRunsOnTwoCoordinatorsAndFourWorkersEndOnce() async throws {
        let database = try await TestPostgres.shared.newDatabase()
        let site = try await Site(database: database)
        defer { site.sandbox.remove() }
        let other = try await Server(site.sandbox, arguments: ["--name", "coordinator-2", "--no-worker", "--database", database])
        defer { other.process.terminate() }
        try await other.waitUntilUp()
        var workers: [WorkerProcess] = []
        for index in 0..<4 {
            workers.append(
                try await WorkerProcess(
                    site.sandbox,
                    name: "w\(index)",
                    server: index % 2 == 0 ? site.coordinator.url : other.url,
                    token: site.workerToken,
                    arguments: ["--slots", "2"]
                )
            )
        }
        defer { site.stop(workers) }
        let outcome = try await site.coordinator.burst("demo/null", count: 500, token: site.token)
        #expect(outcome.queued == 500)
        #expect(outcome.states == ["passed": 500])
        let runs = try JSONDecoder().decode(
            [Run].self,
            from: Data(try await site.coordinator.call("GET", "/api/v1/runs?limit=500", token: site.token).body.utf8)
        )
        #expect(runs.allSatisfy { $0.attempt == 1 }, "no run ran twice")
        #expect(Set(try await site.workers().map(\.status.name)) == ["w0", "w1", "w2", "w3"])
    }

    /// A token the coordinator refuses stops the worker at once, saying what it needs; a worker
    /// with the right one says when it registered, and each run it takes and ends.
    @Test func aWrongTokenStopsTheWorkerAndARightOneSaysWhatItDoes() async throws {
        let site = try await Site()
        defer { site.sandbox.remove() }
        defer { site.coordinator.process.terminate() }
        for token in ["hgr_wrong", site.token] {
            let started = ContinuousClock.now
            let refused = try await site.sandbox.hangar(["worker", "--server", site.coordinator.url, "--token", token, "--name", "w"])
            #expect(refused.status == 64 && ContinuousClock.now - started < .seconds(20), "\(refused.stderr)")
            #expect(
                refused.stderr.contains("the coordinator refused this worker's token") && refused.stderr.contains("--role worker"),
                "\(refused.stderr)"
            )
        }
        let worker = try await site.worker("w1")
        defer { worker.process.terminate() }
        let id = try await site.trigger("null")
        _ = try await site.waitUntil(id) { $0.state == "passed" }
        try await eventually("the worker says what it did: \(worker.log)") {
            let log = worker.log.replacingOccurrences(of: "\\/", with: "/")  // JSON lines write '/' as '\/'
            return log.contains("registered as worker w1: 1 slot(s)") && log.contains("took run \(id) (demo/null, attempt 1)")
                && log.contains("run \(id) ended passed")
        }
        // The machines page: a worker with nothing to do is idle, not running.
        try await eventually("the worker is shown idle") {
            try await site.coordinator.fetch("/machines", cookie: "hangar_token=\(site.token)").contains(
                #"<td>w1</td><td><span class="state idle">idle</span>"#
            )
        }
    }

    /// Two workers on one host, neither named: each takes a name of its own (the host's, with its
    /// state folder's digest), and the second, started again while the first holds runs, takes none
    /// of them away. Every run executes once — counted by what the runs write, round after round —
    /// and a worker started under a name that is online is refused and exits.
    @Test func twoUnnamedWorkersOnOneHostRunEveryRunExactlyOnce() async throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-test-marks-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: marks) }
        let site = try await Site(
            database: try await TestPostgres.shared.newDatabase(),
            lease: 10,
            projects: ["marks": "jobs:\n  mark:\n    tasks: [{ host: 'echo \"$HANGAR_RUN_ID-$HANGAR_ATTEMPT\" >> \(marks)' }]\n"]
        )
        defer { site.sandbox.remove() }
        defer { site.coordinator.process.terminate() }
        func worker(_ label: String, name: String? = nil) async throws -> WorkerProcess {
            try await WorkerProcess(
                site.sandbox,
                name: name,
                label: label,
                server: site.coordinator.url,
                token: site.workerToken,
                arguments: ["--slots", "2"]
            )
        }
        let first = try await worker("first")
        defer { first.process.terminate() }
        let (rounds, count) = (4, 100)
        for _ in 0..<rounds {
            async let burst = site.coordinator.burst("marks/mark", count: count, token: site.token)
            try await eventually("the first worker holds runs: \(first.log)", within: .seconds(60)) {
                try await site.workers().contains { !$0.runs.isEmpty }
            }
            let second = try await worker("second")
            defer { second.process.terminate() }
            let outcome = try await burst
            #expect(outcome.states == ["passed": count], "\(outcome)\n\(first.log)\n\(second.log)")
            #expect(!second.log.contains("gave up"), "\(second.log)")
        }
        let lines = try String(contentsOfFile: marks, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == rounds * count, "every run once: \(lines.count) executions for \(rounds * count) runs")
        #expect(Set(lines).count == lines.count && lines.allSatisfy { $0.hasSuffix("-1") })
        let names = try await site.workers().map(\.status.name)
        #expect(names.count == 2 && Set(names).count == 2, "\(names)")
        #expect(names.allSatisfy { $0.hasPrefix(ProcessInfo.processInfo.hostName + "-") }, "\(names)")

        let taken = try #require(try await site.workers().first { $0.online }?.status.name)
        let third = try await worker("third", name: taken)
        defer { third.process.terminate() }
        #expect(await third.process.wait() == 64)
        #expect(third.log.contains("a worker named \(taken) is online (last seen"), "\(third.log)")
    }

    /// A worker in its own network namespace loses its link mid-run: its lease runs out, the run
    /// runs again on another worker and ends once; when the link returns, the cut-off worker learns
    /// the run is not its own any more and drops what it still had to say about it.
    @Test func aWorkerCutOffFromTheNetworkLosesItsRunAndGivesItUpWhenBack() async throws {
        try await NetworkNamespace.with { network in
            let site = try await Site(lease: 3, serve: ["--host", "0.0.0.0"])
            defer { site.sandbox.remove() }
            let cutOff = try await WorkerProcess(
                site.sandbox,
                name: "cut",
                server: "http://\(network.hostAddress):\(site.coordinator.port)",
                token: site.workerToken,
                prefix: network.prefix
            )
            defer { site.stop([cutOff]) }
            let id = try await site.trigger("ticks")
            try await eventually("the run starts on the worker in the namespace: \(cutOff.log)") { try await site.log(id).contains("tick 1 3") }
            #expect(try await site.workers().first { $0.runs.contains(id) }?.status.name == "cut")
            try await network.cut()
            let other = try await site.worker("other")
            defer { other.process.terminate() }
            let ended = try await site.waitUntil(id) { !["queued", "running"].contains($0.state) }
            #expect(ended.state == "passed", "\(other.log)")
            #expect(ended.attempt == 2)
            try await network.restore()
            // It learns the run is not its own any more — from a heartbeat's answer, or from a refused
            // report, whichever comes first — and drops its journal.
            try await eventually("the cut-off worker gives the run up and empties its journal: \(cutOff.log)") {
                (cutOff.log.contains("is no longer this worker's") || cutOff.log.contains("was lost (its lease ran out)"))
                    && ((try? FileManager.default.contentsOfDirectory(atPath: "\(cutOff.state)/workers/cut/journal")) ?? []).isEmpty
            }
            let log = try await site.log(id)
            #expect(log.contains("tick 2 20"))
            #expect(!log.contains("tick 1 20"), "the cut-off attempt's late lines were refused: \(log)")
        }
    }

    /// Tasks placed away from the worker holding the run (`Placement`): `notify` runs on the
    /// coordinator — the holder is in its own network namespace, where the receiver is out of reach
    /// — and posts once; `snapshots.prune` runs once on each online worker, on its own snapshots.
    @Test func placedTasksRunOnTheCoordinatorAndOnEveryWorker() async throws {
        try await NetworkNamespace.with { network in
            let port = PortPicker.freePort()
            let receiver = "http://127.0.0.1:\(port)/hook"
            let project = """
                jobs:
                  placed:
                    requires: [isolated]
                    tasks:
                      - use: notify
                        with: { url: "\(receiver)", message: "run ${HANGAR_RUN_ID} reached notify" }
                      - use: snapshots.prune
                        with: { unused-for: 1d }
                      - host: curl -s -m 3 \(receiver) && echo reached || echo "the receiver is out of reach here"
                """
            let site = try await Site(serve: ["--host", "0.0.0.0"], projects: ["placed": project])
            defer { site.sandbox.remove() }
            let sink = try await Sink.start("http", port: port, folder: "\(site.sandbox.root)/sink")
            defer { sink.process.terminate() }
            let isolated = try await WorkerProcess(
                site.sandbox,
                name: "isolated",
                server: "http://\(network.hostAddress):\(site.coordinator.port)",
                token: site.workerToken,
                arguments: ["--slots", "1", "--labels", "isolated"],
                prefix: network.prefix,
                cache: "\(site.sandbox.root)/cache-isolated"
            )
            let plain = try await site.worker("plain", cache: "\(site.sandbox.root)/cache-plain")
            defer { site.stop([isolated, plain]) }
            // Each worker keeps one snapshot unused for ever (no manifest) and one used just now.
            for name in ["isolated", "plain"] {
                let snapshots = "\(site.sandbox.root)/cache-\(name)/snapshots"
                try FileManager.default.createDirectory(atPath: "\(snapshots)/stale", withIntermediateDirectories: true)
                try FileManager.default.createDirectory(atPath: "\(snapshots)/fresh", withIntermediateDirectories: true)
                try "{}".write(toFile: "\(snapshots)/fresh/snapshot.json", atomically: true, encoding: .utf8)
            }
            while try await site.workers().filter(\.online).count < 2 { try await Task.sleep(for: .milliseconds(200)) }
            let triggered = try await site.coordinator.remote(["trigger", "placed/placed"], token: site.token)
            let id = try #require(Int(triggered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(triggered.stderr)")
            let ended = try await site.waitUntil(id) { !["queued", "running"].contains($0.state) }
            let log = try await site.log(id)
            #expect(ended.state == "passed", "\(log)\n\(isolated.log)")
            #expect(try await site.workers().first { $0.status.name == "isolated" }?.status.labels.contains("isolated") == true)
            #expect(log.contains("the receiver is out of reach here"), "the holder cannot reach the receiver: \(log)")
            #expect(sink.received(".json") == ["{\"text\":\"run \(id) reached notify\"}"])
            #expect(log.contains("posted to \(receiver)"))
            for name in ["isolated", "plain"] {
                #expect(log.contains("\(name): removed snapshot stale"), "\(log)")
                #expect(log.contains("\(name): removed 1 snapshot(s)"), "\(log)")
                let left = try FileManager.default.contentsOfDirectory(atPath: "\(site.sandbox.root)/cache-\(name)/snapshots")
                #expect(!left.contains("stale") && left.contains("fresh"), "\(name): \(left)")
            }
        }
    }

    @Test func withAnImageProxyWorkersGetImagesThroughTheCoordinator() async throws {
        let guest = try TestGuest.require()
        let images = try await ImageServer()
        try FileManager.default.createSymbolicLink(atPath: "\(images.folder)/disk.qcow2", withDestinationPath: "\(guest)/disk.qcow2")
        let url = "http://127.0.0.1:\(images.port)/disk.qcow2"
        let proxied = """
            machines:
              default: { image: { url: "\(url)" }, memory: 512M, accel: tcg }
            jobs:
              vm: { tasks: [{ run: echo "booted from the proxied image" }] }
            """
        let site = try await Site(serve: ["--image-proxy"], projects: ["proxied": proxied])
        defer { site.sandbox.remove() }
        let cache = "\(site.sandbox.root)/worker-cache"
        let worker = try await site.worker("w1", cache: cache)
        defer { site.stop([worker]) }
        for round in 1...2 {
            let run = try await site.coordinator.remote(["trigger", "proxied/vm", "-f"], token: site.token)
            #expect(run.status == 0, "round \(round): \(run.stderr)\n\(worker.log)")
            #expect(run.stdout.contains("booted from the proxied image"))
        }
        // The image server saw the coordinator download it once (and revalidate it); the worker
        // never asked it, yet has the image in its own cache.
        let requests = try String(contentsOfFile: "\(images.folder)/requests.log", encoding: .utf8).split(separator: "\n")
        #expect(requests.filter { $0.hasSuffix(" 200") }.count == 1, "\(requests)")
        #expect(requests.allSatisfy { $0.hasPrefix("GET /disk.qcow2 ") }, "\(requests)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: "\(cache)/images")).count == 1)
        #expect((try FileManager.default.contentsOfDirectory(atPath: "\(site.sandbox.cache)/images")).count == 1, "the coordinator's copy")
        // A worker gets only the images of the runs it holds: the proxy fetches nothing else.
        let other = try await site.coordinator.call(
            "GET",
            "/api/v1/images?url=\(url.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
            token: site.workerToken,
            headers: ["Hangar-Worker:w1"]
        )
        #expect(other.status == 403, "\(other.body)")
        #expect(worker.qemuProcesses().isEmpty)
    }
}
