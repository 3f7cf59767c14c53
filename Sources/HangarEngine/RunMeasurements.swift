import Foundation
public import HangarCore
import HangarHandlers
import Synchronization

/// What a run measures, taken from its events as they happen: its tasks' measurement lines
/// (`Measure.parse`; a wrong one is said, and the run goes on) and its machines' boot to SSH
/// (`boot_seconds`, until the last of several answers); at its end, its duration (`run_seconds`). They are written under the run's
/// artifacts (`Measure.fileName`), so a worker's upload brings them to the server.
final class RunMeasurements: Sendable {
    private let taken = Mutex<[Measure]>([])

    /// Notes what `event` measured; a notice to say when it is a wrong measurement line.
    func note(_ event: RunEvent) -> RunEvent? {
        switch event {
        case .output(let line, _):
            switch Measure.parse(line) {
            case .measurement(let measurement)?: taken.withLock { $0.append(measurement) }
            case .wrong(let why)?: return .notice("measurement ignored: \(why)")
            case nil: break
            }
        // Of a job of several machines, the boot of all of them (`machine.boot: db, web`).
        case .taskFinished(_, let title, .passed, let duration, _) where title == MachineBoot.name || title.hasPrefix("\(MachineBoot.name): "):
            taken.withLock { $0.append(Measure(name: "boot_seconds", value: duration.seconds, unit: "s")) }
        default: break
        }
        return nil
    }

    /// Every measurement with the run's duration, written into `folder`'s artifacts; a file that
    /// cannot be written is said through `say` (the run's result stands). A run folder removed
    /// meanwhile (by what ran the run) is not made again.
    func finish(_ result: RunResult, folder: String, say: @Sendable (RunEvent) -> Void) -> [Measure] {
        let all = taken.withLock { $0 } + [Measure(name: "run_seconds", value: result.duration.seconds, unit: "s")]
        let artifacts = "\(folder)/artifacts"
        guard FileManager.default.fileExists(atPath: folder) else { return all }
        do {
            if !FileManager.default.fileExists(atPath: artifacts) {
                try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: false)
            }
            try JSONEncoder().encode(all).write(to: URL(fileURLWithPath: "\(artifacts)/\(Measure.fileName)"))
        } catch {
            say(.notice("cannot write the run's measurements into \(artifacts): \(error.localizedDescription)"))
        }
        return all
    }
}
