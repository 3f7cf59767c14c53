import ArgumentParser
import Foundation
import HangarAPI
import HangarCore
import NIOHTTP1

/// `hangar remote up`, `machines`, `extend`, `destroy`: machines a run keeps up on its worker
/// after it ends (`keep:`), for people to look at.
extension Remote {
    /// How long to keep a run's machines and the key to let in: `--keep`/`--for` and `--ssh-key`.
    struct KeepOptions {
        var keep: String?
        var sshKey: String?
        /// The option `keep` came from, for its error.
        var option = "--keep"

        /// The trigger's fields: `keep` (seconds) and `sshKey` (the file's first line).
        func fields() throws -> [String: Any] {
            var fields: [String: Any] = [:]
            if let keep { fields["keep"] = try Remote.seconds(keep, option: option).seconds }
            if let sshKey {
                let path = NSString(string: sshKey).expandingTildeInPath
                guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                    let line = text.split(separator: "\n").first(where: { !$0.isEmpty }).map(String.init)
                else {
                    throw ValidationError("cannot read the public key '\(sshKey)': give a file such as ~/.ssh/id_ed25519.pub")
                }
                fields["sshKey"] = line
            }
            return fields
        }
    }

    /// `text` (`4h`, `90m`) as a duration; an error naming `option` otherwise.
    static func seconds(_ text: String, option: String) throws -> Duration {
        guard let duration = DurationText.parse(text), duration > .zero else {
            throw ValidationError("\(option) takes a duration such as 90m, 4h or 2d, not '\(text)'")
        }
        return duration
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run PROJECT/JOB on the server and keep its machines up afterwards, for people to log in.",
            discussion: """
                Queues the run with --for and --ssh-key (by default ~/.ssh/id_ed25519.pub or ~/.ssh/id_rsa.pub, if there \
                is one), follows its log, and prints its kept machines: their worker and SSH port there ('hangar remote \
                ssh ID' logs in through the server). The machines stay up whatever the run's outcome, until the time \
                runs out ('hangar remote extend') or 'hangar remote destroy ID'. Exits like 'hangar run'.
                """
        )

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The job, as PROJECT/JOB.")
        var target: String

        @OptionGroup var parameters: ParameterOptions

        @Option(name: .customLong("for"), help: "How long to keep the machines (at most a week).")
        var keep = "1h"

        @Option(help: "The public key the machines let in.")
        var sshKey: String?

        func run() async throws {
            let key =
                sshKey
                ?? ["~/.ssh/id_ed25519.pub", "~/.ssh/id_rsa.pub"].first {
                    FileManager.default.fileExists(atPath: NSString(string: $0).expandingTildeInPath)
                }
            var request = try KeepOptions(keep: keep, sshKey: key, option: "--for").fields()
            request["parameters"] = try parameters.values()
            let client = remote.client
            let run = try await Remote.queue(client, target, request)
            print(run.id)
            Terminal.note("queued run \(run.id), its machines kept for \(keep) after it ends: \(client.base)/runs/\(run.id)")
            let ended = try await Logs.follow(client, run.id)
            let kept = try await client.decode([API.Kept].self, .GET, "/api/v1/kept").filter { $0.run == run.id }
            if kept.isEmpty { Terminal.printError("run \(run.id) kept no machines (it was cancelled, or its machines did not boot)") }
            Machines.print(kept)
            if !kept.isEmpty {
                let id = run.id
                Terminal.note("log in: hangar remote ssh \(id); a port: hangar remote forward \(id) LOCAL:PORT; done: hangar remote destroy \(id)")
            }
            throw ended
        }
    }

    struct Machines: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the machines runs kept up (and the ones destroyed in the last day).")

        @OptionGroup var remote: RemoteOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            guard let kept = try await remote.client.list([API.Kept].self, "/api/v1/kept", raw: json) else { return }
            Self.print(kept)
        }

        static func print(_ kept: [API.Kept]) {
            var rows: [[String]] = []
            for entry in kept {
                for machine in entry.machines {
                    rows.append([
                        "\(entry.run)", "\(entry.project)/\(entry.job)", machine.name, entry.lost == nil ? entry.state.rawValue : "lost",
                        entry.owner ?? "", entry.worker, "\(machine.sshPort)",
                        entry.state == .kept ? KeptLifecycle.text(entry.until) + (entry.lost.map { " (\($0))" } ?? "") : entry.reason ?? "",
                    ])
                }
            }
            Terminal.table(["RUN", "JOB", "MACHINE", "STATE", "OWNER", "WORKER", "SSH PORT", "UNTIL"], rows)
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep run ID's machines up longer: --for from now (at most a week).")

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The run's id.")
        var id: Int

        @Option(name: .customLong("for"), help: "How long from now.")
        var keep: String

        func run() async throws {
            let seconds = try Remote.seconds(keep, option: "--for").seconds
            let body = try JSONEncoder().encode(API.ExtendRequest(seconds: seconds))
            let kept = try await remote.client.decode(API.Kept.self, .POST, "/api/v1/kept/\(id)/extend", json: body)
            Terminal.note("run \(id)'s machines are kept until \(KeptLifecycle.text(kept.until))")
        }
    }

    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Destroy run ID's kept machines now.")

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The run's id.")
        var id: Int

        func run() async throws {
            _ = try await remote.client.call(.DELETE, "/api/v1/kept/\(id)")
            Terminal.note("run \(id)'s machines are destroyed (by their worker at its next heartbeat)")
        }
    }
}
