public import HangarCore

extension API {
    /// `POST …/runs`: what a trigger may give; an empty body triggers with the defaults.
    public struct TriggerRequest: Documented, Equatable {
        /// Values of the job's parameters, by name.
        public var parameters: [String: String]?
        /// Higher runs start first; default 0.
        public var priority: Int?
        /// For a matrix job: the one cell to run (`debian-12/selinux`); default every cell the
        /// parameters pick.
        public var cell: String?
        /// Seconds its machines stay up after it ends (`KeepRequest`); default the job's `keep:`.
        public var keep: Double?
        /// A public key for the kept machines' `authorized_keys` (one `ssh-ed25519 AAAA…` line).
        public var sshKey: String?

        public init(parameters: [String: String]? = nil, priority: Int? = nil, cell: String? = nil, keep: Double? = nil, sshKey: String? = nil) {
            self.parameters = parameters
            self.priority = priority
            self.cell = cell
            self.keep = keep
            self.sshKey = sshKey
        }

        /// The longest public key taken.
        public static let sshKeyLength = 16_384

        public static let schema = Schema.object(
            [
                "parameters": .map(.string(maxLength: Limits.parameterValueLength), maxProperties: Limits.parameterCount),
                "priority": .integer(Limits.priority),
                "cell": .string(maxLength: Limits.nameLength),
                "keep": .number,
                "sshKey": .string(maxLength: sshKeyLength, pattern: "^[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]{16,}( [^\\n]*)?\\n?$"),
            ],
            required: []
        )
    }

    /// What every error answer holds: one sentence saying what was wrong and what to do.
    public struct ErrorBody: Documented, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var message: String
            /// A stable code a program can act on (`run.stale`, `log.gap`), where there is one.
            public var code: HangarError.Code?
        }

        public var error: Detail

        public init(message: String, code: HangarError.Code? = nil) { error = Detail(message: message, code: code) }

        public static let schemaName = "Error"
        public static let schema = Schema.object(
            ["error": .object(["message": .string(), "code": .string()], required: ["message"])],
            required: ["error"]
        )
    }

    /// What a webhook delivery started.
    public struct WebhookAnswer: Documented, Equatable {
        /// `triggered`, `ignored`, `duplicate`, `gated` (the gate's queue changed, no runs) or `held`
        /// (an outsider's pull request waits for a member's `/hangar ok-to-test`).
        public var result: String
        public var runs: [Int]
        public var detail: String?

        public init(result: String, runs: [Int], detail: String?) {
            self.result = result
            self.runs = runs
            self.detail = detail
        }

        public static let schema = Schema.object(
            [
                "result": .string(choices: ["triggered", "ignored", "duplicate", "gated", "held"]), "runs": .array(.integer(Limits.ids)),
                "detail": .string(),
            ],
            required: ["result", "runs"]
        )
    }
}
