public import Foundation
public import HangarCore

/// A shell in a running guest: all that the tasks reaching into a machine need (run a command,
/// copy files in and out). `GuestSSH` is the real one, the system OpenSSH client; tests give the
/// handlers a scripted one (`ScriptedGuest` in HangarTestSupport) that records what it was asked
/// and answers from a table, so every handler is tested without a VM.
public protocol GuestShell: Sendable {
    /// Runs `command` in the guest's login shell; its output as `output` says.
    func run(_ command: String, output: Command.Output, input: Data?) async throws(HangarError) -> CommandResult
    /// Copies the host file or folder `source` into the guest folder `destination`.
    func copyIn(_ source: String, to destination: String) async throws(HangarError)
    /// Copies the guest file or folder `source` into the host folder `destination`.
    func copyOut(_ source: String, to destination: String) async throws(HangarError)
}

extension GuestShell {
    /// Runs `command`, its output captured.
    public func run(_ command: String) async throws(HangarError) -> CommandResult { try await run(command, output: .capture, input: nil) }
}

extension GuestSSH: GuestShell {}
