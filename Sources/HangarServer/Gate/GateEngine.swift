import Foundation
import HangarCore
import HangarEngine
import HangarStore
import Logging
import ServiceLifecycle
import Synchronization

/// The gate (`on: approved` pipelines): approved pull requests join their project's queue
/// (`GateQueue`), each is tested on its speculative merge, and the head merges through the forge
/// when its jobs passed.
///
/// Webhooks change the queue (`heard`); everything else follows from the queue and the store, so a
/// restarted coordinator, or another replica, goes on where it stopped: one replica at a time (the
/// `gate` lead) looks every `interval` (`pass`) and
/// 1. applies the result of each testing whose runs all ended (passed, or failed naming the runs),
/// 2. cancels the runs of testings that no longer count (a change ahead failed or left),
/// 3. starts each testing without runs: the speculative merge in the server's clone, then a run of
///    each gate job with `HANGAR_COMMIT` = that merge (queued once per testing, whichever replica),
/// 4. merges the head when it passed (a forge answering 5xx is asked again, three times at most).
///
/// What it says on a pull request (why it left the queue) is sent once, by the replica that applied
/// the event; a coordinator stopped in between does not say it.
final class GateEngine: Service, Sendable {
    let control: RunControl
    let catalog: ProjectCatalog
    /// The process environment, where forge tokens are read from.
    let environment: [String: String]
    /// The server's address as people reach it, for links in comments.
    let publicURL: String
    let logger: Logger
    /// This replica's name, for the lead.
    let identity: String
    let clock: any Clock<Duration>
    /// Merges the forge did not answer, by change: asked again until `mergeTries`.
    private let unanswered = Mutex<[String: Int]>([:])

    static let interval = Duration.seconds(1)
    static let lease = 15.0
    static let mergeTries = 3

    init(
        control: RunControl,
        catalog: ProjectCatalog,
        environment: [String: String],
        publicURL: String,
        logger: Logger,
        identity: String,
        clock: any Clock<Duration>
    ) {
        (self.control, self.catalog, self.environment, self.publicURL) = (control, catalog, environment, publicURL)
        (self.logger, self.identity, self.clock) = (logger, identity, clock)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                let gated = catalog.all.compactMap(Gated.init)
                if !gated.isEmpty {
                    do {
                        if try await control.store.lead("gate", holder: identity, for: Self.lease) {
                            for project in gated { await pass(project) }
                        }
                    } catch {
                        logger.warning("cannot take the gate's lead; retrying", metadata: ["error": "\(error)"])
                    }
                }
                try? await clock.sleep(for: Self.interval)
            }
        }
    }

    /// A pull request's news: an approval queues it, new commits or its closing take it out.
    /// What was done, for the webhook's answer; nil when the project has no gate or it does not
    /// concern it.
    func heard(_ update: RequestUpdate, project name: String) async throws -> String? {
        guard let entry = catalog.entry(name), let gated = Gated(entry) else { return nil }
        let change = gated.change(update.number)
        let queue = try await control.store.gateQueue(project: name, pipeline: gated.pipeline.name).queue
        let queued = queue.items.first { $0.change == change }
        switch update.kind {
        case .approved, .labeled:
            if case .labeled(let labels) = update.kind, !(gated.pipeline.gateLabel.map(labels.contains) ?? false) { return nil }
            guard let commit = update.commit else { return "\(change) was approved, but the delivery names no head commit" }
            guard update.base == gated.source.branch, gated.pipeline.branches.isEmpty || gated.pipeline.branches.contains(gated.source.branch)
            else { return "\(change) targets \(update.base ?? "?"); the gate merges into \(gated.source.branch)" }
            guard queued == nil else { return "\(change) is in the gate already" }
            for dependency in update.dependsOn where !queue.items.contains(where: { $0.change == dependency }) {
                guard let why = await waiting(change, on: dependency) else { continue }
                await say("\(why).", on: update.number, gated)
                return why
            }
            let event = GateQueue.Event.enqueued(change, commit: commit, dependsOn: update.dependsOn)
            _ = try await control.store.changeGateQueue(project: name, pipeline: gated.pipeline.name, event)
            logger.notice("\(change) joined the gate", metadata: ["project": "\(name)"])
            return "\(change) joined the gate"
        case .newCommits, .closed:
            guard let queued, update.kind == .closed || queued.commit != update.commit else { return nil }
            _ = try await control.store.changeGateQueue(project: name, pipeline: gated.pipeline.name, .removed(change))
            let why = update.kind == .closed ? "it was closed" : "new commits were pushed to it; approve it again to gate them"
            await say("\(change) left the gate: \(why).", on: update.number, gated)
            return "\(change) left the gate"
        }
    }

    /// Why `change` cannot join the gate yet because of `dependency` (`Depends-On:`), which is not in
    /// its queue: nil when it merged. A dependency no project here serves, one not merged, or a cycle
    /// (followed through the forges' descriptions, ten steps at most) keeps it out.
    private func waiting(_ change: String, on dependency: String) async -> String? {
        guard let (forge, number) = served(dependency), let client = Gated.client(forge, environment, logger) else {
            return "\(change) depends on \(dependency), which no project of this Hangar serves (with a token): it is not gated"
        }
        if await client.isMerged(number) == true { return nil }
        var path = [change, dependency]
        while path.count < 12, let (nextForge, nextNumber) = served(path[path.count - 1]),
            let text = await Gated.client(nextForge, environment, logger)?.description(of: nextNumber)
        {
            let dependencies = DependsOn.changes(in: text)
            if dependencies.contains(change) {
                return "\(change) is refused: its Depends-On make a cycle (\((path + [change]).joined(separator: " → "))); remove one of them"
            }
            guard let next = dependencies.first(where: { !path.contains($0) }) else { break }
            path.append(next)
        }
        return
            "\(change) waits for \(dependency) (Depends-On), which is neither merged nor in this gate: approve it again once \(dependency) merged or joined the gate"
    }

    /// The forge and number of a change some project of this Hangar serves.
    private func served(_ change: String) -> (ForgeSpec, Int)? {
        guard let hash = change.lastIndex(of: "#"), let number = Int(change[change.index(after: hash)...]) else { return nil }
        let repository = change[..<hash].lowercased()
        let forges = catalog.all.compactMap { $0.workspace?.project.forge }
        guard let forge = forges.first(where: { $0.repository.lowercased() == repository }) else { return nil }
        return (forge, number)
    }

    /// One look at a project's gate: results, obsolete runs, new testings, the head's merge.
    func pass(_ gated: Gated) async {
        do {
            let store = control.store
            var queue = try await store.gateQueue(project: gated.name, pipeline: gated.pipeline.name).queue
            var attempts = Dictionary(grouping: try await store.openGateRuns(project: gated.name, pipeline: gated.pipeline.name)) {
                GateAttempt(change: $0.change, attempt: $0.attempt)
            }
            for item in queue.items where item.state == .testing {
                let testing = GateAttempt(item)
                guard let runs = attempts[testing], runs.allSatisfy(\.state.isFinished) else { continue }
                let failed = runs.filter { $0.state != .passed && $0.state != .skipped }
                let event: GateQueue.Event =
                    failed.isEmpty
                    ? .passed(item.change, attempt: item.attempt)
                    : .failed(item.change, attempt: item.attempt, reason: failed.map(describe).joined(separator: "; "))
                queue = try await apply(event, gated)
                try await settle(testing, gated)
                attempts[testing] = nil
            }
            let current = Set(queue.items.filter { $0.state == .testing }.map(GateAttempt.init))
            for (testing, runs) in attempts where !current.contains(testing) {
                let open = runs.filter { !$0.state.isFinished }
                if open.isEmpty { try await settle(testing, gated) }
                for run in open { await cancel(run.run) }
            }
            // A change that does not apply fails, which may restart others: the next pass goes on.
            for item in queue.items where item.state == .testing && attempts[GateAttempt(item)] == nil {
                guard try await start(item, in: queue, gated) else { return }
            }
            if let head = queue.items.first, head.state == .merging { try await merge(head, gated) }
        } catch {
            logger.error("the gate's pass failed; trying again", metadata: ["project": "\(gated.name)", "error": "\(error)"])
        }
    }

    /// Applies `event` to the gate's queue and says on the pull request what it asks to be said.
    private func apply(_ event: GateQueue.Event, _ gated: Gated) async throws -> GateQueue {
        let (stored, actions) = try await control.store.changeGateQueue(project: gated.name, pipeline: gated.pipeline.name, event)
        for case .report(let change, let text) in actions {
            guard let number = gated.number(of: change) else { continue }
            await say("\(change) left the gate: \(text)", on: number, gated)
        }
        return stored.queue
    }

    /// Makes `item`'s speculative merge and queues its gate jobs on it; a change that does not apply
    /// fails its testing with git's words. False when the queue changed instead (the change did not
    /// apply, or its jobs cannot be queued).
    private func start(_ item: GateQueue.Item, in queue: GateQueue, _ gated: Gated) async throws -> Bool {
        let changes = (item.base + [item.change]).compactMap { name in queue.items.first { $0.change == name } }.compactMap(gated.gitChange)
        let merged: String
        let recipe: GateRecipe
        do {
            (merged, recipe) = try await gated.source.speculativeMerge(changes, method: gated.pipeline.merge ?? .merge)
        } catch {
            guard error.code == .sourceConflict else { throw error }
            _ = try await apply(.failed(item.change, attempt: item.attempt, reason: "\(error.message); \(error.hint ?? "")"), gated)
            return false
        }
        let parameters = [
            "HANGAR_COMMIT": merged, "HANGAR_REF": "refs/hangar/gate/\(merged)", "HANGAR_BRANCH": gated.source.branch,
            "HANGAR_BASE_BRANCH": gated.source.branch, "HANGAR_EVENT": "gate", "HANGAR_CHANGE": item.change, "HANGAR_CHANGE_COMMIT": item.commit,
        ]
        let ahead = item.base.isEmpty ? "" : " with \(item.base.joined(separator: ", ")) ahead"
        var runs: [NewRun] = []
        do {
            for job in gated.pipeline.jobs {
                for var run in try control.prepare(project: gated.name, job: job, parameters: parameters) {
                    run.cause = "gate: \(item.change) onto \(gated.source.branch)\(ahead) (attempt \(item.attempt))"
                    run.trigger = .gate
                    runs.append(run)
                }
            }
        } catch {
            _ = try await apply(.failed(item.change, attempt: item.attempt, reason: "its jobs cannot be queued: \(error)"), gated)
            return false
        }
        let queued = try await control.store.queueGateRuns(
            project: gated.name,
            pipeline: gated.pipeline.name,
            change: item.change,
            attempt: item.attempt,
            commit: merged,
            recipe: recipe.json,
            runs: runs
        )
        if let queued { control.queued(queued) }
        return true
    }

    /// Asks the forge to merge the head; a refusal takes it out of the queue, and so does a forge
    /// that did not answer `mergeTries` times.
    private func merge(_ head: GateQueue.Item, _ gated: Gated) async throws {
        guard let number = gated.number(of: head.change) else { return }
        guard let client = gated.client(environment, logger) else {
            let variable = gated.forge.tokenVariable ?? "token-env"
            _ = try await apply(.mergeRefused(head.change, reason: "the server has no API token to merge with (\(variable) is not set)"), gated)
            return
        }
        switch await client.merge(number, commit: head.commit, method: gated.pipeline.merge ?? .merge) {
        case .merged:
            unanswered.withLock { $0[head.change] = nil }
            _ = try await apply(.merged(head.change), gated)
            logger.notice("\(head.change) merged by the gate", metadata: ["project": "\(gated.name)"])
        case .refused(let why):
            unanswered.withLock { $0[head.change] = nil }
            _ = try await apply(.mergeRefused(head.change, reason: why), gated)
        case .unanswered(let why):
            let tries = unanswered.withLock { tries in
                tries[head.change, default: 0] += 1
                return tries[head.change] ?? 0
            }
            logger.warning("the forge did not merge \(head.change) (try \(tries) of \(Self.mergeTries))", metadata: ["error": "\(why)"])
            guard tries >= Self.mergeTries else { return }
            unanswered.withLock { $0[head.change] = nil }
            _ = try await apply(.mergeRefused(head.change, reason: "\(why) (asked \(tries) times)"), gated)
        }
    }

    private func settle(_ testing: GateAttempt, _ gated: Gated) async throws {
        try await control.store.settleGateRuns(project: gated.name, pipeline: gated.pipeline.name, change: testing.change, attempt: testing.attempt)
    }

    /// Cancels a run whose testing no longer counts; one that ended meanwhile is left as it is.
    private func cancel(_ run: Int) async {
        do {
            _ = try await control.cancel(run, by: "the gate (its testing no longer counts)")
        } catch {
            logger.info("a gate run was not cancelled", metadata: ["run": "\(run)", "error": "\(error)"])
        }
    }

    /// A failed run in a comment: `job test failed: task 2 failed (http://…/runs/12)`.
    private func describe(_ run: GateRun) -> String {
        "job \(run.job) \(run.state.rawValue)\(run.reason.map { ": \($0)" } ?? "") (\(publicURL)/runs/\(run.run))"
    }

    /// Comments `text` on request `number`; a forge that refuses is logged.
    private func say(_ text: String, on number: Int, _ gated: Gated) async {
        guard let client = gated.client(environment, logger) else { return }
        do {
            try await client.comment(number, "Hangar: \(text)")
        } catch {
            logger.error("cannot comment on a pull request", metadata: ["project": "\(gated.name)", "error": "\(error)"])
        }
    }
}

/// One testing of a change: its runs share it.
struct GateAttempt: Hashable {
    var change: String
    var attempt: Int

    init(change: String, attempt: Int) { (self.change, self.attempt) = (change, attempt) }
    init(_ item: GateQueue.Item) { self.init(change: item.change, attempt: item.attempt) }
}

/// A project with a gate, as the gate needs it: a git project with a forge.
struct Gated: Sendable {
    var name: String
    var pipeline: PipelineSpec
    var forge: ForgeSpec
    var source: GitSource

    init?(_ entry: ProjectCatalog.Entry) {
        guard let file = entry.workspace?.project, let pipeline = file.pipelines.first(where: { $0.trigger == .approved }),
            let forge = file.forge, let source = entry.source
        else { return nil }
        (name, self.pipeline, self.forge, self.source) = (entry.name, pipeline, forge, source)
    }

    /// How the gate names request `number`: `team/app#12`.
    func change(_ number: Int) -> String { "\(forge.repository)#\(number)" }

    /// The request a change names.
    func number(of change: String) -> Int? {
        change.hasPrefix("\(forge.repository)#") ? Int(change.dropFirst(forge.repository.count + 1)) : nil
    }

    /// The change as git sees it: where the forge keeps its head.
    func gitChange(_ item: GateQueue.Item) -> GateChange? {
        guard let number = number(of: item.change) else { return nil }
        let ref = forge.kind == .gitlab ? "refs/merge-requests/\(number)/head" : "refs/pull/\(number)/head"
        return GateChange(name: item.change, ref: ref, commit: item.commit)
    }

    /// The forge's API with the project's token; nil (logged) when the server has none.
    func client(_ environment: [String: String], _ logger: Logger) -> ForgeClient? { Self.client(forge, environment, logger) }

    static func client(_ forge: ForgeSpec, _ environment: [String: String], _ logger: Logger) -> ForgeClient? {
        guard let variable = forge.tokenVariable, let token = environment[variable], !token.isEmpty else {
            logger.error(
                "the gate cannot reach the forge: no token",
                metadata: ["repository": "\(forge.repository)", "variable": "\(forge.tokenVariable ?? "token-env")"]
            )
            return nil
        }
        return ForgeClient(forge: forge, token: token, logger: logger)
    }
}
