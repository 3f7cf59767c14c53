public import HangarMachine

/// What a scripted command answers: its exit status and output.
public struct ScriptedAnswer: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32 = 0, stdout: String = "", stderr: String = "") {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// The answer as a finished command's result, its output handed to `output` line by line first
    /// (as the real runners hand it over).
    func result(_ output: Command.Output) -> CommandResult {
        if case .lines(let line) = output {
            for text in stdout.split(separator: "\n") { line(String(text), false) }
            for text in stderr.split(separator: "\n") { line(String(text), true) }
        }
        return CommandResult(status: status, stdout: stdout, stderr: stderr)
    }
}

/// Answers commands from a table: the first entry whose text the command contains answers, one
/// answer per call and the last one from then on; a command no entry matches exits 0 silently.
struct AnswerTable {
    private var entries: [(match: String, answers: [ScriptedAnswer])] = []

    mutating func add(_ match: String, _ answers: [ScriptedAnswer]) { entries.append((match, answers)) }

    mutating func next(for command: String) -> ScriptedAnswer {
        guard let index = entries.firstIndex(where: { command.contains($0.match) }) else { return ScriptedAnswer() }
        let answers = entries[index].answers
        if answers.count > 1 { entries[index].answers.removeFirst() }
        return answers.first ?? ScriptedAnswer()
    }
}
