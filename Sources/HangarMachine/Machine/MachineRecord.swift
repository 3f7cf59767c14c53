public import Foundation
public import HangarCore

/// What Hangar knows about one machine, kept as `machine.json` in its state folder.
public struct MachineRecord: Sendable, Codable {
    /// The state folder's name, unique on this host.
    public var id: String
    /// The machine's name in hangar.yml.
    public var name: String
    /// The folder of the project's hangar.yml.
    public var project: String
    /// The state folder.
    public var folder: String
    /// QEMU's process id.
    public var pid: Int32
    /// QEMU's start time in clock ticks since boot (`/proc/PID/stat` field 22), so a reused pid is not taken for it.
    public var pidStartTime: UInt64
    /// The host port forwarded to the guest's SSH port.
    public var sshPort: Int
    /// Declared forwards with the host ports actually used.
    public var ports: [PortForward]
    /// The user to log in as.
    public var sshUser: String
    /// The private key to log in with.
    public var identity: String
    /// The image (URL or path) the machine was made from.
    public var image: String
    /// `kvm` or `tcg`.
    public var accel: String
    /// True for `hangar run`'s throwaway machines.
    public var ephemeral: Bool
    /// When QEMU was started.
    public var created: Date
    /// The cached file the machine boots from.
    public var backingImage: String?
    /// The snapshot the machine was restored from; nil when it booted.
    public var restoredFrom: String?
    /// The worker whose run or warm pool booted it (server mode); nil for a developer's machine.
    /// A worker that restarts destroys the throwaway machines its own last life left, and no others.
    public var owner: String?
    /// Its NIC on the private network of the machines its job booted with it (`PrivateNetwork`).
    public var network: PrivateNIC?
    /// Set when a run on a worker kept it up after it ended (`keep:`): a restarted worker adopts it
    /// while its QEMU lives, and destroys the worker's other machines.
    public var kept: KeptMark?

    /// Files in the state folder.
    public var overlayPath: String { "\(folder)/disk.qcow2" }
    /// The serial console log.
    public var serialLog: String { "\(folder)/serial.log" }
    /// QEMU's own stdout/stderr.
    public var qemuLog: String { "\(folder)/qemu.log" }
    /// The QMP control socket.
    public var qmpSocket: String { "\(folder)/qmp.sock" }
}

/// The run a kept machine belongs to, and the memory (MiB) it counts for on its worker.
public struct KeptMark: Sendable, Codable, Equatable {
    public var run: Int
    public var memory: Int

    public init(run: Int, memory: Int) {
        self.run = run
        self.memory = memory
    }
}

/// Whether a machine's QEMU is still there.
public enum MachineState: String, Sendable, Codable {
    /// QEMU is running.
    case running
    /// QEMU is gone but its state folder is left: `hangar up` or `destroy` cleans it.
    case stale
}
