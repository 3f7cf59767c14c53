import Foundation

/// One machine as hangar.yml describes it.
public struct MachineSpec: Sendable, Hashable, Codable {
    /// The key under `machines:`.
    public var name: String
    /// The boot disk; nil for a pure kernel+initrd machine.
    public var image: ImageSource?
    /// Kernel for direct kernel boot.
    public var kernel: ImageSource?
    /// Initial ramdisk for direct kernel boot.
    public var initrd: ImageSource?
    /// Kernel command line for direct kernel boot.
    public var append: String?
    /// Guest memory.
    public var memory: ByteSize
    /// Labels a worker must have to boot it (`kvm`).
    public var requires: [String] = []
    /// Virtual CPUs.
    public var cpus: Int
    /// Grow the machine's disk to this size (the image is never changed).
    public var disk: ByteSize?
    /// TCP ports forwarded from 127.0.0.1 to the guest.
    public var ports: [PortForward]
    /// Host folder (absolute path) made available at /hangar in the guest.
    public var share: String?
    /// How to log in.
    public var ssh: SSHSpec
    /// Accelerator choice.
    public var accel: Acceleration
    /// How long to wait for SSH after starting QEMU.
    public var bootTimeout: Duration
    /// How long a serial console may stay silent while the guest does not answer SSH before the boot
    /// is taken for stuck and retried once; zero turns the watchdog off (for images that print nothing).
    public var bootWatchdog: Duration
    /// Boot once, keep the booted state, and restore it for later machines (`snapshot: true`).
    public var snapshot = false
    /// Each restored machine gets its own machine-id and SSH host keys (`snapshot: fresh`).
    public var freshIdentity = false
    /// Machines restored from the snapshot that each worker keeps ready for runs (`pool: N`, server mode).
    public var pool = 0
    /// Its NIC on the private network of a job that boots several machines; set by the run, not in hangar.yml.
    public var network: PrivateNIC?
    /// Where each key was written (`image` → `hangar.yml:4:12`), for errors found after parsing.
    public var locations: [String: String] = [:]

    /// A machine with the documented defaults: 1G memory, 2 CPUs, user `hangar`, `accel: auto`, 5m boot
    /// timeout, 60s boot watchdog.
    public init(name: String) {
        self.name = name
        self.memory = ByteSize(bytes: 0x4000_0000)
        self.cpus = 2
        self.ports = []
        self.ssh = SSHSpec(user: "hangar", identity: nil)
        self.accel = .auto
        self.bootTimeout = .seconds(300)
        self.bootWatchdog = .seconds(60)
    }
}

extension MachineSpec {
    /// Refuses, before anything boots, a file or folder it names that is not there: an image, a
    /// kernel, an initrd, an SSH identity, the shared folder. The error says where it was written.
    public func checkFiles() throws(HangarError) {
        let named: [(key: String, path: String?, folder: Bool)] = [
            ("image", image?.filePath, false), ("kernel", kernel?.filePath, false), ("initrd", initrd?.filePath, false),
            ("identity", ssh.identity, false), ("share", share, true),
        ]
        for (key, path, folder) in named {
            guard let path else { continue }
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            guard !exists || isFolder.boolValue == folder else {
                throw .usage(
                    folder ? .configNotAFolder : .configNotAFile,
                    "\(key): \(path) is a \(folder ? "file" : "folder"), not a \(folder ? "folder" : "file")",
                    at: locations[key]
                )
            }
            guard exists else {
                throw .usage(
                    folder ? .configMissingFolder : .configMissingFile,
                    "\(key): \(path) does not exist",
                    hint: "paths are relative to the folder of hangar.yml",
                    at: locations[key]
                )
            }
        }
    }
}

extension ImageSource {
    /// The path of a local file; nil for a URL.
    var filePath: String? {
        if case .file(let path) = self { return path }
        return nil
    }
}

/// One job: an ordered list of tasks run in one machine.
public struct JobSpec: Sendable {
    /// The key under `jobs:`.
    public var name: String
    /// The machines the job boots, in order (`machines: [db, web]`, or `machine: NAME` for one);
    /// without either, the machines its tasks name with `on:`, else `default` or the file's only one.
    /// Never empty.
    public var machines: [String]
    /// Its first machine: where a task without `on:` runs.
    public var machine: String { machines[0] }
    /// The whole job's time limit (default 1h).
    public var timeout: Duration
    /// The tasks, in order.
    public var tasks: [TaskSpec]
    /// Tasks that prepare the machine (installing packages, say) right after it boots. With
    /// `snapshot: true` they run before the machine is saved, and a restored machine skips them.
    public var prepare: [TaskSpec] = []

    /// What the `prepare:` tasks do, as text: part of a snapshot's key, so changing them saves a new one.
    public var preparation: String {
        prepare.map { "\($0.handler)\n\($0.options?.canonical ?? "")" }.joined(separator: "\n---\n")
    }
    /// How often the server runs it again when its worker is lost (not when it fails); default 1.
    public var retries = 1
    /// Labels a worker must have to run it (`kvm`, `arch=x86_64`), besides its machine's.
    public var requires: [String] = []
    /// What starts it on the server: pushes, pull requests, schedules.
    public var triggers: [JobTrigger] = []
    /// The values a run can be given, in the order written (a matrix's parameters among them).
    public var parameters: [JobParameter] = []
    /// Its cells, when it runs once per combination of values (`matrix:`).
    public var matrix: JobMatrix?
    /// The commit statuses a forge gets of a matrix job's runs (`status:`).
    public var statuses = CommitStatuses.perCell
    /// On the server: how long its machines stay up after a run ends (`keep: 4h`, `KeepRequest`);
    /// nil: destroyed at the end. `hangar run` ignores it (`hangar up JOB` keeps machines locally).
    public var keep: Duration?
    /// Where the job is defined, for messages.
    public var location: String

    /// A job running `tasks` in `machine`.
    public init(name: String, machine: String, timeout: Duration, tasks: [TaskSpec], location: String) {
        self.name = name
        self.machines = [machine]
        self.timeout = timeout
        self.tasks = tasks
        self.location = location
    }
}

/// One task: a handler and its options, as written.
public struct TaskSpec: Sendable {
    /// The handler's name, such as `run` or `collect`.
    public var handler: String
    /// The handler's options, checked by the handler.
    public var options: YAMLValue?
    /// This task's own time limit.
    public var timeout: Duration?
    /// Where the task is written, for messages.
    public var location: String
    /// A short title for progress output, such as `run: make check`.
    public var title: String
    /// The machine it runs on (`on:`); nil: the job's first.
    public var on: String?

    /// A task of `handler` with `options`.
    public init(handler: String, options: YAMLValue?, timeout: Duration? = nil, location: String, title: String) {
        self.handler = handler
        self.options = options
        self.timeout = timeout
        self.location = location
        self.title = title
    }
}

/// How a matrix job's runs show on a forge's commit (`status:`).
public enum CommitStatuses: String, Sendable, CaseIterable {
    /// One status per cell: `hangar/test (debian-12/selinux)`.
    case perCell = "per-cell"
    /// One status for the whole group, `hangar/test`: the cells' combined state.
    case summary
}
