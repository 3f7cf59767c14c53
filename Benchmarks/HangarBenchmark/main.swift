// Benchmarks for issue 2. Run: swift run -c release hangar-bench [rounds]   (after scripts/test.sh built the guest)
//
// 1. `hangar up` to the first SSH command, against a plain shell loop that starts QEMU with the same
//    arguments and polls ssh every 100 ms; rounds alternate in one session; medians and the ratio.
// 2. Creating a machine's disk (the overlay) on a 1 GB and a 20 GB image: must not grow with size.
import Foundation
import HangarCore
import HangarMachine

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let guest = ProcessInfo.processInfo.environment["HANGAR_TEST_GUEST"] ?? "\(root)/.build/test-guest"
let rounds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 5
let work = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-bench-\(getpid())").path
let hangar = ["\(root)/.build/release/hangar", "\(root)/.build/debug/hangar"].first { FileManager.default.isExecutableFile(atPath: $0) }!
let environment = ["HANGAR_STATE_DIR": "\(work)/state", "HANGAR_CACHE_DIR": "\(work)/cache"]
try FileManager.default.createDirectory(atPath: "\(work)/project", withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
try """
machines:
  default:
    kernel: \(guest)/vmlinuz
    initrd: \(guest)/initrd.img
    append: console=ttyS0 quiet
    memory: 512M
    accel: tcg
    ssh: { identity: \(guest)/id_ed25519 }
""".write(toFile: "\(work)/project/hangar.yml", atomically: true, encoding: .utf8)

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).seconds
}

func hangarCommand(_ arguments: [String]) async throws -> CommandResult {
    try await Command.run([hangar] + arguments, environment: environment, directory: "\(work)/project")
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// QEMU's arguments from the machine Hangar runs, to replay them in the baseline.
func qemuArguments() throws -> [String] {
    let record =
        try JSONSerialization.jsonObject(
            with: Data(
                contentsOf: URL(
                    fileURLWithPath:
                        "\(work)/state/machines/\(try FileManager.default.contentsOfDirectory(atPath: "\(work)/state/machines")[0])/machine.json"
                )
            )
        ) as! [String: Any]
    let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(record["pid"] as! Int)/cmdline"))
    return cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
}

var hangarTimes: [Double] = []
var baselineTimes: [Double] = []
var replay: [String] = []
for round in 0..<rounds {
    let hangarTime = try await seconds {
        let up = try await hangarCommand(["up"])
        guard up.status == 0 else { fatalError("hangar up failed: \(up.stderr)") }
        _ = try await hangarCommand(["exec", "--", "true"])
    }
    replay = try qemuArguments()
    _ = try await hangarCommand(["destroy"])
    // The baseline: the same QEMU arguments (its own folder for sockets and logs), ssh polled every 100 ms.
    let folder = "\(work)/baseline"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let arguments = replay.map { $0.replacingOccurrences(of: #"/state/machines/[^/,]+"#, with: "/baseline", options: .regularExpression) }
    let port = arguments.first { $0.contains("hostfwd") }!.split(separator: ":")[2].split(separator: "-")[0]
    let loop = """
        \(ShellQuote.join(arguments)) & pid=$!
        until ssh -F /dev/null -i \(guest)/id_ed25519 -p \(port) -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o BatchMode=yes -o ConnectTimeout=3 -o LogLevel=ERROR root@127.0.0.1 true; do sleep 0.1; done
        kill $pid; wait $pid
        """
    let baselineTime = try await seconds { _ = try await Command.run(["bash", "-c", loop]) }
    hangarTimes.append(hangarTime)
    baselineTimes.append(baselineTime)
    print(String(format: "round %d: hangar %.2fs, shell loop %.2fs", round + 1, hangarTime, baselineTime))
}
let ratio = median(hangarTimes) / median(baselineTimes)
print(
    String(
        format: "up to first SSH command: hangar median %.2fs, shell loop median %.2fs, ratio %.3f (goal <= 1.10)",
        median(hangarTimes),
        median(baselineTimes),
        ratio
    )
)

for size in ["1G", "20G"] {
    let base = "\(work)/base-\(size).qcow2"
    _ = try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", base, size])
    var times: [Double] = []
    for index in 0..<5 {
        times.append(try await seconds { try await Overlay.create(at: "\(work)/overlay-\(size)-\(index).qcow2", on: base, size: nil) })
    }
    print(String(format: "machine disk on a %@ image: median %.1f ms", size, median(times) * 1000))
}
