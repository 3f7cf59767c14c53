public import HangarCore

extension API {
    /// The worker protocol this Hangar speaks; a worker speaking another is refused at registration.
    /// 2: workers say which life of theirs speaks (`WorkerStatus.instance`), and names are exclusive.
    public static let workerProtocol = 2

    /// What a worker says of itself: at registration, and again with each claim and heartbeat.
    public struct WorkerStatus: Documented, Equatable {
        /// Unique among the workers of a coordinator; it holds the runs it takes under this name.
        public var name: String
        /// What it offers (`kvm`, `arch=x86_64`); a job's `requires:` must be among them.
        public var labels: [String]
        /// Runs at once.
        public var slots: Int
        /// Runs it holds now.
        public var busy: Int
        /// Memory it can give a new run's machines now, in MiB.
        public var freeMemory: Int
        /// Its one-minute load average.
        public var load: Double
        /// Its Hangar version, and the worker protocol it speaks.
        public var version: String
        public var protocolVersion: Int
        /// Why it takes no run now, if it does not (`only 900 MiB free in /var/lib/hangar`).
        public var unavailable: String?
        /// Machines its warm pool holds ready (`pool: N`).
        public var pool: Int?
        /// This life of the worker: new at each start. A name belongs to one instance at a time.
        public var instance: String?
        /// The instance its state folder's last life had, which this one takes the name over from.
        public var replaces: String?

        public init(
            name: String,
            labels: [String],
            slots: Int,
            busy: Int,
            freeMemory: Int,
            load: Double,
            version: String,
            protocolVersion: Int = API.workerProtocol,
            unavailable: String? = nil,
            pool: Int? = nil,
            instance: String? = nil,
            replaces: String? = nil
        ) {
            self.pool = pool
            self.instance = instance
            self.replaces = replaces
            self.name = name
            self.labels = labels
            self.slots = slots
            self.busy = busy
            self.freeMemory = freeMemory
            self.load = load
            self.version = version
            self.protocolVersion = protocolVersion
            self.unavailable = unavailable
        }

        public static let schema = Schema.object(
            [
                "name": .string(maxLength: Limits.nameLength, pattern: "^[A-Za-z0-9._:-]+$"),
                "labels": .array(.string(maxLength: Limits.nameLength), maxItems: 100),
                "slots": .integer(1...1024), "busy": .integer(0...1024), "freeMemory": .integer(0...Limits.largestNumber),
                "load": .number, "version": .string(maxLength: 100), "protocolVersion": .integer(1...1000),
                "unavailable": .string(maxLength: 500), "pool": .integer(0...1024),
                "instance": .string(maxLength: 100, pattern: "^[A-Za-z0-9-]+$"), "replaces": .string(maxLength: 100, pattern: "^[A-Za-z0-9-]+$"),
            ],
            required: ["name", "labels", "slots", "busy", "freeMemory", "load", "version", "protocolVersion"]
        )
    }

    /// A worker as the machines page and `GET /api/v1/workers` show it.
    public struct Worker: Documented, Equatable {
        public var status: WorkerStatus
        /// When it last claimed or sent a heartbeat (seconds since 1970).
        public var lastSeen: Double
        /// True while its heartbeats arrive.
        public var online: Bool
        /// The runs it holds.
        public var runs: [Int]

        public init(status: WorkerStatus, lastSeen: Double, online: Bool, runs: [Int]) {
            self.status = status
            self.lastSeen = lastSeen
            self.online = online
            self.runs = runs
        }

        public static let schema = Schema.object(
            ["status": WorkerStatus.reference, "lastSeen": .number, "online": .boolean, "runs": .array(.integer(Limits.ids))],
            required: ["status", "lastSeen", "online", "runs"]
        )
    }

    /// A run handed to a worker: the run, its job as the coordinator resolved it, and the lease.
    public struct Assignment: Documented, Equatable {
        public var run: Run
        /// The project's hangar.yml at the run's commit, and where the coordinator keeps it (relative
        /// paths in it are relative to that folder).
        public var projectFile: String
        public var projectPath: String
        /// The values the tasks get, defaults filled in (with `HANGAR_RUN_ID`, `HANGAR_ATTEMPT`).
        public var parameters: [String: String]
        /// Seconds the worker holds the run without a heartbeat.
        public var lease: Double
        /// Memory (MiB) its machines take.
        public var memory: Int
        /// True when the coordinator fetches images for its workers (`hangar serve --image-proxy`):
        /// the worker gets image URLs through `GET /api/v1/images` and needs no other network.
        public var imageProxy: Bool?
        /// Seconds its machines stay up after it ends (`KeepRequest`), and the public key they
        /// take; nil: they are destroyed at its end.
        public var keep: Double?
        public var sshKey: String?

        public init(
            run: Run,
            projectFile: String,
            projectPath: String,
            parameters: [String: String],
            lease: Double,
            memory: Int,
            imageProxy: Bool? = nil,
            keep: Double? = nil,
            sshKey: String? = nil
        ) {
            self.keep = keep
            self.sshKey = sshKey
            self.run = run
            self.projectFile = projectFile
            self.projectPath = projectPath
            self.parameters = parameters
            self.lease = lease
            self.memory = memory
            self.imageProxy = imageProxy
        }

        public static let schema = Schema.object(
            [
                "run": Run.reference, "projectFile": .string(), "projectPath": .string(), "parameters": .map(.string()), "lease": .number,
                "memory": .integer(0...Limits.largestNumber), "imageProxy": .boolean, "keep": .number,
                "sshKey": .string(maxLength: TriggerRequest.sshKeyLength),
            ],
            required: ["run", "projectFile", "projectPath", "parameters", "lease", "memory"]
        )
    }

    /// A run a worker holds, with the attempt it runs.
    public struct HeldRun: Documented, Equatable, Hashable {
        public var id: Int
        public var attempt: Int

        public init(id: Int, attempt: Int) {
            self.id = id
            self.attempt = attempt
        }

        public static let schema = Schema.object(
            ["id": .integer(Limits.ids), "attempt": .integer(1...Limits.largestNumber)],
            required: ["id", "attempt"]
        )
    }

    /// A worker's heartbeat: it is alive, and works on these runs.
    public struct Heartbeat: Documented, Equatable {
        public var status: WorkerStatus
        public var runs: [HeldRun]
        /// The ended runs whose kept machines it has up (nil: none).
        public var kept: [Int]?

        public init(status: WorkerStatus, runs: [HeldRun], kept: [Int]? = nil) {
            self.status = status
            self.runs = runs
            self.kept = kept
        }

        public static let schema = Schema.object(
            [
                "status": WorkerStatus.reference, "runs": .array(HeldRun.reference, maxItems: 1024),
                "kept": .array(.integer(Limits.ids), maxItems: 1024),
            ],
            required: ["status", "runs"]
        )
    }

    /// What a heartbeat brings back: runs to stop because someone cancelled them, and runs the
    /// worker no longer holds (its lease ran out and another took them): it abandons those.
    public struct HeartbeatAnswer: Documented, Equatable {
        public var cancel: [Int]
        public var lost: [Int]
        /// Parts of `every-worker` tasks for this worker to run now (each handed out once).
        public var tasks: [TaskOrder]?
        /// Ended runs whose kept machines it destroys now (expired, destroyed by someone, or not
        /// kept at all); nil: none.
        public var destroy: [Int]?
        /// Tunnels to its kept machines for it to open now (each handed out once); nil: none.
        public var tunnels: [TunnelOrder]?

        public init(cancel: [Int], lost: [Int], tasks: [TaskOrder]? = nil, destroy: [Int]? = nil, tunnels: [TunnelOrder]? = nil) {
            self.cancel = cancel
            self.lost = lost
            self.tasks = tasks
            self.destroy = destroy
            self.tunnels = tunnels
        }

        public static let schema = Schema.object(
            [
                "cancel": .array(.integer(Limits.ids)), "lost": .array(.integer(Limits.ids)), "tasks": .array(TaskOrder.reference),
                "destroy": .array(.integer(Limits.ids)), "tunnels": .array(TunnelOrder.reference),
            ],
            required: ["cancel", "lost"]
        )
    }

    /// A task of a run held by some worker, for this worker to run its part of (its handler runs
    /// on every worker): the job as the coordinator resolved it, and the task's position in it.
    public struct TaskOrder: Documented, Equatable {
        public var run: HeldRun
        public var position: Int
        public var job: String
        public var projectFile: String
        public var projectPath: String
        public var parameters: [String: String]

        public init(run: HeldRun, position: Int, job: String, projectFile: String, projectPath: String, parameters: [String: String]) {
            self.run = run
            self.position = position
            self.job = job
            self.projectFile = projectFile
            self.projectPath = projectPath
            self.parameters = parameters
        }

        public static let schema = Schema.object(
            [
                "run": HeldRun.reference, "position": .integer(0...10_000), "job": .string(maxLength: Limits.nameLength),
                "projectFile": .string(), "projectPath": .string(), "parameters": .map(.string()),
            ],
            required: ["run", "position", "job", "projectFile", "projectPath", "parameters"]
        )
    }

    /// How a task run away from the run's holder ended (on the coordinator, or on one or every
    /// worker), with what it printed.
    public typealias TaskResult = PlacedTaskResult

    /// What the holder of an attempt reports, in order: log lines and task events, the first line
    /// being line `offset` of the run's log.
    public struct Report: Documented, Equatable {
        /// Log lines, or a task that started (`status` nil) or ended: one of the two.
        public struct Record: Codable, Sendable, Equatable {
            public var lines: [String]?
            public var task: TaskEvent?

            public static func lines(_ lines: [String]) -> Record { Record(lines: lines, task: nil) }
            public static func task(_ task: TaskEvent) -> Record { Record(lines: nil, task: task) }
        }

        public var offset: Int
        public var records: [Record]

        public init(offset: Int, records: [Record]) {
            self.offset = offset
            self.records = records
        }

        /// Records per report, and lines per record: small enough that a report stays well under
        /// the body limit (a worker also cuts its reports at `maxBytes` of text).
        public static let maxRecords = 500
        public static let maxLines = 500
        /// The text a worker puts in one report, and in one log line (longer lines are cut).
        public static let maxBytes = 512 * 1024
        public static let maxLineBytes = 64 * 1024

        public static let schema = Schema.object(
            [
                "offset": .integer(Limits.lines),
                "records": .array(
                    .oneOf(
                        [
                            .object(["lines": .array(.string(), maxItems: maxLines)], required: ["lines"]),
                            .object(["task": TaskEvent.reference], required: ["task"]),
                        ],
                        "a record of either 'lines' or a 'task' event"
                    ),
                    maxItems: maxRecords
                ),
            ],
            required: ["offset", "records"]
        )
    }

    /// How many lines a run's log has now.
    public struct LogCount: Documented, Equatable {
        public var lines: Int
        public init(lines: Int) { self.lines = lines }
        public static let schema = Schema.object(["lines": .integer(Limits.lines)], required: ["lines"])
    }

    /// A task of an attempt started (`status` nil) or ended.
    public struct TaskEvent: Documented, Equatable {
        public var position: Int
        public var title: String
        public var status: RunStatus?
        public var error: String?
        /// The error's code (`task.exit-status`, `machine.silent`), for programs.
        public var code: HangarError.Code?

        public init(position: Int, title: String, status: RunStatus?, error: String?, code: HangarError.Code? = nil) {
            self.position = position
            self.title = title
            self.status = status
            self.error = error
            self.code = code
        }

        public static let schema = Schema.object(
            [
                "position": .integer(0...10_000), "title": .string(maxLength: 10_000), "status": .string(choices: RunStatus.allCases.map(\.rawValue)),
                "error": .string(), "code": .string(maxLength: Limits.nameLength),
            ],
            required: ["position", "title"]
        )
    }

    /// How the holder's attempt ended.
    public struct Outcome: Documented, Equatable {
        public var status: RunStatus
        public var reason: String?
        /// Why it ended badly, for programs (absent when it passed).
        public var failure: RunFailure?
        /// The machines it keeps up after the end (the run asked to keep them); nil: none.
        public var kept: [KeptMachine]?

        public init(status: RunStatus, reason: String?, failure: RunFailure? = nil, kept: [KeptMachine]? = nil) {
            self.status = status
            self.reason = reason
            self.failure = failure
            self.kept = kept
        }

        public static let schema = Schema.object(
            [
                "status": .string(choices: RunStatus.allCases.map(\.rawValue)), "reason": .string(), "failure": Failure.schema,
                "kept": .array(KeptMachine.reference, maxItems: 32),
            ],
            required: ["status"]
        )
    }

    /// The schema of `RunFailure`, shared by outcomes and runs.
    public enum Failure {
        public static let schema = Schema.object(
            [
                "code": .string(maxLength: Limits.nameLength), "kind": .string(choices: ["usage", "infrastructure", "test"]),
                "task": .integer(0...10_000),
            ],
            required: ["code", "kind"]
        )
    }
}

extension PlacedTaskResult: Documented {
    public static let schemaName = "TaskResult"

    public static let schema = Schema.object(
        [
            "passed": .boolean,
            "lines": .array(.string(maxLength: PlacedTaskLimits.maxLineLength), maxItems: PlacedTaskLimits.maxLines + 1),
            "error": .string(maxLength: PlacedTaskLimits.maxErrorLength),
            "code": .string(maxLength: Limits.nameLength), "kind": .string(choices: ["usage", "infrastructure", "test"]),
        ],
        required: ["passed", "lines"]
    )
}
