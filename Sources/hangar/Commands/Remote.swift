public import ArgumentParser
import Foundation
import HangarAPI
public import HangarCore
import NIOHTTP1

/// `hangar remote …`: a server's runs, from any machine, through its REST API.
struct Remote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Trigger, list, follow and cancel runs on a Hangar server; keep their machines and reach them through it.",
        subcommands: [
            Trigger.self, Runs.self, Logs.self, Cancel.self, Rerun.self, Projects.self, Up.self, Machines.self, Extend.self, Destroy.self,
            SSHCommand.self, TunnelCommand.self, Forward.self,
        ]
    )

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a run of PROJECT/JOB and print its id.",
            discussion: "A matrix job queues a run per cell (a group): each id is printed on a line of its own."
        )

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The job, as PROJECT/JOB.")
        var target: String

        @OptionGroup var parameters: ParameterOptions

        @Option(help: "Higher runs start first.")
        var priority = 0

        @Option(help: "For a matrix job, run only this cell (such as debian-12/selinux).")
        var cell: String?

        @Flag(name: .shortAndLong, help: "Follow the log until the run ends (every cell's end, for a matrix job); exit like 'hangar run'.")
        var follow = false

        @Option(help: "Keep the run's machines up this long after it ends (such as 4h; default the job's 'keep:').")
        var keep: String?

        @Option(help: "A public key file (~/.ssh/id_ed25519.pub) the kept machines let in.")
        var sshKey: String?

        func run() async throws {
            var request: [String: Any] = ["parameters": try parameters.values(), "priority": priority]
            if let cell { request["cell"] = cell }
            request.merge(try KeepOptions(keep: keep, sshKey: sshKey).fields()) { $1 }
            let client = remote.client
            let run = try await Remote.queue(client, target, request)
            guard let group = run.group else {
                print(run.id)
                Terminal.note("queued run \(run.id): \(client.base)/runs/\(run.id)")
                if follow { throw try await Logs.follow(client, run.id) }
                return
            }
            let runs = try await client.decode(API.Group.self, .GET, "/api/v1/groups/\(group)").runs
            for run in runs { print(run.id) }
            Terminal.note("queued group \(group), a run per cell: \(runs.map { "\($0.cell ?? "") (\($0.id))" }.joined(separator: ", "))")
            guard follow else { return }
            if runs.count == 1 { throw try await Logs.follow(client, run.id) }
            throw try await Self.follow(client, group: group)
        }

        /// Waits for every cell of `group` to end, saying each end as it comes; the exit code is
        /// the group's worst outcome (a cell retried counts by its last run).
        static func follow(_ client: RemoteClient, group: Int) async throws -> ExitCode {
            var said: Set<Int> = []
            var state = RunState.queued
            _ = try await Poll.until(every: .seconds(1)) {
                let now = try await client.decode(API.Group.self, .GET, "/api/v1/groups/\(group)")
                for run in now.runs where run.state.isFinished && !said.contains(run.id) {
                    said.insert(run.id)
                    Terminal.printError("\(run.cell ?? "") (run \(run.id)) \(run.state.rawValue)\(run.reason.map { ": \($0)" } ?? "")")
                }
                state = now.state
                return state.isFinished
            }
            return RunPrinter.exitCode(RunStatus(rawValue: state.rawValue) ?? .error)
        }
    }

    /// Queues a run of `target` (PROJECT/JOB) with the trigger's `request` fields.
    static func queue(_ client: RemoteClient, _ target: String, _ request: [String: Any]) async throws -> API.Run {
        let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("name the job as PROJECT/JOB, not '\(target)'") }
        return try await client.decode(
            API.Run.self,
            .POST,
            "/api/v1/projects/\(parts[0])/jobs/\(parts[1])/runs",
            json: try JSONSerialization.data(withJSONObject: request)
        )
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")

        @OptionGroup var remote: RemoteOptions

        @Option(help: "Only runs in this state (\(RunState.spellings)).")
        var state: RunState?

        @Option(help: "Only this project's runs.")
        var project: String?

        @Option(help: "Only this job's runs.")
        var job: String?

        @Option(help: "Only runs started this way (\(RunTrigger.allCases.map(\.rawValue).joined(separator: ", "))).")
        var trigger: RunTrigger?

        @Option(help: "How many.")
        var limit = 20

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            var query = ["limit=\(limit)"]
            for (name, value) in [("state", state?.rawValue), ("project", project), ("job", job), ("trigger", trigger?.rawValue)] {
                if let value { query.append("\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)") }
            }
            guard let runs = try await remote.client.list([API.Run].self, "/api/v1/runs?\(query.joined(separator: "&"))", raw: json) else { return }
            Terminal.table(
                ["ID", "PROJECT", "JOB", "STATE", "REASON"],
                runs.map { ["\($0.id)", $0.project, $0.job, $0.state.rawValue, $0.reason ?? ""] }
            )
        }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a run's log; -f follows it live until the run ends.")

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The run's id.")
        var id: Int

        @Flag(name: .shortAndLong, help: "Follow the log until the run ends; exit like 'hangar run'.")
        var follow = false

        func run() async throws {
            let client = remote.client
            if follow { throw try await Self.follow(client, id) }
            FileHandle.standardOutput.write(try await client.call(.GET, "/api/v1/runs/\(id)/log"))
        }

        /// Prints the log as it grows; returns the exit code for the run's end (0 passed, 1 failed, 2 error, 3 timed out, 130 cancelled).
        /// Follows run `id`'s log to its end; when a known issue had it retried, says so and follows
        /// the retry, and so on: the exit status is the last one's.
        static func follow(_ client: RemoteClient, _ id: Int) async throws -> ExitCode {
            var id = id
            while true {
                var final = "error"
                try await client.events("/api/v1/runs/\(id)/log/live") { name, data in
                    if name == "end" { final = data } else { print(data) }
                }
                guard final != RunStatus.passed.rawValue, let retry = try await retry(of: id, client) else {
                    Terminal.printError("run \(id) \(final)")
                    return RunPrinter.exitCode(RunStatus(rawValue: final) ?? .error)
                }
                let known = retry.match.map { " (known issue '\($0.signature)', \($0.kind.rawValue)\($0.issue.map { ", \($0)" } ?? ""))" } ?? ""
                Terminal.printError("run \(id) \(final)\(known); retrying as run \(retry.id)")
                id = retry.id
            }
        }

        /// The automatic retry run `id`'s known issue asked for, with that issue (the retry is queued
        /// just after the run ends: asked a few times over two seconds).
        private static func retry(of id: Int, _ client: RemoteClient) async throws -> (id: Int, match: SignatureMatch?)? {
            var retry: (id: Int, match: SignatureMatch?)?
            _ = try await Poll.until(every: .milliseconds(200), for: .seconds(2)) {
                let detail = try await client.decode(API.RunDetail.self, .GET, "/api/v1/runs/\(id)")
                retry = detail.retriedAs.map { ($0, detail.matches.first) }
                // Only a known issue that is not a bug of the tested code asks for a retry.
                return retry != nil || !detail.matches.contains(where: { $0.kind != .knownBug })
            }
            return retry
        }
    }

    struct Rerun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue run ID's job again with its parameters and print the new run's id.",
            discussion: "With --group, ID is a matrix job's group: its cells that ended badly are queued again, in the group."
        )

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The run's id (the group's, with --group).")
        var id: Int

        @Flag(help: "ID is a group: rerun its cells whose latest run failed, erred, timed out or was cancelled.")
        var group = false

        @Flag(name: .shortAndLong, help: "Follow the new run's log (the group's cells, with --group) until it ends; exit like 'hangar run'.")
        var follow = false

        func run() async throws {
            let client = remote.client
            if group {
                let before = try await client.decode(API.Group.self, .GET, "/api/v1/groups/\(id)").runs.map(\.id)
                let after = try await client.decode(API.Group.self, .POST, "/api/v1/groups/\(id)/rerun")
                let new = after.runs.filter { !before.contains($0.id) }
                for run in new { print(run.id) }
                Terminal.note("queued again in group \(id): \(new.map { "\($0.cell ?? "") (\($0.id))" }.joined(separator: ", "))")
                if follow { throw try await Trigger.follow(client, group: id) }
                return
            }
            let run = try await client.decode(API.Run.self, .POST, "/api/v1/runs/\(id)/retrigger")
            print(run.id)
            Terminal.note("queued run \(run.id), again \(run.project)/\(run.job) of run \(id): \(client.base)/runs/\(run.id)")
            // A recheck says which known issue the last failure matched.
            if let cause = run.cause, cause.contains("its failure matched") { Terminal.note(cause) }
            if follow { throw try await Logs.follow(client, run.id) }
        }
    }

    struct Projects: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the server's projects and their jobs.")

        @OptionGroup var remote: RemoteOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            guard let projects = try await remote.client.list([API.Project].self, "/api/v1/projects", raw: json) else { return }
            Terminal.table(["PROJECT", "JOBS", "PROBLEM"], projects.map { [$0.name, $0.jobs.map(\.name).joined(separator: " "), $0.error ?? ""] })
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued or running run (its machine is still cleaned up).")

        @OptionGroup var remote: RemoteOptions

        @Argument(help: "The run's id.")
        var id: Int

        func run() async throws {
            _ = try await remote.client.call(.POST, "/api/v1/runs/\(id)/cancel")
            Terminal.note("cancelling run \(id)")
        }
    }
}

extension RunState: ExpressibleByArgument {}
extension RunTrigger: ExpressibleByArgument {}
