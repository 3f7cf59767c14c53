import Crypto
import Foundation
public import HangarAMQP
import HangarCore
import HangarEngine
import HangarStore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Where the server listens for build events: `hangar serve --bus URL`.
public struct BusSettings: Sendable {
    public var url: AMQPURL
    /// The exchange the events are published to (openSUSE's: `pubsub`); it must exist.
    public var exchange = "pubsub"
    /// The routing keys' prefix (`opensuse.obs`).
    public var prefix = "opensuse.obs"
    /// The durable queue this installation's replicas share (events wait in it while they are down).
    public var queue = "hangar"

    public init(url: AMQPURL) { self.url = url }
}

/// Consumes the bus (`BusSettings`) and starts what its messages ask for (`BusRouter`): runs at
/// once, runs parked until their OBS repository is published, runs of `amqp:` triggers.
///
/// Unlike kanku's listener, nothing is lost while the server is down or disconnected: the queue is
/// durable and named (shared by replicas, each message to one of them); parked runs are kept in
/// the database; a message is acknowledged only after what it causes is committed, in the same
/// transaction as a record of the message, so a redelivery (the server died before its ack) is a
/// replay. A message that cannot be read, names nothing watched, or has a routing key no trigger
/// asks for is counted, acknowledged and logged (once per kind). The connection is retried with a
/// doubling pause up to 5 minutes, back to 1 s after a connection that lasted a minute.
struct BusListener: Service {
    let settings: BusSettings
    let control: RunControl
    let catalog: ProjectCatalog
    let status: BusStatus
    let metrics: ServerMetrics
    let logger: Logger
    /// This replica's name, shown in the broker's connection list.
    let identity: String
    /// What its retries and pauses sleep on.
    let clock: any Clock<Duration>

    private var router: BusRouter { BusRouter(prefix: settings.prefix) }

    func run() async throws {
        await cancelWhenGracefulShutdown { await connectAgainAndAgain() }
    }

    /// Checks at start that the broker takes the URL's login: a wrong one is refused at once; one
    /// that does not answer yet is not an error (the listener keeps trying).
    static func check(_ settings: BusSettings, logger: Logger) async throws {
        do {
            let connection = try await AMQPConnection.connect(settings.url, name: "hangar (checking)", timeout: .seconds(5))
            await connection.close()
        } catch  where [.refused, .protocolError].contains(error.code) {
            throw HangarError.usage(.busRefused, "\(error.message)", hint: "check the user, password and virtual host in --bus")
        } catch {
            logger.warning("bus: \(error.message); starting anyway and trying again")
        }
    }

    private func connectAgainAndAgain() async {
        var pause = Duration.seconds(1)
        let said = Said()
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let problem: String
            do {
                let connection = try await AMQPConnection.connect(settings.url, name: "hangar \(identity)")
                status.connected()
                metrics.busConnected(true)
                logger.notice("bus: connected to \(settings.url), queue \(settings.queue)")
                problem = await consume(connection, said: said)
                await connection.close()
            } catch {
                problem = error.message
            }
            if Task.isCancelled { break }
            status.disconnected(problem)
            metrics.busConnected(false)
            if ContinuousClock.now - started > .seconds(60) { pause = .seconds(1) }
            logger.warning("bus: \(problem); connecting again in \(pause)")
            try? await clock.sleep(for: pause)
            pause = min(pause * 2, .seconds(300))
        }
    }

    /// Declares and binds the queue and handles its messages until the connection ends; why it ended.
    private func consume(_ connection: AMQPConnection, said: Said) async -> String {
        do {
            let channel = try await connection.openChannel()
            try await channel.exchangeDeclare(settings.exchange, passive: true)
            try await channel.queueDeclare(settings.queue, durable: true)
            try await channel.basicQos(prefetch: 200)
            var bound: Set<String> = []
            try await bind(channel, bound: &bound)
            let messages = try await channel.consume(settings.queue, tag: "hangar \(identity)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Projects change: the keys their triggers need are bound as they appear.
                group.addTask { [bound] in
                    var bound = bound
                    while true {
                        try await clock.sleep(for: .seconds(5))
                        try await bind(channel, bound: &bound)
                    }
                }
                group.addTask {
                    for try await message in messages { try await handle(message, on: channel, said: said) }
                }
                try await group.next()
                group.cancelAll()
            }
            return "the connection ended"
        } catch {
            return (error as? AMQPError)?.message ?? "\(error)"
        }
    }

    private func bind(_ channel: AMQPChannel, bound: inout Set<String>) async throws {
        for key in router.routingKeys(projects()).subtracting(bound).sorted() {
            try await channel.queueBind(settings.queue, exchange: settings.exchange, routingKey: key)
            bound.insert(key)
        }
    }

    private func projects() -> [(name: String, file: ProjectFile)] {
        catalog.all.compactMap { entry in entry.workspace.map { (entry.name, $0.project) } }
    }

    /// What `message` asks for, stored with a record of it before it is acknowledged.
    private func handle(_ message: AMQPMessage, on channel: AMQPChannel, said: Said) async throws {
        status.received()
        let body = Data(message.body.readableBytesView)
        let outcome = router.route(BusMessage(routingKey: message.routingKey, body: body), projects: projects())
        let result = try await store(outcome, id: Self.id(message.routingKey, body), key: message.routingKey, said: said)
        metrics.busMessage(result)
        try channel.ack(message)
    }

    /// Stores what `outcome` asks for (retrying while the database does not answer); the result counted.
    private func store(_ outcome: BusOutcome, id: String, key: String, said: Said) async throws -> String {
        if let invalid = outcome.invalid {
            said.once(invalid) { logger.warning("bus: ignoring \(invalid)") }
            return "invalid"
        }
        var runs: [NewRun] = []
        var park: [ParkedRun] = []
        for run in outcome.runs { runs += prepare(run, said: said) }
        for parked in outcome.park {
            let prepared = prepare(parked.run, said: said)
            if !prepared.isEmpty { park.append(ParkedRun(repository: parked.repository, runs: prepared)) }
        }
        var published = outcome.published
        if let repository = published, runs.isEmpty, park.isEmpty, try await !control.store.hasParkedRuns(for: repository) { published = nil }
        guard !runs.isEmpty || !park.isEmpty || published != nil else {
            if let why = outcome.ignored { said.once(why) { logger.notice("bus: \(why) (said once)") } }
            return "ignored"
        }
        var pause = Duration.milliseconds(200)
        while true {
            do {
                guard
                    let queued = try await control.store.recordBusMessage(
                        id,
                        routingKey: key,
                        result: "matched",
                        runs: runs,
                        park: park,
                        published: published
                    )
                else { return "duplicate" }
                control.queued(queued)
                for run in queued { logger.notice("bus: queued run \(run.id) of \(run.project)/\(run.job): \(run.cause)") }
                if !park.isEmpty {
                    logger.notice("bus: \(park.count) run(s) wait for \(park[0].repository.project)/\(park[0].repository.repository) to be published")
                }
                return "matched"
            } catch {
                // Not acknowledged until stored: the database is asked again (or, on shutdown, the
                // message goes back to the queue).
                logger.warning("bus: cannot store what a message asks for; trying again", metadata: ["error": "\(error)"])
                try await clock.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
        }
    }

    /// The runs `run` asks for, as the project's job takes it (a matrix job's cells); none (said
    /// once) when it cannot be.
    private func prepare(_ run: BusRun, said: Said) -> [NewRun] {
        do {
            return try control.prepare(project: run.project, job: run.job, parameters: run.parameters).map { prepared in
                var prepared = prepared
                prepared.cause = run.cause
                prepared.trigger = run.parameters["HANGAR_EVENT"] == "obs" ? .obs : .amqp
                return prepared
            }
        } catch {
            said.once("\(run.project)/\(run.job): \(error)") { logger.warning("bus: cannot start \(run.project)/\(run.job): \(error)") }
            return []
        }
    }

    /// A message's id: the same for its redelivery, different for another event.
    static func id(_ key: String, _ body: Data) -> String {
        SHA256.hash(data: Data((key + "\n").utf8) + body).hexString
    }

    /// Things said once (per process), so a stream of the same bad message does not flood the log.
    final class Said: Sendable {
        private let said = Mutex<Set<String>>([])
        func once(_ text: String, _ say: () -> Void) {
            if said.withLock({ $0.insert(String(text.prefix(300))).inserted }) { say() }
        }
    }
}
