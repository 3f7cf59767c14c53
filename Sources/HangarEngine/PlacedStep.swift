public import HangarCore
public import HangarHandlers
import HangarMachine
import Synchronization

/// A task of a run held elsewhere, run here because its handler is placed here (`Placement`): the
/// coordinator runs `coordinator` tasks, each worker its part of an `every-worker` task. It runs on
/// its own — no machine, the run's parameters — and what it prints is returned to the run's holder.
public enum PlacedStep {
    /// Runs task `position` of job `name` in `workspace`, refusing one whose handler is not placed
    /// `here` (a worker may not have the coordinator run its `host:` commands). `folder` is its
    /// working folder.
    public static func run(
        _ workspace: Workspace,
        job name: String,
        position: Int,
        parameters: [String: String],
        folder: String,
        here: Placement
    ) async -> PlacedOutput {
        let step: JobPlan.Step
        let job: JobSpec
        do throws(HangarError) {
            job = try workspace.project.job(named: name)
            let steps = try JobPlan(job).steps
            guard steps.indices.contains(position), type(of: steps[position].handler).placement == here else {
                throw .usage(.taskPlacement, "task \(position + 1) of job '\(name)' does not run \(here.phrase)")
            }
            step = steps[position]
        } catch {
            return PlacedOutput(lines: [], error: error)
        }
        let lines = Mutex<[String]>([])
        let context = TaskContext(
            project: workspace.project,
            jobMachines: [
                JobMachine(spec: workspace.project.machines.first { $0.name == job.machine } ?? MachineSpec(name: job.machine), id: "placed")
            ],
            machines: workspace.machines,
            keepMachine: false,
            offline: false,
            runFolder: folder,
            parameters: parameters
        ) { event in
            let line: String? =
                switch event {
                case .output(let text, _): text
                case .notice(let text): "note: \(text)"
                case .taskStarted, .taskFinished: nil
                }
            guard let line else { return }
            // One more than fits, so `capped` says some were dropped.
            lines.withLock { lines in if lines.count <= PlacedTaskLimits.maxLines { lines.append(line) } }
        }
        let limited = await withTimeLimit(step.timeout) { await JobRunner.perform(step, context: context) }
        await step.handler.finalize(context)
        let error: HangarError? =
            switch limited {
            case .finished(let failure): failure
            case .timedOut: JobRunner.timeout(of: step)
            }
        return PlacedOutput(lines: PlacedTaskLimits.capped(lines.withLock { $0 }), error: error)
    }
}
