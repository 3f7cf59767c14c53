import Foundation
import HangarAMQP
import HangarCore
import HangarMachine
import HangarTestSupport
import NIOCore
import Testing

/// The build service's end of the loop, for real: a `hangar serve --bus` on a RabbitMQ node the
/// test starts, an OBS stand-in that built the test guest's disk, and build events published to
/// the bus as OBS publishes them.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BusTests {
    /// A server listening to `rabbit`, its project booting the stand-in's image.
    struct Site {
        let sandbox: Sandbox
        let server: Server
        let token: String
        let queue = "test-\(UUID().uuidString.prefix(8))"

        init(rabbit: TestRabbit, obs: OBSStandIn) async throws {
            let guest = try TestGuest.require()
            sandbox = try Sandbox("")
            let project = try sandbox.serverProject()
            let image = obs.image
            try """
            machines:
              default:
                image:
                  obs: { project: "\(image.project)", package: \(image.package), repository: \(image.repository), arch: \(image.arch), api: "\(image.api)", download: "\(image.download!)" }
                memory: 512M
                accel: tcg
            jobs:
              test:
                triggers: [{ obs: default }]
                tasks: [{ run: 'echo "booted the build of $HANGAR_OBS_PACKAGE in $(uname -s)"' }]
              early:
                triggers: [{ obs: default, wait-for: build }]
                tasks: [{ host: 'echo "build $HANGAR_OBS_PACKAGE"' }]
            """.write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
            _ = guest
            token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let url = try await rabbit.url()
            server = try await Server(sandbox, capacity: 4, arguments: ["--name", "test", "--bus", url, "--bus-queue", queue])
            try await server.waitUntilUp()
            try await eventually("the server connects to the bus: \(server.process.output())") {
                try await server.fetch("/readyz").contains("bus: connected to")
            }
        }

        struct Run: Decodable {
            var id: Int
            var job: String
            var state: String
            var cause: String?
        }

        func runs() async throws -> [Run] {
            try JSONDecoder().decode([Run].self, from: Data(try await server.call("GET", "/api/v1/runs?limit=500", token: token).body.utf8))
        }

        func metric(_ result: String) async throws -> Int {
            let text = try await server.fetch("/metrics")
            let line = text.split(separator: "\n").first { $0.hasPrefix(#"hangar_bus_messages_total{result="\#(result)"}"#) }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
    }

    /// Publishes `messages` (routing key, JSON body) to the `pubsub` exchange, persistent.
    static func publish(_ rabbit: TestRabbit, _ messages: [(String, String)]) async throws {
        let connection = try await AMQPConnection.connect(try AMQPURL(parsing: try await rabbit.url()))
        let channel = try await connection.openChannel()
        try await channel.exchangeDeclare("pubsub", type: "topic", passive: false, durable: true)
        for (key, body) in messages { try channel.publish(ByteBuffer(string: body), exchange: "pubsub", routingKey: key) }
        // A round trip after them: the broker has taken them.
        try await channel.exchangeDeclare("pubsub")
        await connection.close()
    }

    static func build(_ package: String = "JeOS", count: Int = 1) -> (String, String) {
        (
            "opensuse.obs.package.build_success",
            #"{"project": "devel:kanku:images", "package": "\#(package)", "repository": "images_leap", "arch": "x86_64", "bcnt": \#(count), "reason": "new build"}"#
        )
    }

    static let published = ("opensuse.obs.repo.published", #"{"project": "devel:kanku:images", "repo": "images_leap", "buildid": "1"}"#)

    /// The whole loop: a build parks the job, the publication starts it once, and the run boots the
    /// newest image OBS built; what is not for it is counted and starts nothing.
    @Test func aPublishedBuildIsBootedAndTestedOnce() async throws {
        let rabbit = TestRabbit.shared
        try await Self.publish(rabbit, [])
        let obs = try await OBSStandIn()
        try obs.build(["JeOS.x86_64-1.0-Build7.1.qcow2"], data: try Data(contentsOf: URL(fileURLWithPath: "\(try TestGuest.require())/disk.qcow2")))
        let site = try await Site(rabbit: rabbit, obs: obs)
        defer { site.sandbox.remove() }
        defer { site.server.process.terminate() }

        try await Self.publish(rabbit, [Self.build()])
        try await eventually("the build queues the job that waits for it: \(site.server.process.output())") {
            try await site.runs().contains { $0.job == "early" && $0.state == "passed" }
        }
        #expect(try await site.runs().allSatisfy { $0.job == "early" }, "the VM job waits for the publication")
        try await Self.publish(rabbit, [Self.published, Self.published])
        try await eventually("the publication starts the parked job: \(site.server.process.output())", within: .seconds(180)) {
            try await site.runs().contains { $0.job == "test" && ["passed", "failed", "error"].contains($0.state) }
        }
        let tested = try #require(try await site.runs().first { $0.job == "test" })
        let log = try await site.server.remote(["logs", "\(tested.id)"], token: site.token).stdout
        #expect(tested.state == "passed", "\(log)")
        #expect(tested.cause == "OBS build of JeOS in devel:kanku:images (images_leap/x86_64)")
        #expect(log.contains("image: JeOS.x86_64-1.0-Build7.1.qcow2") && log.contains("booted the build of JeOS in Linux"), "\(log)")
        #expect(try await site.runs().filter { $0.job == "test" }.count == 1, "published twice, tested once")
        let listed = try await site.server.remote(["runs", "--trigger", "obs", "--json"], token: site.token).stdout
        #expect(
            listed.contains(#""trigger":"obs""#) && listed.contains("\"id\":\(tested.id)") && !listed.contains(#""trigger":"manual""#),
            "\(listed)"
        )
        let page = try await site.server.fetch("/runs/\(tested.id)", cookie: "hangar_token=\(site.token)")
        #expect(page.contains("JeOS.x86_64-1.0-Build7.1.qcow2") && page.contains("OBS build of JeOS"), "the run page names the build")

        // Not for it: counted, acknowledged, nothing started; the consumer goes on.
        try await Self.publish(
            rabbit,
            [
                ("opensuse.obs.package.build_success", "not json"), Self.build("other"),
                ("opensuse.obs.package.build_success", #"{"project": "devel:kanku:images"}"#),
            ]
        )
        try await eventually("the bad messages are counted") {
            let invalid = try await site.metric("invalid")
            let ignored = try await site.metric("ignored")
            return invalid == 2 && ignored >= 1
        }
        try await Self.publish(rabbit, [Self.build(count: 2)])
        try await eventually("the consumer goes on") { try await site.runs().filter { $0.job == "early" }.count == 2 }
        #expect(try await site.server.fetch("/readyz").contains("last message"))
        #expect(site.sandbox.qemuProcesses().isEmpty)
    }

    /// RabbitMQ restarted with messages in flight, and the server killed between taking messages
    /// and acknowledging them: every event yields its run exactly once.
    @Test func restartsAndKillsLoseAndRepeatNothing() async throws {
        let rabbit = TestRabbit()
        defer { Task { try? await rabbit.destroy() } }
        try await Self.publish(rabbit, [])
        let obs = try await OBSStandIn()
        let site = try await Site(rabbit: rabbit, obs: obs)
        defer { site.sandbox.remove() }
        defer { site.server.process.terminate() }

        try await Self.publish(rabbit, (1...30).map { Self.build(count: $0) })
        try await rabbit.stop()
        try await eventually("the server sees the bus go", within: .seconds(60)) { try await site.server.fetch("/readyz").contains("not connected") }
        try await rabbit.start()
        try await Self.publish(rabbit, (31...40).map { Self.build(count: $0) })
        try await eventually("all 40 events are run: \(site.server.process.output().suffix(2000))", within: .seconds(120)) {
            try await site.runs().filter { $0.job == "early" }.count >= 40
        }
        // Killed mid-stream; started again, it is given what it had not acknowledged.
        try await Self.publish(rabbit, (41...80).map { Self.build(count: $0) })
        try await Task.sleep(for: .milliseconds(150))
        site.server.process.signal(SIGKILL)
        await site.server.process.wait()
        let again = try await Server(
            site.sandbox,
            capacity: 4,
            port: site.server.port,
            arguments: ["--name", "test", "--bus", try await rabbit.url(), "--bus-queue", site.queue]
        )
        defer { again.process.terminate() }
        try await eventually("all 80 events are run: \(again.process.output().suffix(2000))", within: .seconds(120)) {
            try await site.runs().filter { $0.job == "early" }.count >= 80
        }
        try await Task.sleep(for: .seconds(2))
        let runs = try await site.runs().filter { $0.job == "early" }
        #expect(runs.count == 80, "each event once: \(runs.count) runs for 80 events")
    }

    /// A broker that does not answer at start is no reason not to start; a wrong password is.
    @Test func anAbsentBusIsWaitedForAndAWrongPasswordIsRefused() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: "\(sandbox.root)/projects", withIntermediateDirectories: true)
        let port = PortPicker.freePort()
        let server = try await Server(sandbox, arguments: ["--name", "test", "--bus", "amqp://guest:guest@127.0.0.1:\(port)"])
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        let ready = try await server.fetch("/readyz")
        #expect(ready.hasPrefix("ready\n") && ready.contains("bus: not connected to amqp://guest@127.0.0.1:\(port)"), "\(ready)")
        let rabbit = try await TestRabbit.shared.port()
        let refused = try await sandbox.hangar([
            "serve", "--projects", "\(sandbox.root)/projects", "--port", "\(PortPicker.freePort())", "--bus",
            "amqp://guest:wrong@127.0.0.1:\(rabbit)",
        ])
        #expect(refused.status == 64 && refused.stderr.contains("check the user, password and virtual host in --bus"), "\(refused.stderr)")
        let bad = try await sandbox.hangar(["serve", "--projects", "\(sandbox.root)/projects", "--bus", "rabbit://nowhere"])
        #expect(bad.status == 64 && bad.stderr.contains("is not an AMQP URL"), "\(bad.stderr)")
    }
}
