// Matrix benchmark (issue 22). Run:
//   swift build -c release && .build/release/hangar-bench-matrix [--rounds N] [--parallel N]
// after scripts/build-test-guest.sh.
//
// On the test guest, a 3 × 2 matrix job of one command: `hangar run test --parallel 3` (every cell,
// three at once) against the baseline of its six cells run one after another (`hangar run test
// --cell C`, six commands), alternating in one session. Prints the medians and the ratio (goal ≤ 0.6
// on two cores).
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
try """
machines:
  default:
    kernel: \(guest)/vmlinuz
    initrd: \(guest)/initrd.img
    append: console=ttyS0 quiet no_timer_check
    memory: 512M
    accel: tcg
    ssh: { identity: \(guest)/id_ed25519 }
jobs:
  test:
    matrix: { SIZE: [small, medium, large], MODE: [fast, safe] }
    tasks: [{ run: 'echo "$SIZE/$MODE"' }]
""".write(toFile: "\(work)/hangar.yml", atomically: true, encoding: .utf8)
let cells = ["small/fast", "small/safe", "medium/fast", "medium/safe", "large/fast", "large/safe"]

func hangar(_ arguments: [String]) async throws {
    let result = try await Command.run([Bench.hangar] + arguments, environment: environment, directory: work)
    guard result.status == 0 else { fatalError("hangar \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
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
