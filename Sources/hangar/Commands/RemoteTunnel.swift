import ArgumentParser
import Foundation
import HTTPTypes
import HangarAPI
import HangarCore
import HangarMachine
import HangarWorker
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// `hangar remote tunnel`, `ssh`, `forward`: a kept machine's ports from any host that reaches the
/// server, through a WebSocket to the coordinator, which splices it with the machine's worker.
extension Remote {
    /// Names the kept machine a command means.
    struct KeptMachineOptions: ParsableArguments {
        @Argument(help: "The run that kept the machine.")
        var id: Int

        @Option(help: "The machine, when the run kept several (default: its first).")
        var machine: String?

        /// The kept machine named (or the run's first), with its run's state; an error saying what there is.
        func find(_ client: RemoteClient) async throws -> API.KeptMachine {
            guard let kept = try await client.decode([API.Kept].self, .GET, "/api/v1/kept").first(where: { $0.run == id }) else {
                throw ValidationError("run \(id) keeps no machines ('hangar remote machines' lists the kept ones)")
            }
            guard kept.state == .kept else { throw ValidationError("run \(id)'s machines were destroyed: \(kept.reason ?? "destroyed")") }
            guard let found = machine.map({ name in kept.machines.first { $0.name == name } }) ?? kept.machines.first else {
                throw ValidationError("run \(id) kept no machine '\(machine ?? "")'; it kept \(kept.machines.map(\.name).joined(separator: ", "))")
            }
            return found
        }
    }

    /// Opens a tunnel to `port` of run `run`'s machine `machine` and runs `body` with it; the
    /// server's refusal comes back with its message.
    static func tunnel(
        _ client: RemoteClient,
        run: Int,
        machine: String,
        port: Int,
        _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    ) async throws {
        let path = "/api/v1/runs/\(run)/machines/\(machine)/ports/\(port)/tunnel"
        var configuration = WebSocketClientConfiguration(maxFrameSize: Tunnel.maxFrameSize)
        if let token = client.token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        let opened = OnceFlag()
        do {
            try await WebSocketClient.connect(url: client.base + path, configuration: configuration, logger: Logger(label: "hangar.tunnel")) {
                inbound,
                outbound,
                _ in
                opened.set()
                try await body(inbound, outbound)
            }
        } catch {
            if opened.isSet { throw ValidationError("the tunnel to \(client.base) broke: \(error)") }
            // Asked again as a plain request, the server says why it refused the upgrade.
            _ = try await client.call(.GET, path)
            throw ValidationError("cannot open a tunnel to \(client.base): \(error)")
        }
    }

    /// Says what the coordinator said when it cut a tunnel.
    @Sendable static func say(_ text: String) { Terminal.printError("tunnel closed: \(text)") }

    struct TunnelCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tunnel",
            abstract: "Connect standard input and output to PORT of run ID's kept machine (an ssh ProxyCommand).",
            discussion: "Example: ssh -o ProxyCommand='hangar remote tunnel 1234 22' root@kept"
        )

        @OptionGroup var remote: RemoteOptions
        @OptionGroup var target: KeptMachineOptions

        @Argument(help: "The port in the guest: 22, or one the machine forwards.")
        var port: Int

        func run() async throws {
            let client = remote.client
            let machine = try await target.find(client)
            try await Remote.tunnel(client, run: target.id, machine: machine.name, port: port) { inbound, outbound in
                try await Tunnel.splice(inbound, outbound, with: try await Tunnel.standardStreams(), said: Remote.say)
            }
        }
    }

    struct SSHCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ssh",
            abstract: "Log in to run ID's kept machine through the server (ssh with 'hangar remote tunnel' as its ProxyCommand).",
            discussion: """
                Logs in with your own key (the one given to 'hangar remote up --ssh-key'); arguments after -- go to ssh \
                (a command to run, -i KEY, -L …). Example: hangar remote ssh 1234 -- uname -a
                """
        )

        @OptionGroup var remote: RemoteOptions
        @OptionGroup var target: KeptMachineOptions

        @Argument(parsing: .postTerminator, help: "ssh's own options and the command, after --.")
        var arguments: [String] = []

        func run() async throws {
            let client = remote.client
            let machine = try await target.find(client)
            let hangar = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            // The token reaches the ProxyCommand through the environment, never its command line.
            if let token = client.token { setenv("HANGAR_TOKEN", token, 1) }
            let proxy = ShellQuote.join([hangar, "remote", "tunnel", "\(target.id)", "22", "--machine", machine.name, "--server", client.base])
            try Exec.replaceProcess(
                with: [
                    "ssh", "-o", "ProxyCommand=\(proxy)", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                    "LogLevel=ERROR",
                    "\(machine.sshUser)@hangar-run-\(target.id)-\(machine.name)",
                ] + arguments
            )
        }
    }

    struct Forward: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forward localhost:LOCAL to port GUEST of run ID's kept machine, through the server, until Ctrl-C.",
            discussion: "Example: hangar remote forward 1234 8080:80, then open http://localhost:8080"
        )

        @OptionGroup var remote: RemoteOptions
        @OptionGroup var target: KeptMachineOptions

        @Argument(help: "LOCAL:GUEST, such as 8080:80.")
        var ports: String

        func run() async throws {
            let parts = ports.split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, parts.allSatisfy({ (1...65535).contains($0) }) else {
                throw ValidationError("give the ports as LOCAL:GUEST, such as 8080:80, not '\(ports)'")
            }
            let client = remote.client
            let machine = try await target.find(client)
            let (run, guest) = (target.id, parts[1])
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: parts[0], childChannelInitializer: Tunnel.configure)
            Terminal.note("forwarding 127.0.0.1:\(parts[0]) to port \(guest) of machine '\(machine.name)' of run \(run); Ctrl-C stops")
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask {
                            do {
                                try await Remote.tunnel(client, run: run, machine: machine.name, port: guest) { inbound, outbound in
                                    try await Tunnel.splice(inbound, outbound, with: connection, said: Remote.say)
                                }
                            } catch {
                                Terminal.printError("a forwarded connection failed: \(error)")
                            }
                        }
                    }
                }
            }
        }
    }
}
