public import Foundation

/// How one test ended, ordered as KCIDB orders them: the worst first (fail > error > miss > pass > skip).
public enum TestStatus: String, Sendable, Codable, CaseIterable, Comparable {
    /// The test ran and found a problem.
    case fail
    /// The test could not run to its end (its setup or the runner broke).
    case error
    /// The test was expected and did not report.
    case miss
    case pass
    case skip

    /// Worse first.
    public static func < (lhs: TestStatus, rhs: TestStatus) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// True for the statuses that make a run red.
    public var isFailing: Bool { self == .fail || self == .error || self == .miss }
}

/// One test case as a results file reported it.
public struct TestCase: Sendable, Codable, Equatable {
    /// `suite.name` as the runner named it (JUnit's classname and name), or the TAP description.
    public var name: String
    public var status: TestStatus
    /// Seconds, when the file says.
    public var duration: Double?
    /// What it printed or why it failed (JUnit's failure message and text, TAP's diagnostics).
    public var output: String?
    /// The file it came from, under the run's artifacts.
    public var file: String

    public init(name: String, status: TestStatus, duration: Double? = nil, output: String? = nil, file: String) {
        self.name = name
        self.status = status
        self.duration = duration
        self.output = output
        self.file = file
    }
}

/// A run's test results: every case from every results file its `collect` tasks read, and what
/// could not be read (a file that is not JUnit XML or TAP, with its line).
public struct TestResults: Sendable, Codable, Equatable {
    public var tests: [TestCase]
    /// `file:line: what is wrong`, one per file that could not be read.
    public var problems: [String]

    public init(tests: [TestCase] = [], problems: [String] = []) {
        self.tests = tests
        self.problems = problems
    }

    /// Where a run keeps them: under its artifacts, so a worker's upload brings them along.
    public static let fileName = "hangar-results.json"

    /// How many tests ended in each status.
    public func count(_ status: TestStatus) -> Int { tests.filter { $0.status == status }.count }

    /// `12 tests: 1 fail, 10 pass, 1 skip` (only the statuses that occur).
    public var summary: String {
        let counts = TestStatus.allCases.filter { count($0) > 0 }.map { "\(count($0)) \($0.rawValue)" }
        return "\(tests.count) tests" + (counts.isEmpty ? "" : ": " + counts.joined(separator: ", "))
    }

    /// The failing tests first (worst first), then the rest, each group in file order.
    public var ordered: [TestCase] {
        tests.enumerated().sorted { ($0.element.status, $0.offset) < ($1.element.status, $1.offset) }.map(\.element)
    }

    /// Adds the cases of `text`, read as `format` (`junit` or `tap`), or the reason it cannot be read.
    public mutating func add(_ text: String, format: String, file: String) {
        do {
            switch format {
            case "junit": tests += try JUnitReader.read(text, file: file)
            default: tests += try TAPReader.read(text, file: file)
            }
        } catch {
            problems.append(error.description)
        }
    }
}
