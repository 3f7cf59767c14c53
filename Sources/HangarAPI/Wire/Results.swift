public import HangarCore

extension API {
    /// A run's test results: how many ended each way, the tests (failing first), and the results
    /// files that could not be read.
    public struct Results: Documented, Equatable {
        /// Tests per status: `fail`, `error`, `miss`, `pass`, `skip`.
        public var summary: [String: Int]
        public var tests: [TestCase]
        public var problems: [String]

        public init(_ results: TestResults) {
            summary = Dictionary(uniqueKeysWithValues: TestStatus.allCases.map { ($0.rawValue, results.count($0)) })
            tests = results.ordered
            problems = results.problems
        }

        public static let schema = Schema.object(
            [
                "summary": .map(.integer(0...Limits.largestNumber)), "tests": .array(TestCase.reference),
                "problems": .array(.string()),
            ],
            required: ["summary", "tests", "problems"]
        )
    }
}

extension Measure: Documented {
    public static let schema = Schema.object(
        ["name": .string(), "value": .number, "unit": .string()],
        required: ["name", "value", "unit"]
    )
}

extension TestCase: Documented {
    public static let schema = Schema.object(
        [
            "name": .string(), "status": .string(choices: TestStatus.allCases.map(\.rawValue)), "duration": .number,
            "output": .string(), "file": .string(),
        ],
        required: ["name", "status", "file"]
    )
}

extension API {
    /// A run's results in KCIDB's submission shape (schema 4): the run as a checkout and a build,
    /// each test under it with KCIDB's status names.
    public static func kcidb(run: Run, results: TestResults, measures: [Measure] = [], origin: String = "hangar") -> JSONValue {
        let build = "\(origin):\(run.id)"
        var tests = results.tests.enumerated().map { index, test -> JSONValue in
            var value: [String: JSONValue] = [
                "id": .string("\(build).\(index + 1)"), "build_id": .string(build), "origin": .string(origin),
                "path": .string("\(run.job).\(test.name)"), "status": .string(test.status.rawValue.uppercased()),
            ]
            if let duration = test.duration { value["duration"] = .number(duration) }
            if let output = test.output { value["log_excerpt"] = .string(String(output.prefix(16_384))) }
            return .object(value)
        }
        // Each measurement a passed test with its number, as KCIDB keeps benchmark results.
        tests += measures.enumerated().map { index, measure -> JSONValue in
            var number: [String: JSONValue] = ["value": .number(measure.value)]
            if !measure.unit.isEmpty { number["unit"] = .string(measure.unit) }
            return [
                "id": .string("\(build).m\(index + 1)"), "build_id": .string(build), "origin": .string(origin),
                "path": .string("\(run.job).measure.\(measure.name)"), "status": "PASS", "number": .object(number),
            ]
        }
        return [
            "version": ["major": 4, "minor": 3],
            "checkouts": [["id": .string(build), "origin": .string(origin), "tree_name": .string(run.project)]],
            "builds": [["id": .string(build), "checkout_id": .string(build), "origin": .string(origin), "valid": true]],
            "tests": .array(tests),
        ]
    }
}

extension API {
    /// A test that both passed and failed on the same code and image, with how often it flipped.
    public struct FlakyTest: Documented, Equatable {
        public var project: String
        public var job: String
        public var name: String
        public var flips: Int
        public var failures: Int
        public var results: Int
        /// The newest run it flaked in.
        public var lastRun: Int

        public init(project: String, job: String, name: String, flips: Int, failures: Int, results: Int, lastRun: Int) {
            self.project = project
            self.job = job
            self.name = name
            self.flips = flips
            self.failures = failures
            self.results = results
            self.lastRun = lastRun
        }

        public static let schema = Schema.object(
            [
                "project": .string(), "job": .string(), "name": .string(), "flips": .integer(0...Limits.largestNumber),
                "failures": .integer(0...Limits.largestNumber), "results": .integer(0...Limits.largestNumber), "lastRun": .integer(Limits.ids),
            ],
            required: ["project", "job", "name", "flips", "failures", "results", "lastRun"]
        )
    }
}
