extension API {
    /// A project as the API and the project page show it.
    public struct Project: Documented, Equatable {
        /// A job with its parameters.
        public struct Job: Documented, Equatable {
            public var name: String
            /// The machines its tasks run on (`db, web` for several); nil for a job of host tasks only.
            public var machine: String?
            public var parameters: [Parameter]

            public init(name: String, machine: String?, parameters: [Parameter]) {
                self.name = name
                self.machine = machine
                self.parameters = parameters
            }

            public static let schemaName = "Job"
            public static let schema = Schema.object(
                ["name": .string(), "machine": .string(), "parameters": .array(Parameter.reference)],
                required: ["name", "parameters"]
            )
        }

        /// A value a run of the job can be given.
        public struct Parameter: Documented, Equatable {
            public var name: String
            public var required: Bool
            public var defaultValue: String?
            public var description: String?

            public init(name: String, required: Bool, defaultValue: String?, description: String?) {
                self.name = name
                self.required = required
                self.defaultValue = defaultValue
                self.description = description
            }

            public static let schemaName = "JobParameter"
            public static let schema = Schema.object(
                ["name": .string(), "required": .boolean, "defaultValue": .string(), "description": .string()],
                required: ["name", "required"]
            )
        }

        public var name: String
        /// The configuration error of the file on disk; the jobs are then the last good version's.
        public var error: String?
        public var jobs: [Job]

        public init(name: String, error: String?, jobs: [Job]) {
            self.name = name
            self.error = error
            self.jobs = jobs
        }

        public static let schema = Schema.object(["name": .string(), "error": .string(), "jobs": .array(Job.reference)], required: ["name", "jobs"])
    }
}
