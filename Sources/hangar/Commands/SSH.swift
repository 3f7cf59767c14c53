import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct SSH: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open an interactive shell in the machine (replaces this process with ssh).",
        discussion: "Example: hangar ssh web (of the machines 'hangar up' started for a job of several)"
    )

    @OptionGroup var options: MachineOptions

    @Argument(help: "The machine, when the project has several (as --machine).")
    var name: String?

    func validate() throws {
        if name != nil, options.machine != nil { throw ValidationError("name the machine once: as an argument or with --machine") }
    }

    func run() throws {
        let record = try options.project.workspace().running(name ?? options.machine)
        try Exec.replaceProcess(with: GuestSSH(record).baseArguments(tty: true))
    }
}

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one command in the machine; output streamed, exit status passed through.",
        discussion: "Example: hangar exec -- make -C /hangar test"
    )

    @OptionGroup var options: MachineOptions

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String]

    func run() throws {
        // Passthrough capture takes `--help` as part of the command; before `--` it means this command's help.
        if ["--help", "-h"].contains(command.first) { throw CleanExit.helpRequest(self) }
        let words = command.first == "--" ? Array(command.dropFirst()) : command
        guard !words.isEmpty else { throw ValidationError("give a command, such as: hangar exec -- uname -a") }
        let record = try options.running()
        let tty = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        try Self.replaceProcess(with: GuestSSH(record).baseArguments(tty: tty) + ["--", ShellQuote.join(words)])
    }

    /// Replaces this process with `arguments` (looked up in PATH), so signals and the exit status are ssh's own.
    static func replaceProcess(with arguments: [String]) throws -> Never {
        let path = try Tools.path(of: arguments[0])
        let argv = arguments.map { strdup($0) } + [nil]
        execv(path, argv)
        throw ValidationError("cannot run \(path): \(String(cString: strerror(errno)))")
    }
}
