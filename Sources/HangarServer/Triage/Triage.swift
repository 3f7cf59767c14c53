import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Logging

/// Tells known failures from new ones: classifies a run as it ends badly, against every
/// signature whose scope it is in, keeps the matches with the line each matched, and queues an
/// automatic retry when an infrastructure or flaky signature explains it. Classifies the recent
/// failed runs again when a signature is added, changed or removed.
struct Triage: Sendable {
    let store: RunStore
    /// Called after a retry is queued (it starts once its delay has passed).
    let queued: @Sendable (StoredRun) -> Void
    let logger: Logger

    /// How far back a new or changed signature looks.
    static let reclassifyDays = 14
    /// Classifies `run`, which ends badly, against every signature, and keeps its matches.
    /// `failedTests`: its failed tests' names, when they are not stored yet.
    func classify(_ run: StoredRun, failedTests: [String]? = nil) async throws -> [SignatureMatch] {
        let set = SignatureSet(try compile(try await store.signatures().map(\.signature)))
        let matches = try await classify(run, with: set, failedTests: failedTests)
        try await store.saveMatches(matches, run: run.id)
        return matches
    }

    /// Queues an automatic retry of `run`, which ended badly with `matches`, when a signature asks
    /// for one and its retries are not used up; returns it.
    @discardableResult
    func retryIfAsked(_ run: StoredRun, matches: [SignatureMatch]) async throws -> StoredRun? {
        // Only a matched signature can ask: most runs end without reading them.
        guard !matches.isEmpty else { return nil }
        let signatures = try await store.signatures().map(\.signature)
        guard let signature = AutomaticRetry.signature(for: matches, among: signatures, retriesSoFar: run.automaticRetries) else { return nil }
        var retry = NewRun(
            project: run.project,
            job: run.job,
            parameters: run.parameters,
            maxAttempts: run.maxAttempts,
            requires: run.requires,
            memory: run.memory
        )
        retry.priority = run.priority
        retry.delay = signature.delay
        retry.retryOf = run.id
        retry.automaticRetries = run.automaticRetries + 1
        retry.trigger = .retry
        (retry.cell, retry.group) = (run.cell, run.group)
        retry.cause =
            "automatic retry \(retry.automaticRetries) of \(signature.retries) of #\(run.id): \(signature.kind.rawValue) '\(signature.name)'"
        let queued = try await store.enqueue(retry)
        logger.info("queued an automatic retry", metadata: ["run": "\(run.id)", "retry": "\(queued.id)", "signature": "\(signature.name)"])
        self.queued(queued)
        return queued
    }

    /// The failed runs of the last `reclassifyDays` days classified again against signature `name`
    /// as it is now (none, when it was removed); returns the runs it matches now.
    @discardableResult
    func reclassify(_ name: String) async throws -> [Int] {
        let signature = try await store.signature(named: name)?.signature
        let compiled = SignatureSet(try compile(signature.map { [$0] } ?? []))
        var matched: [Int] = []
        for run in try await store.endedRuns(since: store.time() - Double(Self.reclassifyDays) * 86_400) {
            let matches = compiled.signatures.isEmpty ? [] : try await classify(run, with: compiled)
            try await store.saveMatches(matches, run: run.id, replacing: [name])
            if !matches.isEmpty { matched.append(run.id) }
        }
        return matched
    }

    /// What a draft signature would match over the runs of the last `reclassifyDays` days that ended:
    /// the failed runs it would explain, and the passing runs it matches (a good signature matches
    /// almost none of those). Nothing is stored.
    func dryRun(_ signature: Signature) async throws -> (failed: [Int], passed: [Int], checkedFailed: Int, checkedPassed: Int) {
        let compiled = SignatureSet([try CompiledSignature(signature)])
        let runs = try await store.endedRuns(
            since: store.time() - Double(Self.reclassifyDays) * 86_400,
            states: [.passed] + RunState.endedBadly,
            limit: 2_000
        )
        var (failed, passed) = ([Int](), [Int]())
        for run in runs where try await !classify(run, with: compiled).isEmpty {
            if run.state == .passed { passed.append(run.id) } else { failed.append(run.id) }
        }
        let checkedPassed = runs.filter { $0.state == .passed }.count
        return (failed, passed, runs.count - checkedPassed, checkedPassed)
    }

    /// The matches of `signatures` in `run`'s log, reading it a page at a time and stopping once
    /// every signature matched.
    func classify(_ run: StoredRun, with signatures: SignatureSet, failedTests: [String]? = nil) async throws -> [SignatureMatch] {
        let tasks = try await store.tasks(run: run.id)
        let failedTask = run.record.failure?.task.flatMap { position in tasks.first { $0.position == position }?.title }
        var tests = failedTests ?? []
        if failedTests == nil { tests = try await store.failedTests(run: run.id) }
        let facts = FailedRun(project: run.project, job: run.job, failedTask: failedTask, failedTests: tests, image: run.image)
        var classifier = LogClassifier(signatures, for: facts)
        var next = 0
        while !classifier.isDone {
            let lines = try await store.log(run: run.id, from: next, limit: Limits.logPage)
            classifier.scan(page: lines.joined(separator: "\n"), firstLine: next)
            next += lines.count
            if lines.count < Limits.logPage { break }
        }
        return classifier.matches
    }

    /// The signatures compiled; one that no longer compiles (stored by an older Hangar) is skipped and logged.
    private func compile(_ signatures: [Signature]) throws -> [CompiledSignature] {
        signatures.compactMap { signature in
            do {
                return try CompiledSignature(signature)
            } catch {
                logger.error("a stored signature does not compile: skipped", metadata: ["signature": "\(signature.name)", "error": "\(error)"])
                return nil
            }
        }
    }
}
