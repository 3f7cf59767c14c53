public import HangarCore

extension API {
    /// One run, as the API lists it.
    public struct Run: Documented, Equatable {
        /// Increasing with creation, so ordering by id is stable.
        public var id: Int
        public var project: String
        public var job: String
        public var state: RunState
        /// Higher runs first.
        public var priority: Int
        /// 1 for the first try.
        public var attempt: Int
        /// Tries allowed when a worker is lost (the job's `retries:` + 1).
        public var maxAttempts: Int
        /// Why it waits or how it ended, for people.
        public var reason: String?
        /// The values given for the job's parameters.
        public var parameters: [String: String]
        /// When it was queued, started and ended (seconds since 1970).
        public var createdAt: Double
        public var startedAt: Double?
        public var finishedAt: Double?
        /// Who or what started it: `manual by NAME`, `push to main at 1a2b3c4`, `schedule …`, `rerun of #N …`.
        public var cause: String?
        /// Why it ended badly, for programs: the error's code, its kind (`infrastructure` or `test`), the failing task.
        public var failure: RunFailure?
        /// What kind of thing started it: `manual`, `webhook`, `schedule`, `obs`, `amqp` or `retry`.
        public var trigger: RunTrigger?
        /// For a run of a matrix job: its group (the cells queued with it, `GET /api/v1/groups/{id}`)
        /// and its cell (`debian-12/selinux`).
        public var group: Int?
        public var cell: String?

        /// A run with every field given.
        public init(
            id: Int,
            project: String,
            job: String,
            state: RunState,
            priority: Int,
            attempt: Int,
            maxAttempts: Int,
            reason: String?,
            parameters: [String: String],
            createdAt: Double,
            startedAt: Double?,
            finishedAt: Double?,
            cause: String? = nil,
            failure: RunFailure? = nil,
            trigger: RunTrigger? = nil,
            group: Int? = nil,
            cell: String? = nil
        ) {
            self.trigger = trigger
            self.group = group
            self.cell = cell
            self.id = id
            self.project = project
            self.job = job
            self.state = state
            self.priority = priority
            self.attempt = attempt
            self.maxAttempts = maxAttempts
            self.reason = reason
            self.parameters = parameters
            self.createdAt = createdAt
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.cause = cause
            self.failure = failure
        }

        static let properties: [String: Schema] = [
            "id": .integer(Limits.ids), "project": .string(), "job": .string(), "state": .string(choices: RunState.allCases.map(\.rawValue)),
            "priority": .integer(Limits.priority), "attempt": .integer(1...Limits.largestNumber), "maxAttempts": .integer(1...Limits.largestNumber),
            "reason": .string(), "parameters": .map(.string()), "createdAt": .number, "startedAt": .number, "finishedAt": .number,
            "cause": .string(), "failure": Failure.schema, "trigger": .string(choices: RunTrigger.allCases.map(\.rawValue)),
            "group": .integer(Limits.ids), "cell": .string(),
        ]
        static let required: Set<String> = ["id", "project", "job", "state", "priority", "attempt", "maxAttempts", "parameters", "createdAt"]
        public static let schema = Schema.object(properties, required: required)
    }

    /// The runs one trigger of a matrix job queued, a run per cell: the group's id is its first run's.
    public struct Group: Documented, Equatable {
        public var id: Int
        public var project: String
        public var job: String
        /// Its runs' states combined (`RunState.combined`): `running` while any runs, `queued` while
        /// any waits, then their worst outcome; `passed` only when every cell passed.
        public var state: RunState
        /// Its runs, one per cell in the matrix's order, then the cells' retries and reruns (its
        /// state counts each cell's latest run).
        public var runs: [Run]

        public init(id: Int, project: String, job: String, state: RunState, runs: [Run]) {
            self.id = id
            self.project = project
            self.job = job
            self.state = state
            self.runs = runs
        }

        public static let schema = Schema.object(
            [
                "id": .integer(Limits.ids), "project": .string(), "job": .string(), "state": .string(choices: RunState.allCases.map(\.rawValue)),
                "runs": .array(Run.reference),
            ],
            required: ["id", "project", "job", "state", "runs"]
        )
    }

    /// A run with its tasks: the run's fields plus `tasks`, the known issues its failure matched,
    /// and its automatic retry.
    public struct RunDetail: Documented, Equatable {
        public var run: Run
        public var tasks: [TaskRecord]
        /// The signatures that explain its failure, each with the first line it matched.
        public var matches: [SignatureMatch]
        /// The run queued to retry it automatically, when a signature asked for one.
        public var retriedAs: Int?
        /// What it measured, by name (`HANGAR_MEASURE` lines; `boot_seconds`, `run_seconds`).
        public var measurements: [Measure]

        public init(run: Run, tasks: [TaskRecord], matches: [SignatureMatch] = [], retriedAs: Int? = nil, measurements: [Measure] = []) {
            self.run = run
            self.tasks = tasks
            self.matches = matches
            self.retriedAs = retriedAs
            self.measurements = measurements
        }

        private enum Keys: String, CodingKey { case tasks, matches, retriedAs, measurements }

        public init(from decoder: any Decoder) throws {
            run = try Run(from: decoder)
            let container = try decoder.container(keyedBy: Keys.self)
            tasks = try container.decode([TaskRecord].self, forKey: .tasks)
            matches = try container.decodeIfPresent([SignatureMatch].self, forKey: .matches) ?? []
            retriedAs = try container.decodeIfPresent(Int.self, forKey: .retriedAs)
            measurements = try container.decodeIfPresent([Measure].self, forKey: .measurements) ?? []
        }

        public func encode(to encoder: any Encoder) throws {
            try run.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(tasks, forKey: .tasks)
            try container.encode(matches, forKey: .matches)
            try container.encodeIfPresent(retriedAs, forKey: .retriedAs)
            try container.encode(measurements, forKey: .measurements)
        }

        public static let schema = Schema.object(
            Run.properties.merging([
                "tasks": .array(TaskRecord.reference), "matches": .array(SignatureMatch.reference), "retriedAs": .integer(Limits.ids),
                "measurements": .array(Measure.reference),
            ]) { $1 },
            required: Run.required.union(["tasks", "matches", "measurements"])
        )
    }

    /// One task of a run, as the run page's timeline shows it.
    public struct TaskRecord: Documented, Equatable {
        /// 0-based position in the job's plan (implicit image and boot tasks included).
        public var position: Int
        public var title: String
        /// nil while it runs.
        public var status: RunStatus?
        public var error: String?
        /// The error's code, for programs.
        public var errorCode: String?
        public var startedAt: Double
        public var finishedAt: Double?

        public init(
            position: Int,
            title: String,
            status: RunStatus?,
            error: String?,
            errorCode: String? = nil,
            startedAt: Double,
            finishedAt: Double?
        ) {
            self.position = position
            self.title = title
            self.status = status
            self.error = error
            self.errorCode = errorCode
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }

        public static let schema = Schema.object(
            [
                "position": .integer(0...Limits.largestNumber), "title": .string(), "status": .string(choices: RunStatus.allCases.map(\.rawValue)),
                "error": .string(), "errorCode": .string(), "startedAt": .number, "finishedAt": .number,
            ],
            required: ["position", "title", "startedAt"]
        )
    }
}
