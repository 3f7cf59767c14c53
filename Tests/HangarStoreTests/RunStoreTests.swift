import Foundation
import HangarCore
import HangarStore
import HangarTestSupport
import Synchronization
import Testing

/// The databases every store test runs against.
enum Database: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// A new, empty database of this kind.
    func location() async throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("hangar-store-\(UUID().uuidString.prefix(8)).db").path)
        case .postgres:
            try DatabaseLocation(parsing: try await TestPostgres.shared.newDatabase())
        }
    }
}

/// The store against a real SQLite file and a real PostgreSQL, the same tests for both.
@Suite(.timeLimit(.minutes(2))) struct RunStoreTests {
    let clock = TestClock()

    func withStore(_ database: Database, _ body: (RunStore, DatabaseLocation) async throws -> Void) async throws {
        let location = try await database.location()
        defer { if case .sqlite(let path) = location { try? FileManager.default.removeItem(atPath: path) } }
        let store = try await RunStore.open(location, now: { [clock] in clock.now })
        do {
            try await body(store, location)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// A second store on the same database (another replica, on the same clock), closed whatever `body` does.
    func withReplica<T>(_ location: DatabaseLocation, _ body: (RunStore) async throws -> T) async throws -> T {
        let replica = try await RunStore.open(location, now: { [clock] in clock.now })
        do {
            let result = try await body(replica)
            try await replica.close()
            return result
        } catch {
            try? await replica.close()
            throw error
        }
    }

    @Test(arguments: Database.allCases)
    func aPlacedTaskIsRecordedOnceAndEachPartIsTakenOnceAndEndsOnce(database: Database) async throws {
        try await withStore(database) { store, location in
            let key = PlacedTaskKey(run: 7, attempt: 1, position: 2)
            #expect(try await store.placeTask(key, placement: .everyWorker, by: "c1", workers: ["w1", "w2"]))
            // The same request at another replica records nothing more.
            let again = try await withReplica(location) { try await $0.placeTask(key, placement: .everyWorker, by: "c2", workers: ["w1", "w3"]) }
            #expect(!again)
            #expect(try await store.placedTask(key).map(\.runner) == ["", "w1", "w2"])
            #expect(try await store.pendingPlacedTasks(for: "w1") == [key])
            #expect(try await store.updatePlacedTask(key, runner: "w1", .taken))
            #expect(try await !store.updatePlacedTask(key, runner: "w1", .taken), "handed out once")
            #expect(try await store.pendingPlacedTasks(for: "w1").isEmpty)
            let ending = PlacedTaskResult(passed: true, lines: ["removed 1 snapshot(s)"])
            #expect(try await store.updatePlacedTask(key, runner: "w1", .ended(passed: true), ending: ending))
            #expect(try await !store.updatePlacedTask(key, runner: "w1", .ended(passed: false)), "it ended once")
            #expect(try await store.unendedPlacedTasks(runner: "w2").map(\.key) == [key])
            #expect(try await store.updatePlacedTask(key, runner: "w2", .runnerGone))
            let rows = try await store.placedTask(key)
            #expect(rows.map(\.state) == [.running, .passed, .lost])
            #expect(rows[1].lines == ["removed 1 snapshot(s)"])
            #expect(rows[0].takenBy == "c1")
        }
    }

    @Test(arguments: Database.allCases)
    func eachTestHasAHistoryAcrossTheRunsOfItsJob(database: Database) async throws {
        try await withStore(database) { store, _ in
            let results = { (status: TestStatus) in
                TestResults(tests: [TestCase(name: "net.ping", status: status, file: "r.xml"), TestCase(name: "disk", status: .pass, file: "r.xml")])
            }
            for (run, status) in [(1, TestStatus.pass), (2, .fail), (3, .pass), (4, .fail)] {
                try await store.saveResults(results(status), run: run, project: "demo", job: "test")
            }
            try await store.saveResults(results(.skip), run: 5, project: "demo", job: "other")
            // Another image has a history of its own.
            try await store.saveResults(results(.fail), run: 6, project: "demo", job: "test", image: "https://example.org/f41.qcow2")
            let other = try await store.history(of: "net.ping", project: "demo", job: "test", image: "https://example.org/f41.qcow2", upTo: 9)
            #expect(other.map(\.run) == [6])
            #expect(try await store.history(of: "net.ping", project: "demo", job: "test", upTo: 9).map(\.run) == [1, 2, 3, 4])
            // A resent result replaces, never doubles.
            try await store.saveResults(results(.fail), run: 4, project: "demo", job: "test")
            let history = try await store.history(of: "net.ping", project: "demo", job: "test", upTo: 4)
            #expect(history.map(\.run) == [1, 2, 3, 4])
            #expect(history.map(\.status) == [.pass, .fail, .pass, .fail])
            #expect(try await store.history(of: "net.ping", project: "demo", job: "test", upTo: 3, limit: 2).map(\.run) == [2, 3])
            #expect(try await store.history(of: "net.ping", project: "demo", job: "other", upTo: 9).map(\.status) == [.skip])
        }
    }

    @Test(arguments: Database.allCases)
    func runsPersistAcrossReopeningAndMigrationsRunOnce(database: Database) async throws {
        let location = try await database.location()
        defer { if case .sqlite(let path) = location { try? FileManager.default.removeItem(atPath: path) } }
        for round in 0..<2 {
            let store = try await RunStore.open(location)
            if round == 0 {
                let run = try await store.enqueue(project: "demo", job: "test", priority: 5)
                #expect(run.state == .queued)
                #expect(run.id == 1)
            } else {
                let run = try #require(try await store.run(1))
                #expect(run.project == "demo")
                #expect(run.priority == 5)
                #expect(try await store.run(99) == nil)
            }
            try await store.close()
        }
    }

    @Test(arguments: Database.allCases)
    func claimsTakeThePriorityThenTheOldestAndNeverTwice(database: Database) async throws {
        try await withStore(database) { store, _ in
            _ = try await store.enqueue(project: "p", job: "old")
            _ = try await store.enqueue(project: "p", job: "urgent", priority: 9)
            _ = try await store.enqueue(project: "p", job: "new")
            let first = try #require(try await store.claimNext(owner: "a", lease: 30))
            #expect(first.job == "urgent")
            #expect(first.record.owner == "a")
            #expect(first.record.leaseExpiresAt == clock.now + 30)
            #expect(try await store.claimNext(owner: "b", lease: 30)?.job == "old")
            #expect(try await store.claimNext(owner: "b", lease: 30)?.job == "new")
            #expect(try await store.claimNext(owner: "b", lease: 30) == nil)
        }
    }

    /// Many claimers at once (replicas, on PostgreSQL): every run is claimed exactly once.
    @Test(arguments: Database.allCases)
    func concurrentClaimsTakeEachRunOnce(database: Database) async throws {
        try await withStore(database) { store, location in
            for index in 0..<60 { _ = try await store.enqueue(project: "p", job: "j\(index)") }
            let claimed = try await withReplica(location) { other in
                try await withThrowingTaskGroup(of: [Int].self) { group in
                    for claimer in 0..<6 {
                        group.addTask {
                            var mine: [Int] = []
                            while let run = try await (claimer % 2 == 0 ? store : other).claimNext(owner: "c\(claimer)", lease: 30) {
                                mine.append(run.id)
                            }
                            return mine
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            #expect(claimed.count == 60)
            #expect(Set(claimed).count == 60)
        }
    }

    @Test(arguments: Database.allCases)
    func aLostHolderIsReapedAfterItsLeaseAndItsLateWritesAreRefused(database: Database) async throws {
        try await withStore(database) { store, _ in
            let queued = try await store.enqueue(project: "p", job: "j", maxAttempts: 2)
            let run = try #require(try await store.claimNext(owner: "a", lease: 30))
            #expect(run.id == queued.id)
            let holder = RunHolder(owner: "a", attempt: 1)
            #expect(try await store.appendLog(run: run.id, by: holder, offset: 0, lines: ["one"]) == 1)
            clock.advance(20)
            #expect(try await store.renewLeases(owner: "a", runs: [(run.id, 1)], lease: 30)[run.id]?.action == .write)
            clock.advance(20)
            #expect(try await store.reapExpiredLeases().isEmpty, "renewed: not expired")
            clock.advance(11)
            let reaped = try await store.reapExpiredLeases()
            #expect(reaped.map(\.run.id) == [run.id])
            #expect(reaped.first?.run.state == .queued)
            #expect(reaped.first?.run.attempt == 2)
            // The old holder is refused, whatever it sends.
            await #expect { try await store.appendLog(run: run.id, by: holder, offset: 1, lines: ["late"]) } throws: { error in
                (error as? HangarError)?.code == .runStale
            }
            #expect(try await store.finish(run.id, owner: "a", attempt: 1, as: .passed)?.refusal != nil)
            #expect(try await store.renewLeases(owner: "a", runs: [(run.id, 1)], lease: 30)[run.id]?.refusal != nil)
            // The next attempt runs elsewhere and ends once; then nothing moves it.
            let again = try #require(try await store.claimNext(owner: "b", lease: 30))
            #expect(again.attempt == 2)
            #expect(try await store.appendLog(run: run.id, by: RunHolder(owner: "b", attempt: 2), offset: 1, lines: ["two"]) == 2)
            #expect(try await store.finish(run.id, owner: "b", attempt: 2, as: .passed)?.action == .write)
            #expect(try await store.finish(run.id, owner: "b", attempt: 2, as: .passed)?.action == RunLifecycle.Action.none)
            clock.advance(100)
            #expect(try await store.reapExpiredLeases().isEmpty)
            #expect(try await store.run(run.id)?.state == .passed)
            #expect(try await store.log(run: run.id) == ["one", "two"])
        }
    }

    @Test(arguments: Database.allCases)
    func aRestartedHolderFindsAndReleasesOnlyItsOwnRuns(database: Database) async throws {
        try await withStore(database) { store, _ in
            for _ in 0..<3 { _ = try await store.enqueue(project: "p", job: "j", maxAttempts: 1) }
            let mine = try #require(try await store.claimNext(owner: "a", lease: 30))
            let theirs = try #require(try await store.claimNext(owner: "b", lease: 30))
            #expect(try await store.held(by: "a").map(\.id) == [mine.id])
            let released = try #require(try await store.release(mine.id, by: RunHolder(owner: "a", attempt: 1)))
            // It had no attempts left: it ends, and says why.
            #expect(released.run.state == .error)
            #expect(try await store.release(theirs.id, by: RunHolder(owner: "a", attempt: 1))?.refusal != nil)
            #expect(try await store.run(theirs.id)?.state == .running)
        }
    }

    /// The cells of each job queued together form a group named by its first run; a run may join a
    /// group (a cell's retry); a matrix job's cells parked for a repository come back as one group.
    @Test(arguments: Database.allCases)
    func cellsQueuedTogetherFormAGroup(database: Database) async throws {
        try await withStore(database) { store, _ in
            func cell(_ job: String, _ name: String?) -> NewRun {
                var run = NewRun(project: "p", job: job, parameters: [:], maxAttempts: 1)
                run.cell = name
                return run
            }
            let queued = try await store.enqueue([cell("plain", nil), cell("test", "a"), cell("lint", "x"), cell("test", "b"), cell("lint", "y")])
            #expect(queued.map(\.group) == [nil, queued[1].id, queued[2].id, queued[1].id, queued[2].id])
            #expect(try await store.group(queued[1].id).map(\.cell) == ["a", "b"])
            var retry = cell("test", "b")
            retry.group = queued[1].id
            let joined = try await store.enqueue(retry)
            #expect(joined.group == queued[1].id && joined.cell == "b")
            #expect(try await store.group(queued[1].id).map(\.id) == [queued[1].id, queued[3].id, joined.id])
            #expect(try await store.group(queued[0].id).isEmpty)

            let repository = OBSRepository(project: "home:me", repository: "images")
            let parked = ParkedRun(repository: repository, runs: [cell("boot", "leap"), cell("boot", "tumbleweed")])
            _ = try await store.recordBusMessage("m1", routingKey: "obs.package.build_success", result: "matched", runs: [], park: [parked])
            #expect(try await store.parkedRuns() == [parked])
            let published = try #require(
                try await store.recordBusMessage("m2", routingKey: "obs.repo.published", result: "matched", runs: [], published: repository)
            )
            #expect(published.map(\.cell) == ["leap", "tumbleweed"] && published.allSatisfy { $0.group == published[0].id })
        }
    }

    /// A bus message is recorded with what it queued and parked in one transaction; its redelivery
    /// does nothing; a job parked twice for one repository runs once when it is published.
    @Test(arguments: Database.allCases)
    func busMessagesQueueAndParkRunsOnce(database: Database) async throws {
        try await withStore(database) { store, _ in
            let repository = OBSRepository(project: "devel:kanku:images", repository: "images")
            var early = NewRun(project: "p", job: "early", parameters: ["HANGAR_EVENT": "obs"], maxAttempts: 1)
            early.cause = "OBS build"
            let waiting = ParkedRun(repository: repository, runs: [NewRun(project: "p", job: "test", parameters: [:], maxAttempts: 2, memory: 768)])
            let first = try await store.recordBusMessage(
                "m1",
                routingKey: "obs.package.build_success",
                result: "matched",
                runs: [early],
                park: [waiting]
            )
            #expect(first?.map(\.job) == ["early"] && first?.first?.cause == "OBS build")
            #expect(
                try await store.recordBusMessage("m1", routingKey: "obs.package.build_success", result: "matched", runs: [early], park: [waiting])
                    == nil
            )
            // Another package of the same repository built: the job waits once.
            _ = try await store.recordBusMessage("m2", routingKey: "obs.package.build_success", result: "matched", runs: [], park: [waiting])
            #expect(try await store.parkedRuns() == [waiting])
            let other = OBSRepository(project: "devel:kanku:images", repository: "other")
            #expect(try await store.recordBusMessage("m3", routingKey: "obs.repo.published", result: "matched", runs: [], published: other) == [])
            let published = try await store.recordBusMessage(
                "m4",
                routingKey: "obs.repo.published",
                result: "matched",
                runs: [],
                published: repository
            )
            #expect(published?.map(\.job) == ["test"] && published?.first?.memory == 768 && published?.first?.maxAttempts == 2)
            #expect(try await store.parkedRuns().isEmpty)
            #expect(
                try await store.recordBusMessage("m5", routingKey: "obs.repo.published", result: "matched", runs: [], published: repository) == []
            )
        }
    }

    /// A name is one worker's: a second instance is refused while the first is online, unless it
    /// is the first's own next life (`replaces`), the first stopped, or it fell silent for a lease.
    /// Refused, it claims nothing and its heartbeats are refused; two instances at once: one wins.
    @Test(arguments: Database.allCases)
    func aWorkerNameIsOneInstancesAtATime(database: Database) async throws {
        try await withStore(database) { store, location in
            #expect(try await store.registerWorker("w", instance: "one", replaces: nil, status: "{}", takeover: 30) == nil)
            clock.advance(2)
            #expect(try await store.registerWorker("w", instance: "two", replaces: nil, status: "{}", takeover: 30) == 1_000)
            #expect(try await store.saveWorker("w", instance: "one", status: "{}"))
            #expect(!(try await store.saveWorker("w", instance: "two", status: "{}")))
            _ = try await store.enqueue(project: "p", job: "j", maxAttempts: 1)
            #expect(try await store.claimNext(owner: "w", instance: "two", lease: 30) == nil)
            // The first's own restart takes the name over at once.
            #expect(try await store.registerWorker("w", instance: "three", replaces: "one", status: "{}", takeover: 30) == nil)
            #expect(!(try await store.saveWorker("w", instance: "one", status: "{}")))
            #expect(try await store.claimNext(owner: "w", instance: "three", lease: 30) != nil)
            // A stopped one gives its name up at once; one silent for a lease, after it.
            try await store.workerStopped("w", instance: "three")
            #expect(try await store.workers(seenWithin: 60)["w"]?.stopped == true)
            _ = try await store.enqueue(project: "p", job: "j", maxAttempts: 1)
            #expect(try await store.claimNext(owner: "w", instance: "three", lease: 30) == nil, "a stopped worker claims nothing")
            #expect(try await store.registerWorker("w", instance: "four", replaces: nil, status: "{}", takeover: 30) == nil)
            clock.advance(29)
            #expect(try await store.registerWorker("w", instance: "five", replaces: nil, status: "{}", takeover: 30) != nil)
            clock.advance(2)
            #expect(try await store.registerWorker("w", instance: "five", replaces: nil, status: "{}", takeover: 30) == nil)
            // Two new instances at once, through two replicas: exactly one gets the name.
            try await withReplica(location) { replica in
                clock.advance(60)
                async let first = store.registerWorker("w", instance: "six", replaces: nil, status: "{}", takeover: 30)
                async let second = replica.registerWorker("w", instance: "seven", replaces: nil, status: "{}", takeover: 30)
                let outcomes = [try await first, try await second]
                #expect(outcomes.filter { $0 == nil }.count == 1, "\(outcomes)")
            }
        }
    }

    @Test(arguments: Database.allCases)
    func placementTakesOnlyRunsThatFitTheWorker(database: Database) async throws {
        try await withStore(database) { store, _ in
            _ = try await store.enqueue(NewRun(project: "p", job: "kvm", parameters: [:], maxAttempts: 1, requires: ["kvm"], memory: 1024))
            _ = try await store.enqueue(NewRun(project: "p", job: "big", parameters: [:], maxAttempts: 1, memory: 8192))
            _ = try await store.enqueue(NewRun(project: "p", job: "small", parameters: [:], maxAttempts: 1, memory: 512))
            #expect(try await store.claimNext(owner: "w", lease: 30, labels: ["arch=x86_64"], freeMemory: 2048)?.job == "small")
            #expect(try await store.claimNext(owner: "w", lease: 30, labels: ["arch=x86_64"], freeMemory: 2048) == nil)
            #expect(try await store.claimNext(owner: "w", lease: 30, labels: ["kvm"], freeMemory: 2048)?.job == "kvm")
            #expect(try await store.claimNext(owner: "w", lease: 30, labels: [], freeMemory: 10_000)?.job == "big")
            _ = try await store.enqueue(project: "p", job: "other")
            let fingerprint = try await store.queuedFingerprint()
            #expect(fingerprint.count == 1 && fingerprint.newest == 4)
            _ = try await store.claimNext(owner: "v", lease: 30)
            #expect(try await store.heldCounts() == ["w": 3, "v": 1])
            #expect(try await store.queuedFingerprint().count == 0)
        }
    }

    @Test(arguments: Database.allCases)
    func cancelReachesTheHolderThroughItsHeartbeat(database: Database) async throws {
        try await withStore(database) { store, _ in
            let queued = try await store.enqueue(project: "p", job: "queued")
            let cancelledAtOnce = try #require(try await store.requestCancel(queued.id, by: "ann"))
            #expect(cancelledAtOnce.action == .write)
            #expect(cancelledAtOnce.run.state == .cancelled)
            _ = try await store.enqueue(project: "p", job: "running")
            let run = try #require(try await store.claimNext(owner: "a", lease: 30))
            #expect(try await store.requestCancel(run.id, by: "ann")?.action == .writeAndStop)
            #expect(try await store.renewLeases(owner: "a", runs: [(run.id, 1)], lease: 30)[run.id]?.action == .writeAndStop)
            #expect(try await store.finish(run.id, owner: "a", attempt: 1, as: .failed, reason: "terminated")?.run.state == .cancelled)
            #expect(try await store.requestCancel(run.id, by: "ann")?.refusal == "run has already ended (cancelled)")
            #expect(try await store.requestCancel(999, by: "ann") == nil)
        }
    }

    @Test(arguments: Database.allCases)
    func listsArePagedNewestFirstAndFiltered(database: Database) async throws {
        try await withStore(database) { store, _ in
            for index in 0..<7 {
                _ = try await store.enqueue(project: "p", job: "j\(index)", skipped: index % 2 == 0 ? "image unchanged" : nil)
            }
            let first = try await store.runs(limit: 3)
            #expect(first.map(\.id) == [7, 6, 5])
            let second = try await store.runs(before: first.last?.id, limit: 3)
            #expect(second.map(\.id) == [4, 3, 2])
            let skipped = try await store.runs(state: .skipped)
            #expect(skipped.map(\.id) == [7, 5, 3, 1])
            #expect(skipped.first?.reason == "image unchanged")
            #expect(skipped.first?.finishedAt == clock.now)
            #expect(try await store.count(state: .queued) == 3)
        }
    }

    /// A run of `p`/`j` queued and claimed by worker `w`, and its holder.
    func claimedRun(_ store: RunStore) async throws -> (run: StoredRun, holder: RunHolder) {
        _ = try await store.enqueue(project: "p", job: "j")
        return (try #require(try await store.claimNext(owner: "w", lease: 30)), RunHolder(owner: "w", attempt: 1))
    }

    @Test(arguments: Database.allCases)
    func logUploadsAreIdempotentAndRefuseGaps(database: Database) async throws {
        try await withStore(database) { store, _ in
            let (run, holder) = try await claimedRun(store)
            #expect(try await store.appendLog(run: run.id, by: holder, offset: 0, lines: ["a", "b", "c"]) == 3)
            // A resend of an overlapping batch keeps one copy of each line.
            #expect(try await store.appendLog(run: run.id, by: holder, offset: 1, lines: ["b", "c", "d"]) == 4)
            #expect(try await store.appendLog(run: run.id, by: holder, offset: 0, lines: ["a"]) == 4)
            await #expect { try await store.appendLog(run: run.id, by: holder, offset: 6, lines: ["g"]) } throws: { error in
                (error as? HangarError)?.code == .logGap
            }
            #expect(try await store.log(run: run.id) == ["a", "b", "c", "d"])
            #expect(try await store.log(run: run.id, from: 2, limit: 1) == ["c"])
            let many = (0..<2500).map { "line \($0)" }
            #expect(try await store.appendLog(run: run.id, by: holder, offset: 4, lines: many) == 2504)
            #expect(try await store.log(run: run.id, from: 2503) == ["line 2499"])
        }
    }

    /// A batch of task events and lines lands whole (on PostgreSQL usually in one statement), once
    /// however often it is sent, and only from the holder; measures are recorded once per name.
    @Test(arguments: Database.allCases)
    func taskEventsAndLinesLandTogetherOnceAndOnlyFromTheHolder(database: Database) async throws {
        try await withStore(database) { store, _ in
            let (run, holder) = try await claimedRun(store)
            let first: [RunStore.Report] = [.taskStarted(position: 0, title: "build"), .lines(["==> build"])]
            #expect(try await store.report(run: run.id, by: holder, offset: 0, first) == 1)
            #expect(try await store.report(run: run.id, by: holder, offset: 0, first) == 1, "a resend")
            let second: [RunStore.Report] = [
                .lines(["built"]), .taskFinished(position: 0, status: .passed, error: nil),
                .taskStarted(position: 1, title: "test"), .taskFinished(position: 1, status: .failed, error: "no", code: .taskExitStatus),
            ]
            #expect(try await store.report(run: run.id, by: holder, offset: 1, second) == 2)
            await #expect { try await store.report(run: run.id, by: RunHolder(owner: "x", attempt: 1), offset: 2, [.lines(["late"])]) } throws: {
                ($0 as? HangarError)?.code == .runStale
            }
            await #expect { try await store.report(run: run.id, by: holder, offset: 3, [.taskStarted(position: 2, title: "gap")]) } throws: {
                ($0 as? HangarError)?.code == .logGap
            }
            let tasks = try await store.tasks(run: run.id)
            #expect(
                tasks.map(\.title) == ["build", "test"] && tasks.map(\.status) == ["passed", "failed"] && tasks[1].errorCode == "task.exit-status"
            )
            #expect(try await store.log(run: run.id) == ["==> build", "built"])

            // The end comes with what the run measured (on PostgreSQL in one statement), once.
            let stale = [Measure(name: "stale", value: 9)]
            #expect(try await store.finish(run.id, owner: "x", attempt: 1, as: .passed, measured: stale)?.refusal != nil)
            let twice = [
                Measure(name: "rps", value: 1, unit: "1/s"), Measure(name: "rps", value: 2, unit: "1/s"), Measure(name: "a", value: 3, unit: ""),
            ]
            let ended = try await store.finish(run.id, owner: "w", attempt: 1, as: .failed, reason: "no", measured: twice)
            #expect(ended?.action == .write && ended?.run.state == .failed && ended?.run.reason == "no" && ended?.run.record.leaseExpiresAt == nil)
            #expect(try await store.finish(run.id, owner: "w", attempt: 1, as: .failed, measured: stale)?.action == RunLifecycle.Action.none)
            #expect(try await store.measures(run: run.id).map { "\($0.name)=\($0.value)" } == ["a=3.0", "rps=2.0"])
            try await store.saveMeasures([Measure(name: "a", value: 4, unit: "s")], run: run.id, project: "p", job: "j", cell: nil)
            #expect(try await store.measures(run: run.id).map { "\($0.name)=\($0.value)" } == ["a=4.0", "rps=2.0"])
        }
    }

    @Test(arguments: Database.allCases)
    func aWebhookDeliveryIsRecordedWithItsRunsOnce(database: Database) async throws {
        try await withStore(database) { store, location in
            let runs = [
                NewRun(project: "p", job: "a", parameters: ["HANGAR_COMMIT": "abc"], maxAttempts: 2),
                NewRun(project: "p", job: "b", parameters: [:], maxAttempts: 1),
            ]
            func record(_ replica: RunStore) async -> Result<[StoredRun]?, any Error> {
                do {
                    return .success(try await replica.recordDelivery("github:1", project: "p", result: "triggered", runs: runs))
                } catch {
                    return .failure(error)
                }
            }
            let outcomes = try await withReplica(location) { other in
                async let one = record(store)
                async let two = record(other)
                return await [one, two]
            }
            let recorded = try outcomes.map { try $0.get() }
            #expect(recorded.compactMap { $0 }.count == 1, "one replica records it; the other sees a replay")
            #expect(try await store.runs().count == 2)
            #expect(try await store.runs(job: "a").first?.parameters == ["HANGAR_COMMIT": "abc"])
        }
    }

    @Test(arguments: Database.allCases)
    func oneReplicaLeadsUntilItsLeaseRunsOut(database: Database) async throws {
        try await withStore(database) { store, _ in
            var leads: [Bool] = []
            leads.append(try await store.lead("scheduler", holder: "a", for: 30))
            leads.append(try await store.lead("scheduler", holder: "b", for: 30))
            clock.advance(20)
            leads.append(try await store.lead("scheduler", holder: "a", for: 30))
            clock.advance(31)
            leads.append(try await store.lead("scheduler", holder: "b", for: 30))
            leads.append(try await store.lead("scheduler", holder: "a", for: 30))
            #expect(leads == [true, false, true, true, false])
        }
    }

    @Test(arguments: Database.allCases)
    func tokensAreStoredHashed(database: Database) async throws {
        try await withStore(database) { store, location in
            let (token, secret) = try await store.createToken(name: "ci", role: .operator)
            #expect(try await store.token(secret: secret)?.id == token.id)
            #expect(try await store.token(secret: secret + "x") == nil)
            #expect(try await store.tokens().map(\.name) == ["ci"])
            let revoked = try await store.revokeToken(token.id)
            #expect(revoked)
            #expect(try await store.token(secret: secret) == nil, "revoked here: refused at once")
            // Revoked on another replica: refused here within a second (a lookup is kept that long).
            let (other, otherSecret) = try await store.createToken(name: "other", role: .viewer)
            #expect(try await store.token(secret: otherSecret)?.id == other.id)
            #expect(try await withReplica(location) { try await $0.revokeToken(other.id) })
            clock.advance(0.5)
            #expect(try await store.token(secret: otherSecret)?.id == other.id, "still kept")
            clock.advance(0.6)
            #expect(try await store.token(secret: otherSecret) == nil, "gone after a second")
        }
    }
}

extension RunStoreTests {
    @Test(arguments: Database.allCases)
    func signaturesMatchesAndDelayedRetriesKeep(database: Database) async throws {
        try await withStore(database) { store, _ in
            let mirror = Signature(name: "mirror", kind: .infrastructure, pattern: "resolve")
            try await store.saveSignature(mirror, source: "api")
            try await store.replaceFileSignatures([Signature(name: "old", kind: .flaky, pattern: "x")])
            try await store.replaceFileSignatures([Signature(name: "bug", kind: .knownBug, pattern: "BUG", issue: "https://bugs/1")])
            #expect(try await store.signatures().map(\.signature.name) == ["bug", "mirror"])
            #expect(try await store.signature(named: "bug")?.source == "file")
            #expect(try await store.deleteSignature(named: "mirror"))
            #expect(try await !store.deleteSignature(named: "mirror"))

            // Two failed runs, one explained.
            for _ in 0..<2 {
                _ = try await store.enqueue(project: "demo", job: "test")
                let run = try #require(try await store.claimNext(owner: "w", lease: 30))
                _ = try await store.finish(run.id, owner: "w", attempt: 1, as: .failed, reason: "exit 1", failure: nil)
            }
            let match = SignatureMatch(signature: "bug", kind: .knownBug, issue: "https://bugs/1", line: 4, text: "kernel: BUG")
            try await store.saveMatches([match], run: 1)
            try await store.saveMatches([match], run: 1, replacing: ["bug"])
            #expect(try await store.matches(run: 1) == [match])
            #expect(try await store.unclassifiedRuns().map(\.id) == [2])
            #expect(try await store.endedRuns(since: 0).map(\.id) == [2, 1])
            #expect(try await store.classificationRate(days: 3) == [ClassificationDay(day: "1970-01-01", failed: 2, classified: 1)])
            let hits = try await store.signatureHits()
            #expect(hits.count == 1 && hits["bug"]?.runs == 1 && hits["bug"]?.last == clock.now)

            // An automatic retry waits for its delay before anyone may claim it.
            var retry = NewRun(project: "demo", job: "test", parameters: [:], maxAttempts: 2)
            retry.delay = 60
            retry.retryOf = 1
            retry.automaticRetries = 1
            let queued = try await store.enqueue(retry)
            #expect(queued.notBefore == clock.now + 60 && queued.retryOf == 1 && queued.automaticRetries == 1)
            #expect(try await store.retry(of: 1)?.id == queued.id)
            #expect(try await store.retry(of: 2) == nil)
            #expect(try await store.claimNext(owner: "w", lease: 30) == nil)
            clock.advance(61)
            #expect(try await store.claimNext(owner: "w", lease: 30)?.id == queued.id)
        }
    }
}
