import Foundation
public import HangarCore

/// The unit of behaviour of a job: one task runs one handler with its options.
///
/// `prepare` checks and resolves, `execute` does the work, and `finalize` runs at the end of the run
/// for every task that started, whatever happened (failure, timeout, Ctrl-C), in reverse order.
/// Handlers are built when a job file is loaded, so bad options are reported before anything boots.
public protocol Handler: Sendable {
    /// The name used in `use:`, such as `collect`.
    static var name: String { get }
    /// One line saying what it does.
    static var summary: String { get }
    /// Its options, for `hangar handlers` and for rejecting unknown keys.
    static var options: [OptionDoc] { get }
    /// True when it needs the job's machine running; a job with no such task boots nothing.
    static var needsMachine: Bool { get }
    /// True when it still runs after an earlier task's test failure (it gathers what that left).
    static var runsAfterFailure: Bool { get }
    /// True when it runs the job's own commands (its tests): a timeout there is a test failure;
    /// anywhere else (fetching, booting) it is the infrastructure's.
    static var runsTests: Bool { get }
    /// Where its task runs in server mode (`Placement`); outside it, everything runs on this host.
    static var placement: Placement { get }

    /// Reads and checks the task's `with:` options.
    init(options: OptionReader) throws(HangarError)

    /// Checks and resolves, before `execute`.
    func prepare(_ context: TaskContext) async throws(HangarError)
    /// Does the work.
    func execute(_ context: TaskContext) async throws(HangarError)
    /// Cleans up; always called once for a task that started.
    func finalize(_ context: TaskContext) async
}

extension Handler {
    /// Most handlers work in the guest.
    public static var needsMachine: Bool { true }
    /// Most handlers are skipped after a failure.
    public static var runsAfterFailure: Bool { false }
    /// Most handlers are Hangar's own work, not the job's tests.
    public static var runsTests: Bool { false }
    /// Most handlers run where the run's machines are.
    public static var placement: Placement { .worker }

    /// Builds the handler from options (the registry calls this through `any Handler.Type`).
    static func make(_ options: OptionReader) throws(HangarError) -> any Handler { try Self(options: options) }

    /// Nothing to prepare.
    public func prepare(_ context: TaskContext) async throws(HangarError) {}
    /// Nothing to clean up.
    public func finalize(_ context: TaskContext) async {}
}

/// One documented option of a handler.
public struct OptionDoc: Sendable {
    /// The key under `with:`.
    public var name: String
    /// The kind of value, such as `text`, `list of text`, `duration`.
    public var type: String
    /// The default, or nil when the option is required.
    public var defaultValue: String?
    /// What it does.
    public var summary: String

    /// Documents an option; `defaultValue` nil means required.
    public init(_ name: String, _ type: String, default defaultValue: String?, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// Reads a handler's options, rejecting keys its `OptionDoc`s do not list.
public struct OptionReader: Sendable {
    private let values: [String: YAMLValue]
    /// Where the task is, for messages about missing options.
    public let location: String

    /// Reads `value` (nil when the task has no `with:`) against `docs`.
    public init(_ value: YAMLValue?, docs: [OptionDoc], handler: String, location: String) throws(HangarError) {
        self.location = value?.location ?? location
        guard let value, !value.isNull else {
            values = [:]
            return
        }
        let entries = try value.entries(allowed: docs.map(\.name), what: "option of '\(handler)'")
        values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value of `name`, if given.
    public subscript(name: String) -> YAMLValue? { values[name] }

    /// A required text option.
    public func required(_ name: String) throws(HangarError) -> String {
        guard let value = values[name] else {
            throw .usage(.configMissingOption, "missing option '\(name)'", at: location)
        }
        return try value.string()
    }

    /// A shell command that must say something: an empty one can only be a mistake.
    public func command(_ name: String) throws(HangarError) -> String {
        let command = try required(name)
        guard !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .usage(.configEmptyCommand, "an empty command", hint: "write the shell command to run", at: values[name]?.location ?? location)
        }
        return command
    }
}
