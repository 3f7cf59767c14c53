// Benchmark for issue 9: classifying failed runs' logs against signatures.
// Run: swift run -c release hangar-bench-triage [--logs N] [--signatures N] [--kilobytes N] [--diverse]
//
// Writes N logs of about K KB each (kernel and build noise with pids, paths and addresses; one in
// ten ends with a line one of the signatures matches) and S signatures, then classifies every log
// against every signature the way the server does (a page at a time: the signatures' raw pieces
// looked for in the page's bytes, the lines holding one normalised and matched; each signature's
// first matching line) and, as the baseline in the same run, `grep -E -c -f` over the same files.
// Prints both totals, Hangar's per-log median, and the ratio.
import ArgumentParser
import BenchmarkSupport
import Foundation
import HangarCore
import HangarMachine

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench-triage")
    @Option(help: "Logs to classify.") var logs = 2_000
    @Option(help: "Signatures.") var signatures = 500
    @Option(help: "Each log's size in KB.") var kilobytes = 200
    @Flag(help: "Signatures that name their component with one of many words, some as short as 'OOM', instead of all 'component-N'.")
    var diverse = false
}
let options = Options.parseOrExit()
let (logCount, signatureCount, kilobytes) = (options.logs, options.signatures, options.kilobytes)
let work = try Bench.folder("triage")
try FileManager.default.createDirectory(atPath: "\(work)/logs", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }

// Signatures as people write them: a fixed phrase with a variable part. `--diverse`: the phrase
// starts with one of many words, so their pieces differ and the shortest (three letters) sets the
// skim's window.
let words = [
    "OOM", "EIO", "panic", "segfault", "timeout", "assertion", "deadlock", "checksum", "refused", "unreachable", "corrupted",
    "overflow", "denied", "missing", "invalid", "watchdog", "lockup", "hung_task", "BUG:", "Oops:",
]
func phrase(_ index: Int) -> String { options.diverse ? "\(words[index % words.count]) unit-\(index)" : "component-\(index)" }
let signatures = (0..<signatureCount).map { index in
    Signature(name: "s\(index)", kind: .knownBug, pattern: "\(phrase(index)) failed: error E\(index)[0-9]+ in .*[a-z_]+\\.c")
}
try signatures.map(\.pattern).joined(separator: "\n").write(toFile: "\(work)/patterns", atomically: true, encoding: .utf8)
let compiled = SignatureSet(try signatures.map(CompiledSignature.init))

// The logs.
var generator = SystemRandomNumberGenerator()
let noise = [
    "[%d.%06d] kernel: virtio_net virtio0 eth0: link up, pid %d at 0x7ffd%04x",
    "make[2]: Entering directory '/var/tmp/build-%d/src/module%d'",
    "cc -O2 -c /var/tmp/build-%d/src/file%d.c -o file%d.o",
    "test_%d ... ok (%d ms)",
    "systemd[%d]: Started session %d of user root.",
]
for index in 0..<logCount {
    var text = ""
    text.reserveCapacity(kilobytes * 1024 + 200)
    var number = 0
    while text.utf8.count < kilobytes * 1024 {
        let template = noise[Int.random(in: 0..<noise.count, using: &generator)]
        let line = template.replacingOccurrences(of: "%06d", with: "%d").split(separator: "%d", omittingEmptySubsequences: false)
            .map(String.init).joined(separator: "\(Int.random(in: 1...99_999, using: &generator))")
        text += line + "\n"
        number += 1
    }
    if index % 10 == 0 {
        let signature = index % signatureCount
        text += "\(phrase(signature)) failed: error E\(signature)42 in /var/tmp/build-7/src/driver_io.c:120\n"
    }
    try text.write(toFile: "\(work)/logs/\(index).log", atomically: false, encoding: .utf8)
}
print("\(logCount) logs of \(kilobytes) KB, \(signatureCount) signatures")

// Hangar: every log as one page (the server reads a run's log a page of lines at a time).
var perLog: [Double] = []
var matched = 0
let hangarStart = ContinuousClock.now
for index in 0..<logCount {
    let start = ContinuousClock.now
    let text = try String(contentsOfFile: "\(work)/logs/\(index).log", encoding: .utf8)
    var classifier = LogClassifier(compiled, for: FailedRun(project: "p", job: "j"))
    classifier.scan(page: text, firstLine: 0)
    matched += classifier.matches.isEmpty ? 0 : 1
    perLog.append((ContinuousClock.now - start) / .milliseconds(1))
}
let hangar = (ContinuousClock.now - hangarStart) / .seconds(1)
// Of which reading the files.
let readStart = ContinuousClock.now
for index in 0..<logCount { _ = try String(contentsOfFile: "\(work)/logs/\(index).log", encoding: .utf8) }
let reading = (ContinuousClock.now - readStart) / .seconds(1)

// The baseline: grep -E -f over the same files.
let grepStart = ContinuousClock.now
let grepOutput = try await Command.run(["sh", "-c", "grep -E -c -r -f \(work)/patterns \(work)/logs | grep -vc ':0$'"]).stdout
let grepSeconds = (ContinuousClock.now - grepStart) / .seconds(1)

perLog.sort()
let median = perLog[perLog.count / 2]
print(String(format: "hangar: %.2f s (reading the files: %.2f s), %.2f ms per log (median), %d logs matched", hangar, reading, median, matched))
print(String(format: "grep -E -f: %.2f s, %@ logs matched", grepSeconds, grepOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
print(String(format: "ratio hangar/grep: %.2f (goal ≤ 1.0; per log goal < 50 ms)", hangar / grepSeconds))
