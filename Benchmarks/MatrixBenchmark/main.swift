// Matrix and multi-machine benchmark (issue 22). Run:
//   swift build -c release && .build/release/hangar-bench-matrix [--rounds N] [--parallel N]
// after scripts/build-test-guest.sh.
//
// On the test guest, a 3 × 2 matrix job of one command: `hangar run test --parallel 3` (every cell,
// three at once) against the baseline of its six cells run one after another (`hangar run test
// --cell C`, six commands), alternating in one session. Prints the medians and the ratio (goal ≤ 0.6
// on two cores). Then a job of three machines against a job of one, by the run's `boot_seconds`
// (boot to SSH; of three, until the last answers and all joined their network), cold (goal ≤ 1.3)
// and restored from snapshots (goal ≤ 2 × one restore), alternating.
import ArgumentParser
import BenchmarkSupport
import Foundation
import HangarCore
import HangarMachine

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench-matrix")
    @Option(help: "Rounds of each way.") var rounds = 2
    @Option(help: "Cells at once in the matrix run.") var parallel = 3
}
let options = Options.parseOrExit()
let guest = ProcessInfo.processInfo.environment["HANGAR_TEST_GUEST"] ?? "\(Bench.root)/.build/test-guest"
guard FileManager.default.fileExists(atPath: "\(guest)/vmlinuz") else { fatalError("no test guest in \(guest): run scripts/build-test-guest.sh") }
let work = try Bench.folder("matrix")
defer { try? FileManager.default.removeItem(atPath: work) }
let environment = ["HANGAR_STATE_DIR": "\(work)/state", "HANGAR_CACHE_DIR": "\(work)/cache"]
let spec =
    "kernel: \(guest)/vmlinuz, initrd: \(guest)/initrd.img, append: console=ttyS0 quiet no_timer_check, memory: 512M, accel: tcg, "
    + "ssh: { identity: \(guest)/id_ed25519 }"
try """
machines:
  default:
    kernel: \(guest)/vmlinuz
    initrd: \(guest)/initrd.img
    append: console=ttyS0 quiet no_timer_check
    memory: 512M
    accel: tcg
    ssh: { identity: \(guest)/id_ed25519 }
\(["a", "b", "c"].map { "  \($0): { \(spec), snapshot: false }\n  \($0)-saved: { \(spec), snapshot: true }\n" }.joined())
jobs:
  test:
    matrix: { SIZE: [small, medium, large], MODE: [fast, safe] }
    tasks: [{ run: 'echo "$SIZE/$MODE"' }]
  one: { machine: a, tasks: [{ run: "true" }] }
  three: { machines: [a, b, c], tasks: [{ run: "true" }] }
  one-restored: { machine: a-saved, tasks: [{ run: "true" }] }
  three-restored: { machines: [a-saved, b-saved, c-saved], tasks: [{ run: "true" }] }
""".write(toFile: "\(work)/hangar.yml", atomically: true, encoding: .utf8)
let cells = ["small/fast", "small/safe", "medium/fast", "medium/safe", "large/fast", "large/safe"]

/// Runs `hangar ARGUMENTS`; what it printed on stderr.
@discardableResult
func hangar(_ arguments: [String]) async throws -> String {
    let result = try await Command.run([Bench.hangar] + arguments, environment: environment, directory: work)
    guard result.status == 0 else { fatalError("hangar \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
    return result.stderr
}

/// The `boot_seconds` a run of `job` measured.
func bootSeconds(_ job: String) async throws -> Double {
    let said = try await hangar(["run", job])
    guard let line = said.split(separator: "\n").first(where: { $0.hasPrefix("measured: boot_seconds = ") }),
        let value = Double(line.dropFirst("measured: boot_seconds = ".count).prefix { $0 != " " })
    else { fatalError("no boot_seconds in the run of \(job): \(said)") }
    return value
}

var matrix: [Double] = []
var oneByOne: [Double] = []
for round in 1...options.rounds {
    let sequential = try await timed { for cell in cells { try await hangar(["run", "test", "--cell", cell]) } }
    let parallel = try await timed { try await hangar(["run", "test", "--parallel", "\(options.parallel)"]) }
    oneByOne.append(sequential)
    matrix.append(parallel)
    say(
        String(
            format: "round %d: six cells one after another %.1fs, the matrix with --parallel %d %.1fs",
            round,
            sequential,
            options.parallel,
            parallel
        )
    )
}
let (baseline, measured) = (percentile(oneByOne, 0.5), percentile(matrix, 0.5))
say(
    String(
        format: "medians: one after another %.1fs, --parallel %d %.1fs, ratio %.2f (goal <= 0.6)",
        baseline,
        options.parallel,
        measured,
        measured / baseline
    )
)

// Three machines against one: cold, then restored (a first run of each saves the snapshots).
for job in ["one-restored", "three-restored"] { try await hangar(["run", job]) }
for (one, three, goal) in [("one", "three", "<= 1.3"), ("one-restored", "three-restored", "<= 2")] {
    var single: [Double] = []
    var trio: [Double] = []
    for _ in 1...max(3, options.rounds) {
        single.append(try await bootSeconds(one))
        trio.append(try await bootSeconds(three))
    }
    let (baseline, measured) = (percentile(single, 0.5), percentile(trio, 0.5))
    let figures = [baseline, measured, measured / baseline].map { String(format: "%.2f", $0) }
    say("boot to SSH, medians: \(one) \(figures[0])s, \(three) \(figures[1])s, ratio \(figures[2]) (goal \(goal))")
}
