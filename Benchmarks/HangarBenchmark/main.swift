// Boot benchmark (issues 2 and 10). Run:
//   swift run -c release hangar-bench [--guest debian|test] [--rounds N]
// after scripts/build-debian-guest.sh (the default guest, when built) or scripts/build-test-guest.sh.
//
// Rounds alternate, in one session, three ways to a machine answering its first SSH command:
// 1. raw QEMU: a shell loop that starts QEMU with the arguments Hangar used (on its own new overlay,
//    with the same seed) and polls ssh every 100 ms — the baseline;
// 2. `hangar up` cold (`snapshot: false`) and the first command;
// 3. `hangar up` restored from a snapshot (`snapshot: true`, saved once before the rounds).
// Prints medians and each one's ratio to the baseline, and the size of the kept snapshot.
// Then, from the warm pool: a real `hangar serve` with `pool: 1`, trigger to the end of a one-command
// run (`hangar remote trigger -f`), each round once the pool is full again (after the other rounds:
// an idle pool machine would share the CPUs with them). Then the memory (PSS, which counts shared
// pages once) of N cold-booted machines against N restored ones, all up at once (`--machines N`, 3).
// Then: creating a machine's disk (the overlay) on a 1 GB and a 20 GB image, which must not grow with size.
import ArgumentParser
import BenchmarkSupport
import Foundation
import HangarCore
import HangarMachine

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hangar-bench")
    @Option(help: "The guest: debian (the default, once built) or test.") var guest: String?
    @Option(help: "Rounds of each way to a machine.") var rounds = 3
    @Option(help: "Machines up at once for the memory figure.") var machines = 3
}
let options = Options.parseOrExit()
let root = Bench.root
let debianGuest = ProcessInfo.processInfo.environment["HANGAR_DEBIAN_GUEST"] ?? "\(root)/.build/debian-guest"
let testGuest = ProcessInfo.processInfo.environment["HANGAR_TEST_GUEST"] ?? "\(root)/.build/test-guest"
let guestKind = options.guest ?? (FileManager.default.fileExists(atPath: "\(debianGuest)/disk.qcow2") ? "debian" : "test")
let rounds = options.rounds
let work = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-bench-\(getpid())").path
let hangar = ["\(root)/.build-release/release/hangar", "\(root)/.build/release/hangar", "\(root)/.build/debug/hangar"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}!
let environment = ["HANGAR_STATE_DIR": "\(work)/state", "HANGAR_CACHE_DIR": "\(work)/cache"]
defer { try? FileManager.default.removeItem(atPath: work) }

let machine =
    guestKind == "debian"
    ? """
        image: \(debianGuest)/disk.qcow2
        kernel: \(debianGuest)/vmlinuz
        initrd: \(debianGuest)/initrd.img
        append: root=/dev/vda rw console=ttyS0 no_timer_check
        memory: 1G
    """
    : """
        kernel: \(testGuest)/vmlinuz
        initrd: \(testGuest)/initrd.img
        append: console=ttyS0 quiet no_timer_check
        memory: 512M
        ssh: { identity: \(testGuest)/id_ed25519 }
    """
let machineCount = options.machines
var projects = [("cold", false), ("restored", true), ("projects/pooled", true)]
projects += (0..<machineCount).flatMap { [("cold-\($0)", false), ("restored-\($0)", true)] }
for (name, snapshot) in projects {
    try FileManager.default.createDirectory(atPath: "\(work)/\(name)", withIntermediateDirectories: true)
    try
        "machines:\n  default:\n\(machine)\n    accel: tcg\n    snapshot: \(snapshot)\n\(name.hasPrefix("projects") ? "    pool: 1\n" : "")jobs:\n  first: { tasks: [{ run: 'true' }] }\n"
        .write(toFile: "\(work)/\(name)/hangar.yml", atomically: true, encoding: .utf8)
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).seconds
}

func hangarCommand(_ arguments: [String], in project: String) async throws -> CommandResult {
    let result = try await Command.run([hangar] + arguments, environment: environment, directory: "\(work)/\(project)")
    guard result.status == 0 else { fatalError("hangar \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
    return result
}

/// `hangar up` and a first command, in seconds; the machine is destroyed after.
func up(_ project: String, before destroying: (MachineRecord) throws -> Void = { _ in }) async throws -> Double {
    let time = try await seconds {
        _ = try await hangarCommand(["up"], in: project)
        _ = try await hangarCommand(["exec", "--", "true"], in: project)
    }
    let record = MachineRegistry(state: "\(work)/state").list().map(\.record).first { $0.project.hasSuffix("/\(project)") }!
    try destroying(record)
    _ = try await hangarCommand(["destroy"], in: project)
    return time
}

func median(_ values: [Double]) -> Double { percentile(values, 0.5) }

/// Keeps what the baseline needs of Hangar's cold machine: QEMU's arguments, its seed and key.
func keepForBaseline(_ record: MachineRecord) throws {
    let folder = "\(work)/baseline-template"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(record.pid)/cmdline"))
    let arguments = cmdline.split(separator: 0).map {
        String(decoding: $0, as: UTF8.self).replacingOccurrences(of: record.folder, with: "\(work)/baseline")
    }
    try JSONSerialization.data(withJSONObject: ["arguments": arguments, "user": record.sshUser, "backing": record.backingImage ?? ""])
        .write(to: URL(fileURLWithPath: "\(folder)/plan.json"))
    for file in ["seed.iso", "id_ed25519"] where FileManager.default.fileExists(atPath: "\(record.folder)/\(file)") {
        try FileManager.default.copyItem(atPath: "\(record.folder)/\(file)", toPath: "\(folder)/\(file)")
    }
    if !FileManager.default.fileExists(atPath: "\(folder)/id_ed25519") {
        try FileManager.default.copyItem(atPath: record.identity, toPath: "\(folder)/id_ed25519")
    }
}

/// The baseline: QEMU started by a shell with Hangar's arguments on a new overlay, ssh polled every 100 ms.
func raw() async throws -> Double {
    let template = "\(work)/baseline-template"
    let folder = "\(work)/baseline"
    let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(template)/plan.json"))) as! [String: Any]
    let arguments = plan["arguments"] as! [String]
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.copyItem(atPath: template, toPath: folder)
    let port = arguments.first { $0.contains("hostfwd") }!.split(separator: ":")[2].split(separator: "-")[0]
    let backing = plan["backing"] as! String
    let overlay =
        arguments.contains { $0.contains("\(folder)/disk.qcow2") } ? "qemu-img create -q -f qcow2 -F qcow2 -b \(backing) \(folder)/disk.qcow2" : ""
    let loop = """
        \(overlay)
        \(ShellQuote.join(arguments)) & pid=$!
        until ssh -F /dev/null -i \(folder)/id_ed25519 -p \(port) -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o BatchMode=yes -o ConnectTimeout=3 -o LogLevel=ERROR \(plan["user"] as! String)@127.0.0.1 true; do sleep 0.1; done
        kill $pid; wait $pid
        """
    return try await seconds { _ = try await Command.run(["bash", "-c", loop]) }
}

print("guest: \(guestKind); saving the snapshot the restored rounds use")
_ = try await up("restored")
_ = try await up("cold", before: keepForBaseline)
var times: [String: [Double]] = [:]
for round in 1...rounds {
    let figures = [("raw", try await raw()), ("cold", try await up("cold")), ("restored", try await up("restored"))]
    for (name, time) in figures { times[name, default: []].append(time) }
    print("round \(round): " + figures.map { String(format: "%@ %.2fs", $0.0, $0.1) }.joined(separator: ", "))
}
let baseline = median(times["raw"]!)
print(String(format: "to the first SSH command, medians: raw QEMU %.2fs", baseline))
for (name, goal) in [("cold", "<= 1.05"), ("restored", "<= 0.07")] {
    print(String(format: "  hangar up %@: %.2fs, ratio to raw %.3f (goal %@)", name, median(times[name]!), median(times[name]!) / baseline, goal))
}

/// Trigger to the end of a one-command run on a real `hangar serve`, whose pool is full each time.
func fromThePool() async throws -> [Double] {
    let port = PortPicker.freePort()
    let token = try await hangarCommand(["token", "create", "--role", "operator", "--name", "bench"], in: "cold").stdout
        .trimmingCharacters(in: .whitespacesAndNewlines)
    let server = try await Command.start(
        [hangar, "serve", "--projects", "\(work)/projects", "--port", "\(port)"],
        log: "\(work)/serve.log",
        environment: environment
    )
    defer { server.signal(SIGTERM) }
    func readyCount() -> Int {
        ((try? String(contentsOfFile: "\(work)/serve.log", encoding: .utf8)) ?? "").components(separatedBy: "is ready").count - 1
    }
    func trigger() async throws -> Double {
        let ready = readyCount()
        while readyCount() == ready { try await Task.sleep(for: .milliseconds(50)) }
        return try await seconds {
            _ = try await hangarCommand(
                ["remote", "trigger", "pooled/first", "-f", "--server", "http://127.0.0.1:\(port)", "--token", token],
                in: "cold"
            )
        }
    }
    try await Task.sleep(for: .seconds(2))
    // The first run restores from the snapshot and fills the pool.
    _ = try await hangarCommand(["remote", "trigger", "pooled/first", "-f", "--server", "http://127.0.0.1:\(port)", "--token", token], in: "cold")
    var times: [Double] = []
    for _ in 1...rounds { times.append(try await trigger()) }
    _ = await server.stop()
    return times
}
let pooled = try await fromThePool()
print(String(format: "  from the warm pool, trigger to the run's end: %.2fs (goal < 1 s)", median(pooled)))

/// The summed PSS and RSS (MiB) of `count` machines of `kind` (cold or restored), all up at once.
func memory(_ kind: String) async throws -> (pss: Int, rss: Int) {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<machineCount { group.addTask { _ = try await hangarCommand(["up"], in: "\(kind)-\(index)") } }
        try await group.waitForAll()
    }
    var total = (pss: 0, rss: 0)
    for (record, _) in MachineRegistry(state: "\(work)/state").list() where record.project.contains("/\(kind)-") {
        let rollup = (try? String(contentsOfFile: "/proc/\(record.pid)/smaps_rollup", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            Int(rollup.split(separator: "\n").first { $0.hasPrefix(name) }?.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        total.pss += field("Pss:") / 1024
        total.rss += field("Rss:") / 1024
    }
    for index in 0..<machineCount { _ = try await hangarCommand(["destroy"], in: "\(kind)-\(index)") }
    return total
}
for kind in ["cold", "restored"] {
    let used = try await memory(kind)
    print("memory of \(machineCount) \(kind) machines up at once: PSS \(used.pss) MiB, RSS \(used.rss) MiB")
}

for snapshot in Snapshots(cache: "\(work)/cache").entries() {
    print("snapshot kept: \(snapshot.size / 1_048_576) MiB on disk for a \(guestKind == "debian" ? "1 GiB" : "512 MiB") machine")
}

for size in ["1G", "20G"] {
    let base = "\(work)/base-\(size).qcow2"
    _ = try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", base, size])
    var disk: [Double] = []
    for index in 0..<5 {
        disk.append(try await seconds { try await Overlay.create(at: "\(work)/overlay-\(size)-\(index).qcow2", on: base, size: nil) })
    }
    print(String(format: "machine disk on a %@ image: median %.1f ms", size, median(disk) * 1000))
}
