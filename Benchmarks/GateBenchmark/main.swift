// Benchmark for issue 24: what speculative gating buys. A simulated gate on a fake clock: N changes
// approved at once, each bad with probability P (a bad change fails every run that includes it), a
// job of M minutes; Hangar's gate queue (`GateQueue`: window 20, nearest non-failing item) against
// a serial queue (test the head on the branch, merge, next) on the same changes, over several seeds.
// Prints changes merged per hour and runs spent per merged change for both, and the ratio.
// Run: swift run -c release hangar-bench-gate [--changes 50] [--failure 0.1] [--minutes 10] [--seeds 20]
import ArgumentParser
import Foundation
import HangarCore

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench-gate")
    @Option(help: "Changes approved at once.") var changes = 50
    @Option(help: "Each change's chance to be bad.") var failure = 0.1
    @Option(help: "The job's length in minutes.") var minutes = 10.0
    @Option(help: "Simulations, each with its own bad changes.") var seeds = 20
}

/// A reproducible generator (SplitMix64), so both queues see the same bad changes.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What one simulated gate did: hours until the queue was empty, changes merged, runs started.
struct Outcome {
    var hours: Double
    var merged: Int
    var runs: Int
}

/// Runs the gate until its queue is empty. A run ends `minutes` after it starts and passes when
/// neither its change nor any change in its base is bad; merges take no time.
func simulate(_ changes: [String], bad: Set<String>, serial: Bool, minutes: Double) -> Outcome {
    struct Run {
        var change: String
        var attempt: Int
        var base: [String]
        var ends: Double
    }
    var gate = GateQueue(serial: serial)
    var running: [Run] = []
    var outcome = Outcome(hours: 0, merged: 0, runs: 0)
    var now = 0.0
    func apply(_ first: GateQueue.Event) {
        var events = [first]
        while !events.isEmpty {
            for action in gate.apply(events.removeFirst()) {
                switch action {
                case .test(let change, let attempt, let base):
                    running.append(Run(change: change, attempt: attempt, base: base, ends: now + minutes))
                    outcome.runs += 1
                case .cancel(let change, let attempt): running.removeAll { $0.change == change && $0.attempt == attempt }
                case .merge(let change):
                    outcome.merged += 1
                    events.append(.merged(change))
                case .report: break
                }
            }
        }
    }
    for change in changes { apply(.enqueued(change)) }
    while let next = running.map(\.ends).min() {
        now = next
        // The runs ending now, in the queue's order (each one's end may cancel one after it).
        while let index = running.firstIndex(where: { $0.ends <= now }) {
            let run = running.remove(at: index)
            let passes = !bad.contains(run.change) && bad.isDisjoint(with: run.base)
            apply(passes ? .passed(run.change, attempt: run.attempt) : .failed(run.change, attempt: run.attempt, reason: "bad"))
        }
    }
    precondition(gate.items.isEmpty, "the simulated gate stopped with \(gate.items.count) changes in its queue")
    outcome.hours = now / 60
    return outcome
}

let options = Options.parseOrExit()
let changes = (1...options.changes).map { "change-\($0)" }
var speculative: [Outcome] = []
var serial: [Outcome] = []
for seed in 0..<options.seeds {
    var random = SplitMix(state: UInt64(seed))
    let bad = Set(changes.filter { _ in Double.random(in: 0..<1, using: &random) < options.failure })
    speculative.append(simulate(changes, bad: bad, serial: false, minutes: options.minutes))
    serial.append(simulate(changes, bad: bad, serial: true, minutes: options.minutes))
}

func perHour(_ outcomes: [Outcome]) -> Double { Double(outcomes.map(\.merged).reduce(0, +)) / outcomes.map(\.hours).reduce(0, +) }
func runsPerMerge(_ outcomes: [Outcome]) -> Double { Double(outcomes.map(\.runs).reduce(0, +)) / Double(outcomes.map(\.merged).reduce(0, +)) }
func format(_ value: Double) -> String { String(format: "%.2f", value) }

print("gate of \(options.changes) changes, \(Int(options.failure * 100)) % bad, a \(options.minutes)-minute job, \(options.seeds) seeds")
print("  speculative (window 20): \(format(perHour(speculative))) merged/h, \(format(runsPerMerge(speculative))) runs per merged change")
print("  serial:                  \(format(perHour(serial))) merged/h, \(format(runsPerMerge(serial))) runs per merged change")
print("  ratio: \(format(perHour(speculative) / perHour(serial)))× the merges per hour (goal ≥ 5)")
