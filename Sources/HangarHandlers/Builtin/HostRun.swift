public import HangarCore
import HangarMachine

/// `host`: a shell command on the host, in the project folder, with the machine's SSH details in
/// its environment (`HANGAR_SSH_PORT`, `HANGAR_SSH_USER`, `HANGAR_SSH_KEY`) when one is running,
/// and the run's parameters.
public struct HostRun: Handler {
    public static let name = "host"
    public static let runsTests = true
    public static let summary = "Run a shell command on the host in the project folder; non-zero exit fails the job."
    public static let options = [OptionDoc("command", "text", default: nil, "The command, run by /bin/sh.")]
    public static let needsMachine = false

    /// The command.
    public let command: String

    public init(options: OptionReader) throws(HangarError) {
        command = try options.command("command")
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        var environment = context.parameters.merging(["HANGAR_RUN_DIR": context.runFolder]) { $1 }
        if let machine = context[.machine] {
            environment["HANGAR_SSH_PORT"] = "\(machine.sshPort)"
            environment["HANGAR_SSH_USER"] = machine.sshUser
            environment["HANGAR_SSH_KEY"] = machine.identity
        }
        let emit = context.emit
        let result = try await context.processes.run(
            ["sh", "-c", command],
            input: nil,
            output: .lines { line, isError in emit(.output(line, isError: isError)) },
            environment: environment,
            directory: context.project.directory
        )
        try GuestRun.check(result.status, of: command)
    }
}
