import ArgumentParser
import Foundation
import HangarCore
import HangarMachine

@main
struct Hangar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hangar",
        abstract: "Boot real OS images as throwaway VMs and drive them like a user.",
        discussion: """
            Exit status: 0 done (a run passed), 1 a run failed (its tests said no), 2 an error that is not the tests' \
            (an image, a machine, SSH, the host, a server), 3 a run timed out, 64 a mistake in the command line, in \
            hangar.yml or in a name, 130 cancelled.
            """,
        version: HangarVersion.current,
        subcommands: [
            Init.self, Up.self, SSH.self, Exec.self, Status.self, Run.self, Destroy.self, Console.self, Ports.self, Images.self,
            SnapshotsCommand.self,
            Handlers.self, Serve.self, Worker.self, Token.self, Remote.self,
        ]
    )

    /// Runs the command; an error is printed once and ends with the status a script can act on:
    /// 64 for what the user gave (as ArgumentParser does for flags), 1 for a failed test, 2 for the rest.
    static func main() async {
        // Before anything else runs: SIGINT and SIGTERM are Hangar's from the start (ProcessSignals).
        ProcessSignals.start()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as HangarError {
            FileHandle.standardError.write(Data("hangar: \(error)\n".utf8))
            Foundation.exit(error.kind == .usage ? 64 : error.kind == .test ? 1 : 2)
        } catch {
            exit(withError: error)
        }
    }
}
