import Foundation
import HangarCore
import HangarEngine
import HangarHandlers
import HangarMachine
import HangarTestSupport
import Synchronization
import Testing

/// A test handler with a name for its step.
protocol Labelled: Handler {
    var label: String { get }
}

/// What a wrapped probe says of itself to the runner.
protocol ProbeTraits: Sendable {
    static var runsAfterFailure: Bool { get }
    static var runsTests: Bool { get }
    static var placement: Placement { get }
}

extension ProbeTraits {
    static var placement: Placement { .worker }
}

/// Runs on the coordinator, as `notify` does.
enum OnTheCoordinator: ProbeTraits {
    static let runsAfterFailure = false
    static let runsTests = false
    static let placement = Placement.coordinator
}

/// Still runs after a test failure, as `collect` does.
enum Gathers: ProbeTraits {
    static let runsAfterFailure = true
    static let runsTests = false
}

/// Runs the job's own commands, as `run` and `host` do.
enum RunsTests: ProbeTraits {
    static let runsAfterFailure = false
    static let runsTests = true
}

/// A probe with other traits.
struct Flavoured<Traits: ProbeTraits>: Labelled {
    static var name: String { "flavoured" }
    static var summary: String { "test" }
    static var options: [OptionDoc] { [] }
    static var runsAfterFailure: Bool { Traits.runsAfterFailure }
    static var runsTests: Bool { Traits.runsTests }
    static var placement: Placement { Traits.placement }
    let probe: Probe
    var label: String { probe.label }

    init(options: OptionReader) throws(HangarError) { fatalError("built directly") }
    init(_ probe: Probe) { self.probe = probe }

    func execute(_ context: TaskContext) async throws(HangarError) { try await probe.execute(context) }
    func finalize(_ context: TaskContext) async { await probe.finalize(context) }
}

typealias Gatherer = Flavoured<Gathers>
typealias TestCommand = Flavoured<RunsTests>
typealias CoordinatorTask = Flavoured<OnTheCoordinator>

/// A handler for testing the runner's logic: records its calls, and fails, hangs or succeeds.
struct Probe: Labelled {
    static let name = "probe"
    static let summary = "test"
    static let options: [OptionDoc] = []
    enum Behaviour: Sendable {
        case pass
        case fail(HangarError.Kind)
        case hang
    }

    let label: String
    let behaviour: Behaviour
    let journal: Journal

    init(options: OptionReader) throws(HangarError) { fatalError("built directly") }

    init(_ label: String, _ behaviour: Behaviour = .pass, journal: Journal) {
        self.label = label
        self.behaviour = behaviour
        self.journal = journal
    }

    func execute(_ context: TaskContext) async throws(HangarError) {
        journal.add("execute \(label)")
        switch behaviour {
        case .pass: return
        case .fail(let kind): throw HangarError(HangarError.Code(rawValue: "probe"), "\(label) failed", kind: kind)
        case .hang: try? await Task.sleep(for: .seconds(3600))
        }
    }

    func finalize(_ context: TaskContext) async { journal.add("finalize \(label)") }
}

final class Journal: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite struct JobRunnerTests {
    let journal = Journal()
    /// How each task ended, as the run's events said: `b timed-out: <message>`.
    let endings = Journal()

    func run(
        _ probes: [any Labelled],
        jobTimeout: Duration = .seconds(60),
        stepTimeout: Duration? = nil,
        placed: PlacedRunner? = nil
    ) async throws -> RunResult {
        let project = try ProjectFile.parse(
            "machines:\n  default:\n    image: ./a\njobs:\n  j:\n    tasks: []\n",
            path: "/tmp/p/hangar.yml",
            displayName: "hangar.yml"
        )
        var plan = try JobPlan(JobSpec(name: "j", machine: "default", timeout: jobTimeout, tasks: [], location: "x"))
        plan.steps = probes.map { JobPlan.Step(title: $0.label, handler: $0, timeout: stepTimeout, machines: [project.machines[0].name]) }
        let context = TaskContext(
            project: project,
            jobMachines: [JobMachine(spec: project.machines[0], id: "t")],
            machines: FakeHypervisor(),
            keepMachine: false,
            offline: true,
            runFolder: "/nonexistent/run",
            placed: placed
        ) { [endings] event in
            if case .taskFinished(_, let title, let status, _, let error) = event {
                endings.add("\(title) \(status.rawValue): \(error?.message ?? "")")
            }
            if case .output(let line, _) = event { endings.add("output: \(line)") }
        }
        return await JobRunner.run(plan, context: context)
    }

    @Test func allPassingStepsPassAndFinalizeInReverse() async throws {
        let result = try await run([Probe("a", journal: journal), Probe("b", journal: journal)])
        #expect(result.status == .passed)
        #expect(journal.all == ["execute a", "execute b", "finalize b", "finalize a"])
    }

    @Test func aTaskPlacedElsewhereRunsThereAndWhatItPrintedComesBack() async throws {
        let asked = Journal()
        let probes: [any Labelled] = [Probe("a", journal: journal), CoordinatorTask(Probe("b", journal: journal)), Probe("c", journal: journal)]
        let result = try await run(probes) { position throws(HangarError) in
            asked.add("task \(position)")
            return PlacedOutput(lines: ["said on the coordinator"], error: nil)
        }
        #expect(result.status == .passed)
        #expect(asked.all == ["task 1"])
        #expect(journal.all == ["execute a", "execute c", "finalize c", "finalize a"], "it was finalized where it ran")
        #expect(endings.all.contains("output: said on the coordinator"))
    }

    @Test func aTaskThatFailedElsewhereFailsTheRunHere() async throws {
        let probes: [any Labelled] = [CoordinatorTask(Probe("b", journal: journal)), Probe("c", journal: journal)]
        let result = try await run(probes) { _ throws(HangarError) in
            PlacedOutput(lines: [], error: HangarError(.notifyWebhook, "the hook answered HTTP 500"))
        }
        #expect(result.status == .error)
        #expect(result.failedTask == 0)
        #expect(result.error?.code == .notifyWebhook)
        #expect(journal.all.isEmpty)
    }

    @Test func withNowhereElseToRunAPlacedTaskRunsHere() async throws {
        let result = try await run([CoordinatorTask(Probe("b", journal: journal))])
        #expect(result.status == .passed)
        #expect(journal.all == ["execute b", "finalize b"])
    }

    @Test func aPlacedStepRunsOnlyWhereItsHandlerIsPlaced() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-placed-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let workspace = try Workspace(
            text: "jobs:\n  tidy:\n    tasks:\n      - host: touch \(folder)/ran\n      - use: snapshots.prune\n",
            path: "\(folder)/hangar.yml",
            paths: HangarPaths(cache: "\(folder)/cache", state: "\(folder)/state"),
            notice: { _ in }
        )
        let refused = await PlacedStep.run(workspace, job: "tidy", position: 0, parameters: [:], folder: folder, here: .coordinator)
        #expect(refused.error?.code == .taskPlacement, "a worker may not have the coordinator run its host commands")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/ran"))
        #expect(
            await PlacedStep.run(workspace, job: "tidy", position: 1, parameters: [:], folder: folder, here: .coordinator).error?.code
                == .taskPlacement
        )
        #expect(
            await PlacedStep.run(workspace, job: "tidy", position: 7, parameters: [:], folder: folder, here: .everyWorker).error?.code
                == .taskPlacement
        )
        let pruned = await PlacedStep.run(workspace, job: "tidy", position: 1, parameters: [:], folder: folder, here: .everyWorker)
        #expect(pruned.error == nil)
        #expect(pruned.lines == ["removed 0 snapshot(s), 0 MiB"])
    }

    @Test func aTestFailureStopsTheRunAsFailedAndStillFinalizes() async throws {
        let result = try await run([Probe("a", journal: journal), Probe("b", .fail(.test), journal: journal), Probe("c", journal: journal)])
        #expect(result.status == .failed)
        #expect(result.error?.message == "b failed")
        #expect(journal.all == ["execute a", "execute b", "finalize b", "finalize a"])
    }

    @Test func afterATestFailureOnlyTheGatheringStepsRun() async throws {
        let result = try await run([
            Probe("a", .fail(.test), journal: journal), Probe("b", journal: journal), Gatherer(Probe("collect", journal: journal)),
        ])
        #expect(result.status == .failed)
        #expect(result.error?.message == "a failed", "the first failure is the run's")
        #expect(result.failedTask == 0)
        #expect(journal.all == ["execute a", "execute collect", "finalize collect", "finalize a"])
        #expect(endings.all == ["a failed: a failed", "collect passed: "])
    }

    @Test func afterAnInfrastructureErrorNothingMoreRuns() async throws {
        let result = try await run([Probe("a", .fail(.infrastructure), journal: journal), Gatherer(Probe("collect", journal: journal))])
        #expect(result.status == .error)
        #expect(journal.all == ["execute a", "finalize a"])
    }

    @Test func anInfrastructureFailureIsAnError() async throws {
        let result = try await run([Probe("a", .fail(.infrastructure), journal: journal)])
        #expect(result.status == .error)
    }

    @Test(.timeLimit(.minutes(1))) func aStepTimeoutEndsTheRunTimedOut() async throws {
        let result = try await run([Probe("a", .hang, journal: journal), Probe("b", journal: journal)], stepTimeout: .milliseconds(200))
        #expect(result.status == .timedOut)
        #expect(journal.all == ["execute a", "finalize a"])
    }

    @Test(.timeLimit(.minutes(1))) func theJobTimeoutEndsTheRunTimedOut() async throws {
        let result = try await run([Probe("a", journal: journal), Probe("b", .hang, journal: journal)], jobTimeout: .milliseconds(300))
        #expect(result.status == .timedOut)
        #expect(result.error?.message == "the job timed out after 0.3s (its 'timeout:')")
        #expect(result.failedTask == 1, "the task it stopped")
        #expect(journal.all == ["execute a", "execute b", "finalize b", "finalize a"])
        // The task the timeout stopped timed out too; it was not "cancelled".
        #expect(endings.all == ["a passed: ", "b timed-out: the job timed out after 0.3s (its 'timeout:')"])
    }

    @Test(.timeLimit(.minutes(1))) func aTimeoutInATestCommandIsATestFailureElsewhereTheInfrastructures() async throws {
        let inTests = try await run([TestCommand(Probe("tests", .hang, journal: journal))], jobTimeout: .milliseconds(200))
        #expect(inTests.status == .timedOut)
        #expect(inTests.error?.kind == .test)
        let inBoot = try await run([Probe("boot", .hang, journal: journal)], jobTimeout: .milliseconds(200))
        #expect(inBoot.error?.kind == .infrastructure)
        let ownLimit = try await run([TestCommand(Probe("tests", .hang, journal: journal))], stepTimeout: .milliseconds(200))
        #expect(ownLimit.error?.code == .taskTimeout)
        #expect(ownLimit.error?.kind == .test)
    }

    @Test(.timeLimit(.minutes(1))) func cancellingTheRunStillFinalizes() async throws {
        let journal = journal
        let task = Task { try await run([Probe("a", journal: journal), Probe("b", .hang, journal: journal)]) }
        while !journal.all.contains("execute b") { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let result = try await task.value
        #expect(result.status == .cancelled)
        #expect(journal.all == ["execute a", "execute b", "finalize b", "finalize a"])
    }
}

@Suite struct JobPlanTests {
    func plan(_ tasks: String, prepare: String? = nil) throws(HangarError) -> JobPlan {
        let project = try ProjectFile.parse(
            "machines:\n  default:\n    image: ./a\njobs:\n  j:\n\(prepare.map { "    prepare:\n\($0)" } ?? "")    tasks:\n\(tasks)",
            path: "/p/hangar.yml",
            displayName: "hangar.yml"
        )
        return try JobPlan(project.jobs[0])
    }

    @Test func implicitFetchAndBootComeFirst() throws {
        #expect(try plan("      - run: make\n").steps.map(\.title) == ["image.fetch", "machine.boot", "run: make"])
    }

    @Test func hostOnlyJobsBootNothing() throws {
        #expect(try plan("      - host: \"true\"\n").steps.map(\.title) == ["host: true"])
    }

    @Test func anExplicitBootReplacesTheImplicitOnes() throws {
        let titles = try plan("      - host: echo before\n      - use: machine.boot\n      - run: make\n").steps.map(\.title)
        #expect(titles == ["host: echo before", "machine.boot", "run: make"])
    }

    @Test func prepareTasksRunAfterTheBootAndBeforeTheSave() throws {
        let prepared = try plan("      - run: make\n", prepare: "      - run: apt-get install -y gcc\n      - host: echo ready\n")
        #expect(
            prepared.steps.map(\.title) == [
                "image.fetch", "machine.boot", "prepare: run: apt-get install -y gcc", "prepare: host: echo ready", "machine.snapshot", "run: make",
            ]
        )
        #expect(prepared.steps.map(\.prepares) == [false, false, true, true, false, false])
        let boot = try #require(prepared.steps[1].handler as? MachineBoot)
        #expect(boot.preparation.contains("apt-get install -y gcc"))
        // Only host tasks, but preparing a machine boots it.
        #expect(try plan("      - host: make\n", prepare: "      - run: 'true'\n").steps.count == 5)
    }

    @Test func theSameTasksWrittenTwoWaysPrepareTheSameSnapshot() throws {
        let flow = try plan("      - run: make\n", prepare: "      - { use: copy, with: { to: /a, from: b } }\n")
        let block = try plan("      - run: make\n", prepare: "      - use: copy\n        with:\n          from: b\n          to: /a\n")
        #expect(flow.job.preparation == block.job.preparation)
        #expect(try plan("      - run: make\n", prepare: "      - run: b\n").job.preparation != flow.job.preparation)
    }

    @Test func aBootCannotBeAPrepareTask() {
        #expect { try plan("      - run: make\n", prepare: "      - use: machine.boot\n") } throws: { error in
            "\(error)".hasPrefix("hangar.yml:7:9: 'machine.boot' cannot be a 'prepare:' task")
        }
    }

    @Test func unknownHandlersSuggestAndSayWhere() {
        #expect { try plan("      - use: colect\n") } throws: { error in
            "\(error)".hasPrefix("hangar.yml:7:9: unknown handler 'colect' (did you mean 'collect'?)")
        }
    }

    @Test func unknownOptionsAreRejected() {
        #expect { try plan("      - use: collect\n        with: { pathz: [a] }\n") } throws: { error in
            "\(error)".contains("unknown option of 'collect' 'pathz' (did you mean 'paths'?)")
        }
    }

    @Test func missingOptionsAreNamed() {
        #expect { try plan("      - use: copy\n        with: { from: a }\n") } throws: { error in
            "\(error)".contains("missing option 'to'")
        }
    }

    @Test func everyHandlerDocumentsItsOptions() {
        for handler in HandlerRegistry.all {
            #expect(!handler.summary.isEmpty)
            for option in handler.options { #expect(!option.summary.isEmpty, "\(handler.name).\(option.name)") }
        }
    }
}
