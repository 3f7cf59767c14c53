public import Foundation

/// A known failure: a pattern over a failed run's normalised log (`LogNormaliser`), where it
/// applies, and what it means. One YAML file per signature (its name is the file's name), or the
/// same through the API:
///
/// ```yaml
/// # signatures/mirror-down.yml
/// kind: infrastructure        # infrastructure | known-bug | flaky
/// pattern: 'Could not resolve host: deb\.debian\.org'
/// issue: https://tracker.example.org/123
/// scope: { project: demo, job: test, task: "run: make check", test: "net_*", image: "*fedora*" }   # each optional; * and ? match
/// retries: 2                  # runs again up to this many times (infrastructure: 2, flaky: 1, known-bug: 0)
/// delay: 1m                   # before each retry (infrastructure: 1m, otherwise 0s)
/// description: the Debian mirror did not answer
/// ```
public struct Signature: Sendable, Equatable, Codable {
    /// What a match means.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Not the change under test: the run is retried after a delay.
        case infrastructure
        /// A bug someone already filed: the run is labelled with its issue.
        case knownBug = "known-bug"
        /// A test that sometimes fails: the run is retried once and flagged.
        case flaky
    }

    /// Where a signature applies: each field, when given, must match (`*` and `?` as in file names).
    public struct Scope: Sendable, Equatable, Codable {
        public var project: String?
        public var job: String?
        /// The failing task's title, such as `run: make check`.
        public var task: String?
        /// One failed test's name.
        public var test: String?
        /// The image the run's machine booted (its URL or path), such as `*/fedora-41*`.
        public var image: String?

        public init(project: String? = nil, job: String? = nil, task: String? = nil, test: String? = nil, image: String? = nil) {
            self.project = project
            self.job = job
            self.task = task
            self.test = test
            self.image = image
        }

        /// True when `run` is inside this scope.
        public func contains(_ run: FailedRun) -> Bool {
            func fits(_ glob: String?, _ value: String?) -> Bool {
                guard let glob else { return true }
                return value.map { Glob.matches(glob, $0) } ?? false
            }
            return fits(project, run.project) && fits(job, run.job) && fits(task, run.failedTask) && fits(image, run.image)
                && (test == nil || run.failedTests.contains { Glob.matches(test!, $0) })
        }
    }

    /// Letters, digits, `.`, `_` and `-`: it names the file and the URL.
    public var name: String
    public var kind: Kind
    /// An ICU regular expression (as `NSRegularExpression` reads it), matched against each normalised log line.
    public var pattern: String
    public var scope: Scope
    /// Where the issue is tracked.
    public var issue: String?
    public var description: String?
    /// How many times a run it explains runs again.
    public var retries: Int
    /// Seconds to wait before a retry.
    public var delay: Double

    public init(
        name: String,
        kind: Kind,
        pattern: String,
        scope: Scope = Scope(),
        issue: String? = nil,
        description: String? = nil,
        retries: Int? = nil,
        delay: Double? = nil
    ) {
        self.name = name
        self.kind = kind
        self.pattern = pattern
        self.scope = scope
        self.issue = issue
        self.description = description
        self.retries = retries ?? Self.defaultRetries(kind)
        self.delay = delay ?? (kind == .infrastructure ? 60 : 0)
    }

    public static func defaultRetries(_ kind: Kind) -> Int {
        switch kind {
        case .infrastructure: 2
        case .flaky: 1
        case .knownBug: 0
        }
    }

    /// Throws, naming the problem, when the name or the pattern is not usable.
    public func validate(at location: String? = nil) throws(HangarError) {
        guard Self.isValidName(name) else {
            throw .usage(
                .signatureName,
                "'\(name)' is not a signature name",
                hint: "use letters, digits, '.', '_' and '-' (up to 100), such as mirror-down",
                at: location
            )
        }
        _ = try Self.compile(pattern, at: location)
        guard (0...10).contains(retries) else { throw .usage(.signatureRetries, "retries must be from 0 to 10, not \(retries)", at: location) }
        guard delay >= 0, delay <= 86_400 else { throw .usage(.signatureDelay, "delay must be from 0s to 24h", at: location) }
    }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// `pattern` compiled, or a usage error saying what is wrong and at which character.
    public static func compile(_ pattern: String, at location: String? = nil) throws(HangarError) -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            let problem = RegexProblem.find(in: pattern)
            throw .usage(
                .signaturePattern,
                "the pattern does not compile: \(problem.message) at character \(problem.offset + 1) of \(pattern.debugDescription)",
                hint: "write an ICU regular expression; escape ( ) [ ] { } . * + ? | \\ with \\ to match them as text",
                at: location
            )
        }
    }
}

/// What classification knows of a failed run, to decide which signatures apply.
public struct FailedRun: Sendable, Equatable {
    public var project: String
    public var job: String
    /// The failing task's title.
    public var failedTask: String?
    /// The names of the tests that failed.
    public var failedTests: [String]
    /// The image its machine booted, if it booted one.
    public var image: String?

    public init(project: String, job: String, failedTask: String? = nil, failedTests: [String] = [], image: String? = nil) {
        self.project = project
        self.job = job
        self.failedTask = failedTask
        self.failedTests = failedTests
        self.image = image
    }
}
