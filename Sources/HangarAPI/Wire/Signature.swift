public import HangarCore

extension API {
    /// A signature with where it came from and how often it matched.
    public struct SignatureInfo: Documented, Equatable {
        public var signature: Signature
        /// `file` (from the server's signatures folder: change it there) or `api`.
        public var source: String
        public var updatedAt: Double
        /// Failed runs it explains, and when it last matched one.
        public var hits: Int
        public var lastHit: Double?

        public init(signature: Signature, source: String, updatedAt: Double, hits: Int, lastHit: Double?) {
            self.signature = signature
            self.source = source
            self.updatedAt = updatedAt
            self.hits = hits
            self.lastHit = lastHit
        }

        public static let schema = Schema.object(
            [
                "signature": Signature.reference, "source": .string(choices: ["file", "api"]), "updatedAt": .number,
                "hits": .integer(0...Limits.largestNumber), "lastHit": .number,
            ],
            required: ["signature", "source", "updatedAt", "hits"]
        )
    }

    /// `GET /api/v1/signatures`: the signatures in use, and the files of the signatures folder that
    /// are wrong (each keeps its last good version in use, if it had one, until it is fixed).
    public struct Signatures: Documented, Equatable {
        public var signatures: [SignatureInfo]
        public var problems: [SignatureProblem]

        public init(signatures: [SignatureInfo], problems: [SignatureProblem]) {
            self.signatures = signatures
            self.problems = problems
        }

        public static let schema = Schema.object(
            ["signatures": .array(SignatureInfo.reference), "problems": .array(SignatureProblem.reference)],
            required: ["signatures", "problems"]
        )
    }

    /// A file of the server's signatures folder that cannot be used.
    public struct SignatureProblem: Documented, Equatable {
        /// Its name in the folder, such as `mirror-down.yml`.
        public var file: String
        /// Where it is wrong: `FOLDER/FILE:LINE:COLUMN`.
        public var location: String?
        public var message: String
        public var hint: String?
        /// It defined this signature before it went wrong: that version is still in use.
        public var lastGoodKept: Bool

        public init(file: String, location: String?, message: String, hint: String?, lastGoodKept: Bool) {
            self.file = file
            self.location = location
            self.message = message
            self.hint = hint
            self.lastGoodKept = lastGoodKept
        }

        public static let schema = Schema.object(
            ["file": .string(), "location": .string(), "message": .string(), "hint": .string(), "lastGoodKept": .boolean],
            required: ["file", "message", "lastGoodKept"]
        )
    }

    /// `PUT /api/v1/signatures/{name}`: the signature; retries and delay default from its kind.
    public struct SignatureRequest: Documented, Equatable {
        public var kind: Signature.Kind
        public var pattern: String
        public var scope: Signature.Scope?
        public var issue: String?
        public var description: String?
        public var retries: Int?
        /// Seconds before a retry.
        public var delay: Double?

        public init(
            kind: Signature.Kind,
            pattern: String,
            scope: Signature.Scope? = nil,
            issue: String? = nil,
            description: String? = nil,
            retries: Int? = nil,
            delay: Double? = nil
        ) {
            self.kind = kind
            self.pattern = pattern
            self.scope = scope
            self.issue = issue
            self.description = description
            self.retries = retries
            self.delay = delay
        }

        /// The signature it asks for, named `name`.
        public func signature(named name: String) -> Signature {
            Signature(
                name: name,
                kind: kind,
                pattern: pattern,
                scope: scope ?? .init(),
                issue: issue,
                description: description,
                retries: retries,
                delay: delay
            )
        }

        public static let schema = Schema.object(
            [
                "kind": Signature.kindSchema, "pattern": .string(maxLength: Limits.patternLength), "scope": Signature.Scope.reference,
                "issue": .string(maxLength: Limits.urlLength), "description": .string(maxLength: Limits.parameterValueLength),
                "retries": .integer(0...10), "delay": .number,
            ],
            required: ["kind", "pattern"]
        )
    }

    /// A signature saved: it, and the failed runs of the last 14 days it matches now.
    public struct SignatureSaved: Documented, Equatable {
        public var signature: SignatureInfo
        public var matchedRuns: [Int]

        public init(signature: SignatureInfo, matchedRuns: [Int]) {
            self.signature = signature
            self.matchedRuns = matchedRuns
        }

        public static let schema = Schema.object(
            ["signature": SignatureInfo.reference, "matchedRuns": .array(.integer(Limits.ids))],
            required: ["signature", "matchedRuns"]
        )
    }
}

extension Signature: Documented {
    static let kindSchema = Schema.string(choices: Kind.allCases.map(\.rawValue))

    public static let schema = Schema.object(
        [
            "name": .string(maxLength: 100), "kind": kindSchema, "pattern": .string(), "scope": Scope.reference, "issue": .string(),
            "description": .string(), "retries": .integer(0...10), "delay": .number,
        ],
        required: ["name", "kind", "pattern", "scope", "retries", "delay"]
    )
}

extension Signature.Scope: Documented {
    public static var schemaName: String { "SignatureScope" }
    public static let schema = Schema.object(
        [
            "project": .string(maxLength: Limits.nameLength), "job": .string(maxLength: Limits.nameLength),
            "task": .string(maxLength: Limits.nameLength), "test": .string(maxLength: Limits.nameLength),
            "image": .string(maxLength: Limits.urlLength),
        ],
        required: []
    )
}

extension SignatureMatch: Documented {
    public static let schema = Schema.object(
        [
            "signature": .string(), "kind": Signature.kindSchema, "issue": .string(), "line": .integer(Limits.lines), "text": .string(),
        ],
        required: ["signature", "kind", "line", "text"]
    )
}
