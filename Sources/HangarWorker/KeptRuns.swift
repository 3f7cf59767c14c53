import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import Synchronization

/// The machines ended runs kept up on this worker (`keep:`): each run holds a slot and its
/// machines' memory until the coordinator says to destroy them (expired, destroyed by someone).
final class KeptRuns: Sendable {
    private let runs = Mutex<[Int: [MachineRecord]]>([:])

    /// Slots they hold: one per run.
    var count: Int { runs.withLock { $0.count } }

    /// Memory (MiB) they hold.
    var memory: Int { runs.withLock { $0.values.joined().reduce(0) { $0 + ($1.kept?.memory ?? 0) } } }

    /// The runs, for the heartbeat; nil when none.
    var ids: [Int]? {
        let ids = runs.withLock { $0.keys.sorted() }
        return ids.isEmpty ? nil : ids
    }

    func add(_ run: Int, _ records: [MachineRecord]) { runs.withLock { $0[run] = records } }

    /// Forgets run `run`'s machines and gives them back, to destroy.
    func remove(_ run: Int) -> [MachineRecord] { runs.withLock { $0.removeValue(forKey: run) ?? [] } }

    /// The port on this host that reaches port `guest` of run `run`'s kept machine `machine`.
    func hostPort(run: Int, machine: String, guest: Int) -> Int? {
        runs.withLock { $0[run]?.first { $0.name == machine } }.map(Self.described)?.hostPort(guest: guest)
    }

    /// The runs one of whose machines' QEMU has ended.
    func dead() -> [Int] { runs.withLock { $0.filter { !$0.value.allSatisfy(MachineRegistry.isAlive) }.map(\.key) } }

    /// What `keep:` does when its run ends: adds `key` to each guest's `authorized_keys`, marks the
    /// records (so a restarted worker adopts them) and says in the run's log how to reach them.
    /// Nil, with the machines destroyed, when the run was cancelled or `lost` (it is not this
    /// worker's any more), or a record cannot be written.
    func keep(
        _ records: [MachineRecord],
        of assignment: API.Assignment,
        status: RunStatus,
        lost: Bool,
        worker: String,
        machines: Machines,
        say: @Sendable (String) -> Void
    ) async -> [API.KeptMachine]? {
        let run = assignment.run.id
        guard status != .cancelled, !lost else {
            for record in records { await machines.destroy(record) }
            return nil
        }
        var marked: [MachineRecord] = []
        for var record in records {
            if let key = assignment.sshKey { await Self.authorize(key, in: record, say: say) }
            record.kept = KeptMark(run: run, memory: assignment.memory / records.count)
            do {
                try machines.registry.save(record)
            } catch {
                say("cannot keep the machines: \(error); destroying them")
                for record in records { await machines.destroy(record) }
                return nil
            }
            marked.append(record)
        }
        add(run, marked)
        let seconds = Duration.seconds(assignment.keep ?? 0)
        for record in marked {
            say(
                "machine '\(record.name)' kept up for \(DurationText.format(seconds)) on worker \(worker): ssh -p \(record.sshPort) \(record.sshUser)@127.0.0.1 there"
            )
        }
        return marked.map(Self.described)
    }

    /// A kept machine as the coordinator hears of it.
    static func described(_ record: MachineRecord) -> API.KeptMachine {
        API.KeptMachine(
            name: record.name,
            sshPort: record.sshPort,
            sshUser: record.sshUser,
            ports: record.ports.map { API.Machine.Port(host: $0.host, guest: $0.guest) },
            address: record.network?.address
        )
    }

    /// Adds `key` to the login user's `authorized_keys` in `record`'s guest; says so when it cannot
    /// (the machine is kept all the same).
    private static func authorize(_ key: String, in record: MachineRecord, say: (String) -> Void) async {
        let line = key.trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
        let script = "umask 077; mkdir -p ~/.ssh && cat >> ~/.ssh/authorized_keys"
        do {
            let result = try await GuestSSH(record).run(script, input: Data(line.utf8))
            if result.status != 0 { say("machine '\(record.name)': cannot add the SSH key (status \(result.status)): \(result.stderr)") }
        } catch {
            say("machine '\(record.name)': cannot add the SSH key: \(error)")
        }
    }
}
