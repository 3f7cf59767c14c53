import Foundation
public import HangarCore
public import HangarMachine
import Synchronization

/// A typed key into the job context.
public struct ContextKey<Value: Sendable>: Sendable {
    /// The key's name, as persisted.
    public let name: String
    /// True when each of the job's machines has its own value (`TaskContext.on(_:)`).
    public let perMachine: Bool
    /// A key called `name`.
    public init(_ name: String, perMachine: Bool = false) {
        self.name = name
        self.perMachine = perMachine
    }
}

extension ContextKey where Value == CachedImage {
    /// The boot disk `image.fetch` cached.
    public static var image: ContextKey { ContextKey("image", perMachine: true) }
    /// The kernel `image.fetch` cached.
    public static var kernel: ContextKey { ContextKey("kernel", perMachine: true) }
    /// The initrd `image.fetch` cached.
    public static var initrd: ContextKey { ContextKey("initrd", perMachine: true) }
}

extension ContextKey where Value == MachineRecord {
    /// The machine `machine.boot` started.
    public static var machine: ContextKey { ContextKey("machine", perMachine: true) }
}

/// One of the machines a job boots: as the run resolved it (parameters filled in, its NIC on the
/// job's private network), and the state folder id it gets.
public struct JobMachine: Sendable {
    public var spec: MachineSpec
    public var id: String

    public init(spec: MachineSpec, id: String) {
        self.spec = spec
        self.id = id
    }
}

/// What a task run away from this host (`Placement`) printed, and how it ended (nil: passed).
public struct PlacedOutput: Sendable {
    public var lines: [String]
    public var error: HangarError?

    public init(lines: [String], error: HangarError?) {
        self.lines = lines
        self.error = error
    }
}

extension PlacedOutput {
    /// What a runner reports of it: the error as text, cut to fit (`PlacedTaskLimits`).
    public var result: PlacedTaskResult {
        PlacedTaskResult(
            passed: error == nil,
            lines: lines,
            error: PlacedTaskLimits.capped(error: error?.description),
            code: error?.code,
            kind: error?.kind
        )
    }

    /// A reported end, as the run's holder takes it.
    public init(_ result: PlacedTaskResult) {
        lines = result.lines
        error = result.passed ? nil : HangarError(result.code ?? .taskFailed, result.error ?? "failed", kind: result.kind ?? .infrastructure)
    }
}

/// Runs the run's task at a position where its handler's placement says (server mode).
public typealias PlacedRunner = @Sendable (_ position: Int) async throws(HangarError) -> PlacedOutput

/// What a task can see and use: the project, the host's machines, the run's folder, and the job
/// context that earlier tasks filled in.
///
/// A context acts on one of the job's machines (`machineSpec`, `self[.machine]`): the first, or the
/// one `on(_:)` names, whose view shares everything else with this one.
public final class TaskContext: Sendable {
    /// The project file.
    public let project: ProjectFile
    /// Every machine the job boots, in order.
    public let jobMachines: [JobMachine]
    /// The machine this context acts on.
    public let machineSpec: MachineSpec
    /// This host's machines (`Machines`; a `FakeHypervisor` in handler tests).
    public let machines: any Hypervisor
    /// The state folder id the machine this context acts on gets.
    public let machineID: String
    /// True for `hangar up`: the machine stays up after the run.
    public let keepMachine: Bool
    /// Use only cached images.
    public let offline: Bool
    /// The run's folder (`log.txt`, `artifacts/`).
    public let runFolder: String
    /// The run's parameter values, given to commands as environment variables.
    public let parameters: [String: String]
    /// Reports an event.
    public let emit: @Sendable (RunEvent) -> Void
    /// The worker's warm pool (`pool: N`); nil outside server mode.
    public let pool: WarmPool?
    /// Runs a task whose handler is placed on the coordinator or on every worker; nil outside
    /// server mode, where every task runs here.
    public let placed: PlacedRunner?
    /// The shell of a machine's guest: `GuestSSH`, or a scripted one in tests.
    public let guest: @Sendable (MachineRecord) -> any GuestShell
    /// The clock tasks wait by (`wait`); a test's own clock in tests.
    public let clock: any Clock<Duration>
    /// What runs host programs (`host` tasks); a scripted runner in tests.
    public let processes: any ProcessRunner
    private let values: Values

    /// A context for one run, acting on the first of `jobMachines` (never empty).
    public init(
        project: ProjectFile,
        jobMachines: [JobMachine],
        machines: any Hypervisor,
        keepMachine: Bool,
        offline: Bool,
        runFolder: String,
        parameters: [String: String] = [:],
        pool: WarmPool? = nil,
        placed: PlacedRunner? = nil,
        guest: @escaping @Sendable (MachineRecord) -> any GuestShell = { GuestSSH($0) },
        clock: any Clock<Duration> = ContinuousClock(),
        processes: any ProcessRunner = HostProcesses(),
        emit: @escaping @Sendable (RunEvent) -> Void
    ) {
        self.values = Values()
        self.jobMachines = jobMachines
        self.guest = guest
        self.clock = clock
        self.processes = processes
        self.pool = pool
        self.placed = placed
        self.project = project
        self.machineSpec = jobMachines[0].spec
        self.machines = machines
        self.machineID = jobMachines[0].id
        self.keepMachine = keepMachine
        self.offline = offline
        self.runFolder = runFolder
        self.parameters = parameters
        self.emit = emit
    }

    /// `run`'s context, sharing its values, acting on `machine`.
    private init(_ run: TaskContext, acting machine: JobMachine) {
        values = run.values
        jobMachines = run.jobMachines
        guest = run.guest
        clock = run.clock
        processes = run.processes
        pool = run.pool
        placed = run.placed
        project = run.project
        machineSpec = machine.spec
        machines = run.machines
        machineID = machine.id
        keepMachine = run.keepMachine
        offline = run.offline
        runFolder = run.runFolder
        parameters = run.parameters
        emit = run.emit
    }

    /// The same run acting on the job's machine `name` (this context when it is this one's).
    public func on(_ name: String) -> TaskContext {
        guard name != machineSpec.name, let machine = jobMachines.first(where: { $0.spec.name == name }) else { return self }
        return TaskContext(self, acting: machine)
    }

    /// Reads or writes a value of the job context (of this context's machine, for a `perMachine` key).
    public subscript<Value>(key: ContextKey<Value>) -> Value? {
        get { values.storage.withLock { $0[name(of: key)] as? Value } }
        set { values.storage.withLock { $0[name(of: key)] = newValue } }
    }

    private func name<Value>(of key: ContextKey<Value>) -> String { key.perMachine ? "\(key.name)@\(machineSpec.name)" : key.name }

    /// The job context's values, shared by the views of one run.
    private final class Values: Sendable {
        let storage = Mutex<[String: any Sendable]>([:])
    }

    /// The shell of the machine `machine.boot` started.
    public func shell() throws(HangarError) -> any GuestShell { guest(try machine()) }

    /// The machine `machine.boot` started, or an error saying a boot task is needed.
    public func machine() throws(HangarError) -> MachineRecord {
        guard let machine = self[.machine] else {
            throw .usage(.taskNoMachine, "this task needs a running machine; add a 'machine.boot' task before it")
        }
        return machine
    }
}
