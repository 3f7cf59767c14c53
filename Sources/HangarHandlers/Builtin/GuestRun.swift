public import HangarCore
import HangarMachine

/// `run`: a shell command in the guest, output streamed; a non-zero exit fails the task (and the
/// run ends `failed`, not `error`: the job's own command said no). `run: CMD` is its shorthand.
/// The run's parameters are exported to the command's shell.
public struct GuestRun: Handler {
    public static let name = "run"
    public static let runsTests = true
    public static let summary = "Run a shell command in the guest over SSH; non-zero exit fails the job."
    public static let options = [OptionDoc("command", "text", default: nil, "The command, run by the login user's shell.")]

    /// The command.
    public let command: String

    public init(options: OptionReader) throws(HangarError) {
        command = try options.command("command")
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let guest = try context.shell()
        let emit = context.emit
        let exports = context.parameters.sorted { $0.key < $1.key }.map { "export \($0.key)=\(ShellQuote.quote($0.value)); " }.joined()
        let result = try await guest.run(exports + command, output: .lines { line, isError in emit(.output(line, isError: isError)) }, input: nil)
        try Self.check(result.status, of: command)
    }

    /// A test failure naming the command and its status when `status` is not 0.
    static func check(_ status: Int32, of command: String) throws(HangarError) {
        guard status != 0 else { return }
        throw HangarError(.taskExitStatus, "'\(command)' exited with status \(status)", kind: .test)
    }
}
