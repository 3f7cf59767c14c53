import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarHandlers
import Logging

/// Tasks placed away from the worker holding their run (`Placement`): this worker has the
/// coordinator run them for the runs it holds, and runs its own part of every-worker tasks.
extension WorkerAgent {
    /// Has the coordinator run task `position` of `held` where it is placed, asking again while the
    /// coordinator does not answer (asked again, it runs nothing twice).
    func runElsewhere(_ held: API.HeldRun, position: Int) async throws(HangarError) -> PlacedOutput {
        var backoff = Backoff()
        while true {
            do {
                return PlacedOutput(try await coordinator.runTask(held, worker: configuration.name, position: position))
            } catch {
                let failure = error as? HangarError ?? HangarError(.workerAnswer, "\(error)", cause: error)
                guard failure.code == .workerUnreachable, !Task.isCancelled else { throw failure }
                logger.warning("cannot have task \(position + 1) of run \(held.id) run; retrying", metadata: ["error": "\(failure)"])
                await backoff.wait(on: configuration.clock)
            }
        }
    }

    /// Runs this worker's part of an every-worker task in a folder of its own, and says how it
    /// ended, asking again while the coordinator does not answer.
    func runPart(_ order: API.TaskOrder) async {
        let folder = "\(configuration.runsFolder)/\(order.run.id)-task-\(order.position)"
        let output: PlacedOutput
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let workspace = try Workspace(
                text: order.projectFile,
                path: "\(order.projectPath)/hangar.yml",
                paths: configuration.paths,
                notice: { _ in }
            )
            output = await PlacedStep.run(
                workspace,
                job: order.job,
                position: order.position,
                parameters: order.parameters,
                folder: folder,
                here: .everyWorker
            )
        } catch {
            output = PlacedOutput(
                lines: [],
                error: error as? HangarError ?? HangarError(.taskFolder, "cannot make \(folder): \(error)", cause: error)
            )
        }
        try? FileManager.default.removeItem(atPath: folder)
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                try await coordinator.taskEnded(order, worker: configuration.name, output.result)
                return
            } catch {
                let failure = error as? HangarError ?? HangarError(.workerAnswer, "\(error)", cause: error)
                guard failure.code == .workerUnreachable else {
                    logger.warning(
                        "the coordinator refused the end of task \(order.position + 1) of run \(order.run.id)",
                        metadata: ["error": "\(failure)"]
                    )
                    return
                }
                await backoff.wait(on: configuration.clock)
            }
        }
    }
}
