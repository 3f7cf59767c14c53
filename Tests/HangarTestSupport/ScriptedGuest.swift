public import Foundation
public import HangarCore
public import HangarMachine
import Synchronization

/// A guest for handler tests: it records every command and copy it is asked for, answers commands
/// from a table (the first entry whose text the command contains; else status 0 and no output),
/// and holds files that `copyOut` writes to the host. Honest where it matters: a command's output
/// reaches `.lines` line by line, as GuestSSH's does, and copying out a file it does not hold fails
/// as a real copy does.
public final class ScriptedGuest: GuestShell {
    public typealias Answer = ScriptedAnswer

    private struct State {
        var commands: [String] = []
        var copiedIn: [(source: String, destination: String)] = []
        var answers = AnswerTable()
        var files: [String: String] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Answers commands containing `match` with `answers`, one per call, the last one from then on.
    public func answer(_ match: String, _ answers: Answer...) { state.withLock { $0.answers.add(match, answers) } }

    /// A file at `path` in the guest, for `copyOut`.
    public func file(_ path: String, _ text: String) { state.withLock { $0.files[path] = text } }

    /// The commands run, in order.
    public var commands: [String] { state.withLock { $0.commands } }

    /// What was copied in: host source, guest destination.
    public var copiedIn: [(source: String, destination: String)] { state.withLock { $0.copiedIn } }

    public func run(_ command: String, output: Command.Output, input: Data?) async throws(HangarError) -> CommandResult {
        state.withLock { state in
            state.commands.append(command)
            return state.answers.next(for: command)
        }
        .result(output)
    }

    public func copyIn(_ source: String, to destination: String) async throws(HangarError) {
        state.withLock { $0.copiedIn.append((source, destination)) }
    }

    public func copyOut(_ source: String, to destination: String) async throws(HangarError) {
        guard let text = state.withLock({ $0.files[source] }) else {
            throw HangarError(.guestCopy, "cannot copy \(source) out of the guest: no such file")
        }
        do {
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try text.write(toFile: "\(destination)/\((source as NSString).lastPathComponent)", atomically: true, encoding: .utf8)
        } catch {
            throw HangarError(.guestCopy, "cannot write into \(destination): \(error)")
        }
    }
}

extension MachineRecord {
    /// A record of a machine that is not there, for handler tests (the guest is scripted).
    public static func scripted(
        folder: String,
        id: String = "test",
        name: String = "default",
        project: String = "/p",
        ephemeral: Bool = true
    ) -> MachineRecord {
        let json = """
            {"id": "\(id)", "name": "\(name)", "project": "\(project)", "folder": "\(folder)", "pid": 0, "pidStartTime": 0, "sshPort": 22,
             "ports": [], "sshUser": "hangar", "identity": "\(folder)/id", "image": "test", "accel": "tcg", "ephemeral": \(ephemeral),
             "created": "2026-01-01T00:00:00Z"}
            """
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try! decoder.decode(MachineRecord.self, from: Data(json.utf8))
    }
}
