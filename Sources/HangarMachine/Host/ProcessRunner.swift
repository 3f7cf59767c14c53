public import Foundation
public import HangarCore

/// What runs host programs to completion: the seam between the parts that start programs for a
/// run (the guest's ssh, a `host` task) and this host. `HostProcesses` is the real one (`Command`,
/// through swift-subprocess); tests use `ScriptedProcesses` (HangarTestSupport), which records the
/// command lines and answers from a table. The machines' own tools (qemu-img, ssh-keygen, QEMU)
/// are started by `Machines`, the real `Hypervisor`, directly.
public protocol ProcessRunner: Sendable {
    /// Runs `arguments[0]` with `arguments`; see `Command.run`.
    func run(
        _ arguments: [String],
        input: Data?,
        output: Command.Output,
        environment: [String: String]?,
        directory: String?
    ) async throws(HangarError) -> CommandResult
}

extension ProcessRunner {
    /// Runs `arguments`, with this process's environment and folder.
    public func run(_ arguments: [String], input: Data? = nil, output: Command.Output = .capture) async throws(HangarError) -> CommandResult {
        try await run(arguments, input: input, output: output, environment: nil, directory: nil)
    }
}

/// This host's programs, run by `Command`.
public struct HostProcesses: ProcessRunner {
    public init() {}

    public func run(
        _ arguments: [String],
        input: Data?,
        output: Command.Output,
        environment: [String: String]?,
        directory: String?
    ) async throws(HangarError) -> CommandResult {
        try await Command.run(arguments, input: input, output: output, environment: environment, directory: directory)
    }
}
