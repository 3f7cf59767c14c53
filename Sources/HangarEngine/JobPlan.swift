public import HangarCore
public import HangarHandlers

/// A job turned into handlers, checked before anything runs.
public struct JobPlan: Sendable {
    /// One task ready to run.
    public struct Step: Sendable {
        /// For progress output.
        public var title: String
        /// The handler with its options.
        public var handler: any Handler
        /// The task's own limit.
        public var timeout: Duration?
        /// A `prepare:` task: skipped in a machine restored from a snapshot, which has its effect.
        public var prepares = false
        /// The machines it acts on: its task's (`on:`, else the job's first), or, for the steps
        /// that fetch, boot and save machines, every machine they are for, all at once.
        public var machines: [String]

        /// A step running `handler` on `machines`.
        public init(title: String, handler: any Handler, timeout: Duration? = nil, machines: [String]) {
            self.title = title
            self.handler = handler
            self.timeout = timeout
            self.machines = machines
        }
    }

    /// The job.
    public var job: JobSpec
    /// The steps, in order, including the implicit `image.fetch` and `machine.boot`.
    public var steps: [Step]

    /// True when the job boots its machine (implicitly or with `use: machine.boot`).
    public var bootsMachine: Bool { steps.contains { $0.handler is MachineBoot } }

    /// Plans `job`. When a task needs the machine and the job does not boot it itself, `image.fetch`
    /// and `machine.boot` come first (kanku-style task lists can spell them out to put other tasks
    /// before them). A job of host tasks only boots nothing, unless `alwaysBoot` (`hangar up`) or it has
    /// `prepare:` tasks. A job of several machines boots every one its tasks do not boot themselves,
    /// all at once.
    public init(_ job: JobSpec, alwaysBoot: Bool = false) throws(HangarError) {
        self.job = job
        var steps: [Step] = []
        let booted = Set(job.tasks.filter { $0.handler == MachineBoot.name }.map { $0.on ?? job.machine })
        let unbooted = job.machines.filter { !booted.contains($0) }
        let needed =
            job.machines.count > 1 || alwaysBoot || !job.prepare.isEmpty || job.tasks.contains(where: { HandlerRegistry.needsMachine($0.handler) })
        if needed, !unbooted.isEmpty {
            let location = job.location
            for name in [ImageFetch.name, MachineBoot.name] {
                let task = TaskSpec(handler: name, options: nil, location: location, title: name)
                let title = job.machines.count > 1 ? "\(name): \(unbooted.joined(separator: ", "))" : name
                steps.append(Step(title: title, handler: try HandlerRegistry.make(task), timeout: nil, machines: unbooted))
            }
        }
        for task in job.tasks {
            steps.append(Step(title: task.title, handler: try HandlerRegistry.make(task), timeout: task.timeout, machines: [task.on ?? job.machine]))
        }
        self.steps = steps
        try addPreparation()
    }

    /// Puts the `prepare:` tasks right after the machine boots, then the step that saves the machine
    /// (`snapshot: true`), and tells the boot what they do: it is part of the snapshot's key.
    private mutating func addPreparation() throws(HangarError) {
        guard !job.prepare.isEmpty else { return }
        guard let boot = steps.firstIndex(where: { $0.handler is MachineBoot }) else {
            throw .usage(.configPrepare, "job '\(job.name)' has 'prepare:' tasks but boots no machine", at: job.location)
        }
        var prepared: [Step] = []
        for task in job.prepare {
            guard ![ImageFetch.name, MachineBoot.name, MachineDestroy.name].contains(task.handler) else {
                throw .usage(
                    .configPrepare,
                    "'\(task.handler)' cannot be a 'prepare:' task",
                    hint: "prepare tasks run in the booted machine (commands, copies); list it under 'tasks:'",
                    at: task.location
                )
            }
            var step = Step(
                title: "prepare: \(task.title)",
                handler: try HandlerRegistry.make(task),
                timeout: task.timeout,
                machines: [task.on ?? job.machine]
            )
            step.prepares = true
            prepared.append(step)
        }
        prepared.append(Step(title: SaveSnapshot.name, handler: SaveSnapshot(preparation: job.preparation), machines: job.machines))
        var machineBoot = steps[boot].handler as! MachineBoot
        machineBoot.preparation = job.preparation
        steps[boot].handler = machineBoot
        steps.insert(contentsOf: prepared, at: boot + 1)
    }

    /// Checks every job of a project, so a typo anywhere is reported before a machine boots: its
    /// handlers and options, and, for a job that boots a machine, that the machine is defined.
    public static func validate(_ project: ProjectFile) throws(HangarError) {
        for job in project.jobs {
            let plan = try JobPlan(job)
            if job.keep != nil, !plan.bootsMachine {
                throw .usage(
                    .configInvalid,
                    "job '\(job.name)' says 'keep:', but it boots no machine to keep",
                    hint: "remove 'keep:', or give the job a task that runs in a machine",
                    at: job.location
                )
            }
            guard plan.bootsMachine, let missing = job.machines.first(where: { name in !project.machines.contains { $0.name == name } }) else {
                continue
            }
            if project.machines.isEmpty {
                throw .usage(
                    .configNoMachines,
                    "job '\(job.name)' runs tasks in a machine, and no machine is defined",
                    hint:
                        "add a 'machines:' section ('hangar init' writes one), or give the job only host tasks",
                    at: job.location
                )
            }
            let names = project.machines.map(\.name)
            throw .usage(
                .configUnknownMachine,
                "job '\(job.name)' uses machine '\(missing)', which is not defined\(Suggestion.phrase(for: missing, in: names))",
                hint: "machines defined: \(names.joined(separator: ", "))",
                at: job.location
            )
        }
    }
}
