public import HangarCore
public import HangarHandlers
public import HangarMachine
import Synchronization

/// The outcome of a run.
public struct RunResult: Sendable {
    /// How it ended.
    public var status: RunStatus
    /// The error that ended it, if any.
    public var error: HangarError?
    /// The position of the task that failed (0 for the first), if one did.
    public var failedTask: Int?
    /// How long it took.
    public var duration: Duration
    /// Where its log (`log.txt`) and collected files (`artifacts/`) are; set by the workspace.
    public var folder: String?
    /// What it measured (`RunMeasurements`); set by the workspace.
    public var measurements: [Measure] = []
    /// The machines it left up (`Workspace.keepMachines`, `hangar up`); set by the workspace.
    public var kept: [MachineRecord] = []
}

/// Runs a job's steps in order: prepare then execute each, stop at the first failure (after a test
/// failure, the steps that gather results, such as `collect`, still run), and then finalize every
/// step that started, in reverse, even after a failure, a timeout or cancellation.
public enum JobRunner {
    /// Runs `plan` in `context`. Cancelling the calling task cancels the run (it still finalizes).
    public static func run(_ plan: JobPlan, context: TaskContext) async -> RunResult {
        let clock = ContinuousClock()
        let start = clock.now
        let started = StartedSteps()
        let jobTimeout = HangarError(.runTimeout, "the job timed out after \(DurationText.format(plan.job.timeout)) (its 'timeout:')")
        let expired = OnceFlag()
        // How it ended, and the position of the task that failed.
        typealias Ending = (status: RunStatus, error: HangarError?, task: Int?)
        let outcome = await withTimeLimit(plan.job.timeout, expired: expired) { () async -> Ending in
            // After a test failure, only the steps that gather what it left (`collect`) still run.
            var failure: Ending?
            for (index, step) in plan.steps.enumerated() {
                if Task.isCancelled { return (.cancelled, nil, nil) }
                if failure != nil, !type(of: step.handler).runsAfterFailure { continue }
                if step.prepares, context.on(step.machines[0])[.machine]?.restoredFrom != nil {
                    // The snapshot the machine came from was saved after this task ran.
                    context.emit(.taskStarted(index: index, count: plan.steps.count, title: step.title))
                    context.emit(.notice("skipped: the machine was restored from a snapshot saved after this task ran"))
                    context.emit(.taskFinished(index: index, title: step.title, status: .skipped, duration: .zero, error: nil))
                    continue
                }
                context.emit(.taskStarted(index: index, count: plan.steps.count, title: step.title))
                started.append(step, at: index)
                let stepStart = clock.now
                var (status, error) = await runStep(step, at: index, context: context)
                // Cancelled by the job's timeout: the task timed out, and says why.
                if status == .cancelled, expired.isSet { (status, error) = (.timedOut, Self.blame(jobTimeout, on: step)) }
                context.emit(.taskFinished(index: index, title: step.title, status: status, duration: clock.now - stepStart, error: error))
                if status == .failed {
                    failure = failure ?? (status, error, index)
                } else if status != .passed {
                    return failure ?? (status, error, index)
                }
            }
            return failure ?? (.passed, nil, nil)
        }
        // The job's timeout stopped the task that was running.
        var ending: Ending = (.timedOut, started.lastIndex.map { Self.blame(jobTimeout, on: plan.steps[$0]) } ?? jobTimeout, started.lastIndex)
        if case .finished(let finished) = outcome { ending = finished }
        let (status, error) = (ending.status, ending.error)
        // Finalizers run in a fresh task, so a cancelled run still cleans up completely.
        await Task {
            // A task run elsewhere was finalized there.
            for step in started.all.reversed() where elsewhere(step, context) == nil {
                for machine in step.machines.reversed() { await step.handler.finalize(context.on(machine)) }
            }
        }.value
        return RunResult(
            status: Task.isCancelled && status == .passed ? .cancelled : status,
            error: error,
            failedTask: status == .passed ? nil : ending.task,
            duration: clock.now - start
        )
    }

    private static func runStep(_ step: JobPlan.Step, at index: Int, context: TaskContext) async -> (RunStatus, HangarError?) {
        let result = await withTimeLimit(step.timeout) { () async -> HangarError? in
            guard let placed = elsewhere(step, context) else { return await perform(step, context: context) }
            do throws(HangarError) {
                let output = try await placed(index)
                for line in output.lines { context.emit(.output(line, isError: false)) }
                return output.error
            } catch {
                return error
            }
        }
        guard case .finished(let result) = result else { return (.timedOut, blame(timeout(of: step), on: step)) }
        if Task.isCancelled { return (.cancelled, result ?? HangarError(.runCancelled, "cancelled")) }
        guard let error = result else { return (.passed, nil) }
        return (RunStatus(failure: error), error)
    }

    /// The error of `step` running past its own `timeout:`.
    static func timeout(of step: JobPlan.Step) -> HangarError {
        HangarError(.taskTimeout, "'\(step.title)' timed out after \(DurationText.format(step.timeout ?? .zero)) (its 'timeout:')")
    }

    /// Prepares and executes `step` here, on each of its machines at once; its first error, if it
    /// failed (which stops it on the others).
    static func perform(_ step: JobPlan.Step, context: TaskContext) async -> HangarError? {
        let views = step.machines.map(context.on)
        guard views.count > 1 else { return await perform(step.handler, in: views.first ?? context) }
        return await withTaskGroup(of: HangarError?.self) { group in
            for view in views { group.addTask { await perform(step.handler, in: view) } }
            var first: HangarError?
            for await case let error? in group where first == nil {
                first = error
                group.cancelAll()
            }
            return first
        }
    }

    private static func perform(_ handler: any Handler, in context: TaskContext) async -> HangarError? {
        do throws(HangarError) {
            try await handler.prepare(context)
            try await handler.execute(context)
            return nil
        } catch {
            return error
        }
    }

    /// How to run `step` away from this host, when its handler is placed elsewhere and the run has
    /// somewhere else (server mode); nil: it runs here.
    private static func elsewhere(_ step: JobPlan.Step, _ context: TaskContext) -> PlacedRunner? {
        type(of: step.handler).placement == .worker ? nil : context.placed
    }

    /// A timeout in a task that runs the job's tests is a test failure; elsewhere the infrastructure's.
    static func blame(_ timeout: HangarError, on step: JobPlan.Step) -> HangarError {
        var timeout = timeout
        timeout.kind = type(of: step.handler).runsTests ? .test : .infrastructure
        return timeout
    }
}

/// The steps that started, for finalizing.
final class StartedSteps: Sendable {
    private let steps = Mutex<[(index: Int, step: JobPlan.Step)]>([])
    func append(_ step: JobPlan.Step, at index: Int) { steps.withLock { $0.append((index, step)) } }
    var all: [JobPlan.Step] { steps.withLock { $0.map(\.step) } }
    /// The position in the plan of the step started last.
    var lastIndex: Int? { steps.withLock { $0.last?.index } }
}
