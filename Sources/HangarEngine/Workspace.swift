public import Foundation
public import HangarCore
public import HangarHandlers
public import HangarMachine

/// One project's view of this host: its hangar.yml, its machines, and the runs it starts.
/// The developer commands (`up`, `run`, `status`, `destroy`, ...) are thin wrappers over this.
public struct Workspace: Sendable {
    /// The project file.
    public let project: ProjectFile
    /// This host's machines.
    public let machines: Machines
    /// The worker's warm pool, for machines with `pool: N` (server mode).
    public var pool: WarmPool?
    /// Runs the tasks placed on the coordinator or on every worker (server mode); nil: all run here.
    public var placed: PlacedRunner?
    /// The machines' notices during a run (a boot retried, a port changed, a snapshot restored) go
    /// into the run's log as `note:` lines (server mode), not to `Machines.notice`.
    public var machineNoticesInRunLog = false
    /// The worker whose runs these are (server mode): the machines they boot are its own
    /// (`MachineRecord.owner`), so its restart destroys what it left and nothing else.
    public var machineOwner: String?
    /// The run's machines stay up after it ends (server mode, a run with `keep:`): its result
    /// lists them (`RunResult.kept`), and they are the caller's to destroy.
    public var keepMachines = false

    /// Loads and validates the project at `file`, including every job's handlers and options.
    public init(
        file: String,
        paths: HangarPaths,
        report: @escaping @Sendable (ImageCache.ProgressEvent) -> Void,
        notice: @escaping @Sendable (String) -> Void
    ) throws(HangarError) {
        project = try ProjectFile.load(path: file)
        try JobPlan.validate(project)
        machines = Machines(paths: paths, cache: ImageCache(root: "\(paths.cache)", report: report), notice: notice)
    }

    /// The project in `text`, as if it were the file at `path` (a worker runs the job the
    /// coordinator resolved: relative paths in it stay relative to the coordinator's folder), its
    /// images fetched through `imageProxy` when given.
    public init(
        text: String,
        path: String,
        paths: HangarPaths,
        imageProxy: ImageCache.Proxy? = nil,
        notice: @escaping @Sendable (String) -> Void
    ) throws(HangarError) {
        project = try ProjectFile.parse(text, path: path, displayName: path)
        try JobPlan.validate(project)
        machines = Machines(paths: paths, cache: ImageCache(root: "\(paths.cache)", proxy: imageProxy), notice: notice)
    }

    /// The machine a command means: `name`, else `default`, else the first one defined.
    public func machineSpec(_ name: String?) throws(HangarError) -> MachineSpec {
        if let name { return try project.machine(named: name) }
        guard let first = project.machines.first(where: { $0.name == "default" }) ?? project.machines.first else {
            throw .usage(.configNoMachines, "\(project.path) defines no machine", hint: "add a 'machines:' section; 'hangar init' writes one")
        }
        return first
    }

    /// The state folder id of the project's long-lived machine `name`.
    public func machineID(_ name: String) -> String { machines.registry.id(project: project.directory, name: name) }

    /// This project's machines with their state (including `hangar run`'s, while they exist).
    public func list() -> [(record: MachineRecord, state: MachineState)] { machines.registry.list(project: project.directory) }

    /// The running machine `name` (default machine when nil), or an error saying how to start one.
    public func running(_ name: String?) throws(HangarError) -> MachineRecord {
        let spec = try machineSpec(name)
        guard let record = machines.registry.record(id: machineID(spec.name)), MachineRegistry.isAlive(record) else {
            throw .usage(.machineNotRunning, "machine '\(spec.name)' is not running", hint: "start it with 'hangar up'")
        }
        return record
    }

    /// The machines `hangar up` boots: `job`'s (all of them, for a job of several), else `machine`
    /// (the default one when nil).
    public func upMachines(job name: String?, machine: String?) throws(HangarError) -> [MachineSpec] {
        guard let name else { return [try machineSpec(machine)] }
        return try project.job(named: name).machines.map { name throws(HangarError) in try machineSpec(name) }
    }

    /// `hangar up`: boots the machines (`upMachines`) and runs `job`'s tasks in them (or just boots
    /// when `job` is nil), leaving them up.
    public func up(
        job name: String?,
        machine: String?,
        parameters: [String: String] = [:],
        offline: Bool,
        emit: @escaping @Sendable (RunEvent) -> Void
    ) async throws(HangarError) -> RunResult {
        let specs = try upMachines(job: name, machine: machine)
        let job =
            try name.map { name throws(HangarError) in try project.job(named: name) }
            ?? JobSpec(name: "up", machine: specs[0].name, timeout: .seconds(3600), tasks: [], location: project.path)
        let machines = specs.map { JobMachine(spec: $0, id: machineID($0.name)) }
        let result = try await execute(job, machines: machines, keep: true, alwaysBoot: true, offline: offline, given: parameters, emit: emit)
        // Machines that need each other stay up together or not at all.
        let up = machines.compactMap { self.machines.registry.record(id: $0.id) }.filter(MachineRegistry.isAlive)
        if machines.count > 1, up.count < machines.count {
            for record in up { await self.machines.destroy(record) }
        }
        return result
    }

    /// `hangar run`: boots a throwaway machine, runs `job` with `parameters`, destroys the machine whatever happens.
    /// The log and artifacts go to `folder`, by default a new folder under the project's `.hangar/runs`.
    public func run(
        job name: String,
        parameters: [String: String] = [:],
        folder: String? = nil,
        offline: Bool,
        emit: @escaping @Sendable (RunEvent) -> Void
    ) async throws(HangarError) -> RunResult {
        let job = try project.job(named: name)
        // A host-only job needs no machine: validation refused any job that boots one not defined.
        let suffix = "-run-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let machines = job.machines.map { name in
            JobMachine(spec: project.machines.first { $0.name == name } ?? MachineSpec(name: name), id: machineID(name) + suffix)
        }
        return try await execute(
            job,
            machines: machines,
            keep: keepMachines,
            alwaysBoot: false,
            offline: offline,
            given: parameters,
            folder: folder,
            emit: emit
        )
    }

    /// Runs `job` in `machines` with the parameters `given` (checked against the job's, which also
    /// fill in `${NAME}` in the machines' images); several machines get a private network.
    private func execute(
        _ job: JobSpec,
        machines: [JobMachine],
        keep: Bool,
        alwaysBoot: Bool,
        offline: Bool,
        given: [String: String],
        folder: String? = nil,
        emit: @escaping @Sendable (RunEvent) -> Void
    ) async throws(HangarError) -> RunResult {
        let parameters = try job.resolve(parameters: given)
        var resolved = try machines.map { machine throws(HangarError) in
            JobMachine(spec: try machine.spec.expanding(parameters, directory: project.directory), id: machine.id)
        }
        let network = PrivateNetwork.plan(resolved.map { ($0.spec.name, $0.id) })
        for index in resolved.indices { resolved[index].spec.network = network[resolved[index].spec.name] }
        let plan = try JobPlan(job, alwaysBoot: alwaysBoot)
        if plan.bootsMachine { for machine in resolved { try machine.spec.checkFiles() } }
        let folder = if let folder { try RunFolder.create(at: folder) } else { try RunFolder.create(project: project, job: job.name) }
        let log = RunLog(path: "\(folder)/log.txt")
        let measured = RunMeasurements()
        let write: @Sendable (RunEvent) -> Void = { event in
            log.write(event)
            emit(event)
            if let notice = measured.note(event) {
                log.write(notice)
                emit(notice)
            }
        }
        var notice = self.machines.notice
        if machineNoticesInRunLog { notice = { write(RunEvent.notice($0)) } }
        let context = TaskContext(
            project: project,
            jobMachines: resolved,
            machines: Machines(paths: self.machines.paths, cache: self.machines.cache, owner: machineOwner, notice: notice),
            keepMachine: keep,
            offline: offline,
            runFolder: folder,
            parameters: parameters,
            pool: pool,
            placed: placed,
            emit: write
        )
        var result = await JobRunner.run(plan, context: context)
        result.folder = folder
        result.measurements = measured.finish(result, folder: folder, say: write)
        if keep { result.kept = resolved.compactMap { context.on($0.spec.name)[.machine] } }
        log.write(result)
        return result
    }

    /// `hangar destroy`: the named machine (default when nil) with the machines on its private
    /// network, or all of this project's with `all`.
    public func destroy(machine name: String?, all: Bool) async throws(HangarError) -> [String] {
        var targets = all ? list().map(\.record) : [try machineSpec(name)].compactMap { machines.registry.record(id: machineID($0.name)) }
        for peer in targets.flatMap({ $0.network?.peers ?? [] }) where !targets.contains(where: { $0.id == peer }) {
            if let record = machines.registry.record(id: peer) { targets.append(record) }
        }
        for record in targets { await machines.destroy(record) }
        return targets.map(\.name)
    }
}
