import Foundation
import HangarCore
import HangarMachine

/// A throwaway RabbitMQ for the tests (Debian's `rabbitmq-server`, which the README's test command
/// installs): a node of its own in a temporary folder owned by the `rabbitmq` user, on free loopback
/// ports (AMQP, distribution, and its own `epmd`), user `guest`. A watchdog stops it, its `epmd` and
/// its folder when the test process ends, however it ends.
public actor TestRabbit {
    /// One broker for the whole test process; a test that stops its broker makes its own.
    public static let shared = TestRabbit()

    private struct Node {
        var folder: String
        var port: Int
        var distribution: Int
        var epmd: Int
        var name: String { "hangar-\(port)@localhost" }
    }

    private var starting: Task<Node, any Error>?

    public init() {}

    /// The broker's URL (`amqp://guest:guest@127.0.0.1:PORT`), starting it the first time.
    public func url() async throws -> String {
        "amqp://guest:guest@127.0.0.1:\(try await node().port)"
    }

    /// The AMQP port.
    public func port() async throws -> Int { try await node().port }

    private func node() async throws -> Node {
        if let starting { return try await starting.value }
        let task = Task { try await Self.create() }
        starting = task
        return try await task.value
    }

    private static func create() async throws -> Node {
        guard FileManager.default.isExecutableFile(atPath: "/usr/lib/rabbitmq/bin/rabbitmq-server") else {
            throw HangarError(.testRabbitmq, "RabbitMQ is not installed", hint: "apt-get install rabbitmq-server (scripts/setup.sh does)")
        }
        let folder = try await Command.check(["mktemp", "-d", "/tmp/hangar-rabbit-XXXXXX"], code: .testRabbitmq)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try "[].\n".write(toFile: "\(folder)/enabled_plugins", atomically: true, encoding: .utf8)
        try await Command.check(["chown", "-R", "rabbitmq:rabbitmq", folder], code: .testRabbitmq)
        let node = Node(folder: folder, port: PortPicker.freePort(), distribution: PortPicker.freePort(), epmd: PortPicker.freePort())
        let watchdog = """
            alive() { [ -e /proc/$1/stat ] && [ "$(cut -d' ' -f3 /proc/$1/stat)" != Z ]; }
            while alive \(getpid()); do sleep 1; done
            \(command(node, "rabbitmqctl", ["-n", node.name, "stop"]).map { "'\($0)'" }.joined(separator: " ")) >/dev/null 2>&1
            epmd -port \(node.epmd) -kill >/dev/null 2>&1; rm -rf \(folder)
            """
        _ = try await Command.start(["sh", "-c", watchdog], log: "/dev/null")
        try await start(node)
        return node
    }

    /// Starts the node again, after `stop()`.
    public func start() async throws { try await Self.start(try await node()) }

    private static func start(_ node: Node) async throws {
        let server = try await Command.start(command(node, "rabbitmq-server", []), log: "\(node.folder)/server.log")
        // Ready once its node answers and says it started (about 7 s on an idle machine; several times
        // that on a busy one); `await_startup` fails at once while the node is not up at all.
        let deadline = ContinuousClock.now + .seconds(180)
        while try await Command.run(command(node, "rabbitmqctl", ["-n", node.name, "--timeout", "60", "await_startup"])).status != 0 {
            guard server.isRunning, ContinuousClock.now < deadline else {
                throw HangarError(.testRabbitmq, "RabbitMQ did not start: \(server.output().suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Stops the node, as an administrator restarting it would; its durable queues and their
    /// persistent messages stay.
    public func stop() async throws {
        let node = try await node()
        try await Command.check(Self.command(node, "rabbitmqctl", ["-n", node.name, "stop"]), code: .testRabbitmq)
    }

    /// Stops the node and its `epmd` and removes its folder.
    public func destroy() async throws {
        let node = try await node()
        _ = try? await Command.check(Self.command(node, "rabbitmqctl", ["-n", node.name, "stop"]), code: .testRabbitmq)
        _ = try? await Command.check(["epmd", "-port", "\(node.epmd)", "-kill"], code: .testRabbitmq)
        try? FileManager.default.removeItem(atPath: node.folder)
    }

    /// `program` with `arguments`, run as the `rabbitmq` user with the node's environment.
    private static func command(_ node: Node, _ program: String, _ arguments: [String]) -> [String] {
        [
            "runuser", "-u", "rabbitmq", "--", "env", "HOME=\(node.folder)", "RABBITMQ_NODENAME=\(node.name)",
            "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1", "RABBITMQ_NODE_PORT=\(node.port)", "RABBITMQ_DIST_PORT=\(node.distribution)",
            "ERL_EPMD_PORT=\(node.epmd)", "RABBITMQ_MNESIA_BASE=\(node.folder)/mnesia", "RABBITMQ_LOG_BASE=\(node.folder)/log",
            "RABBITMQ_ENABLED_PLUGINS_FILE=\(node.folder)/enabled_plugins", "RABBITMQ_CONFIG_FILE=\(node.folder)/rabbitmq",
            "RABBITMQ_CONF_ENV_FILE=\(node.folder)/rabbitmq-env.conf", "ERL_CRASH_DUMP=\(node.folder)/erl_crash.dump",
            "/usr/lib/rabbitmq/bin/\(program)",
        ] + arguments
    }
}
