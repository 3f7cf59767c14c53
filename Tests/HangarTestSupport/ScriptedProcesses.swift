public import Foundation
public import HangarCore
public import HangarMachine
import Synchronization

/// A process runner for unit tests: it records every program it is asked to run (its command line,
/// environment and folder) and answers from a table matched against the command line joined by
/// spaces (the first entry it contains; else status 0 and no output). Nothing is started.
public final class ScriptedProcesses: ProcessRunner {
    /// One program it was asked to run.
    public struct Call: Sendable {
        public var arguments: [String]
        public var environment: [String: String]?
        public var directory: String?
    }

    private struct State {
        var calls: [Call] = []
        var answers = AnswerTable()
    }

    private let state = Mutex(State())

    public init() {}

    /// Answers command lines containing `match` with `answers`, one per call, the last one from then on.
    public func answer(_ match: String, _ answers: ScriptedAnswer...) { state.withLock { $0.answers.add(match, answers) } }

    /// The programs it was asked to run, in order.
    public var calls: [Call] { state.withLock { $0.calls } }

    public func run(
        _ arguments: [String],
        input: Data?,
        output: Command.Output,
        environment: [String: String]?,
        directory: String?
    ) async throws(HangarError) -> CommandResult {
        state.withLock { state in
            state.calls.append(Call(arguments: arguments, environment: environment, directory: directory))
            return state.answers.next(for: arguments.joined(separator: " "))
        }
        .result(output)
    }
}
