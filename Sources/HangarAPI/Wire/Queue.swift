public import HangarCore

/// The gate's wire types: each project's merge queue as the status page shows it.
extension API {
    /// `GET /api/v1/queues`: a gate pipeline's queue, head first.
    public struct Queue: Documented, Equatable {
        public var project: String
        public var pipeline: String
        /// The branch it merges into.
        public var branch: String
        /// How many changes at the head are tested at once.
        public var window: Int
        public var items: [QueueItem]

        public init(project: String, pipeline: String, branch: String, window: Int, items: [QueueItem]) {
            (self.project, self.pipeline, self.branch, self.window, self.items) = (project, pipeline, branch, window, items)
        }

        public static let schema = Schema.object(
            [
                "project": .string(), "pipeline": .string(), "branch": .string(), "window": .integer(0...100_000),
                "items": .array(QueueItem.reference),
            ],
            required: ["project", "pipeline", "branch", "window", "items"]
        )
    }

    /// One change in a queue.
    public struct QueueItem: Documented, Equatable {
        /// `team/app#12`.
        public var change: String
        /// The head commit that was approved.
        public var commit: String
        /// `queued`, `testing`, `passed`, `failing` or `merging`.
        public var state: String
        /// The changes ahead of it it is tested on top of, head first.
        public var base: [String]
        /// Its testing's number (each restart adds one).
        public var attempt: Int
        /// Its current testing's runs.
        public var runs: [QueueRun]
        /// When its testing is expected to end (seconds since 1970), from its jobs' past durations;
        /// nil when not testing or nothing is known.
        public var eta: Double?

        public init(change: String, commit: String, state: String, base: [String], attempt: Int, runs: [QueueRun], eta: Double?) {
            (self.change, self.commit, self.state, self.base, self.attempt, self.runs, self.eta) = (change, commit, state, base, attempt, runs, eta)
        }

        public static let schema = Schema.object(
            [
                "change": .string(), "commit": .string(), "state": .string(choices: ["queued", "testing", "passed", "failing", "merging"]),
                "base": .array(.string()), "attempt": .integer(0...1_000_000), "runs": .array(QueueRun.reference), "eta": .number,
            ],
            required: ["change", "commit", "state", "base", "attempt", "runs"]
        )
    }

    /// A run of a change's testing.
    public struct QueueRun: Documented, Equatable {
        public var id: Int
        public var job: String
        public var state: RunState

        public init(id: Int, job: String, state: RunState) { (self.id, self.job, self.state) = (id, job, state) }

        public static let schema = Schema.object(
            ["id": .integer(Limits.ids), "job": .string(), "state": .string(choices: RunState.allCases.map(\.rawValue))],
            required: ["id", "job", "state"]
        )
    }
}
