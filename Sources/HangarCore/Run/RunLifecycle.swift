/// Why a run ended badly, for programs: the error's code, who is to blame, and the task it failed in.
public struct RunFailure: Sendable, Equatable, Codable {
    /// `machine.silent`, `tests.failed`, `worker.lost`, `run.timeout`…
    public var code: HangarError.Code
    /// `infrastructure` (image, boot, SSH, worker lost, a timeout outside a test task) or `test`.
    public var kind: HangarError.Kind
    /// The failing task's position (0 for the first), when one failed.
    public var task: Int?

    public init(code: HangarError.Code, kind: HangarError.Kind, task: Int? = nil) {
        self.code = code
        self.kind = kind
        self.task = task
    }
}

/// What the lifecycle knows of a run: its state and who holds it for which attempt.
public struct RunRecord: Sendable, Equatable {
    public var state: RunState
    /// 1 for the first try; each requeue adds one.
    public var attempt: Int
    /// Tries allowed (the job's `retries:` + 1).
    public var maxAttempts: Int
    /// The server or worker holding the run while it runs.
    public var owner: String?
    /// Until when the owner's lease holds (seconds since 1970); renewed while it works.
    public var leaseExpiresAt: Double?
    /// Someone asked to cancel; the owner stops the run when it sees this.
    public var cancelRequested: Bool
    /// Why it waits or how it ended, for people.
    public var reason: String?
    /// Why it ended badly, for programs; nil while it runs and when it passed.
    public var failure: RunFailure?
    public var startedAt: Double?
    public var finishedAt: Double?

    public init(
        state: RunState,
        attempt: Int = 1,
        maxAttempts: Int = 2,
        owner: String? = nil,
        leaseExpiresAt: Double? = nil,
        cancelRequested: Bool = false,
        reason: String? = nil,
        failure: RunFailure? = nil,
        startedAt: Double? = nil,
        finishedAt: Double? = nil
    ) {
        self.state = state
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.owner = owner
        self.leaseExpiresAt = leaseExpiresAt
        self.cancelRequested = cancelRequested
        self.reason = reason
        self.failure = failure
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

extension RunRecord {
    /// Running on `attempt` under `owner`: the one whose reports are taken (`RunLifecycle.reported`).
    public func isHeld(by owner: String, attempt: Int) -> Bool {
        state == .running && self.attempt == attempt && self.owner == owner
    }

    /// `owner`'s `attempt` of it, running or ended since (its own report may have ended it): a
    /// refusal of this holder is then no loss.
    public func wasHeld(by owner: String, attempt: Int) -> Bool {
        self.attempt == attempt && self.owner == owner
    }
}

/// A run's life as a pure state machine (DESIGN.md "Run states"), in postgres-nio's style: each
/// event is a `mutating` method that changes `run` and says what to do. No I/O: the store reads the
/// record, calls one method, and writes the result with a compare-and-set, so two writers can never
/// both apply a transition to the same version of a run.
///
/// ```
/// queued ──claimed──▶ running ──finished──▶ passed | failed | error | cancelled | timed-out
///   ▲                    │ lease expired (or its owner restarted)
///   └──── attempt + 1 ◀──┘ while attempts are left; else error: its worker was lost
/// ```
public struct RunLifecycle: Sendable, Equatable {
    /// What the caller does after an event.
    public enum Action: Sendable, Equatable {
        /// Write `run` (compare-and-set against the version the event was decided on).
        case write
        /// Write `run`, and the holder stops the run (it was asked to cancel).
        case writeAndStop
        /// Nothing changes: the event is refused, for this reason (a stale attempt, another owner, an ended run).
        case refuse(String)
        /// Nothing changes and nothing is wrong (a repeat of what already happened).
        case none
    }

    /// The run as the last event left it.
    public private(set) var run: RunRecord

    public init(_ run: RunRecord) { self.run = run }

    /// `owner` takes the run for its current attempt, holding it until `leaseUntil`.
    public mutating func claimed(by owner: String, at now: Double, leaseUntil: Double) -> Action {
        guard run.state == .queued else { return .refuse("run is \(run.state.rawValue), not queued") }
        run.state = .running
        run.owner = owner
        run.leaseExpiresAt = leaseUntil
        run.startedAt = now
        run.reason = nil
        return .write
    }

    /// The holder of `attempt` is still working: its lease runs until `leaseUntil`. Tells it to
    /// stop when a cancel was asked for; refuses when the run is no longer its own.
    public mutating func renewed(by owner: String, attempt: Int, leaseUntil: Double) -> Action {
        if let refusal = refusal(for: owner, attempt: attempt) { return .refuse(refusal) }
        run.leaseExpiresAt = leaseUntil
        return run.cancelRequested ? .writeAndStop : .write
    }

    /// The holder of `attempt` reports a task started or ended, or log lines: accepted only from it.
    public func reported(by owner: String, attempt: Int) -> Action {
        refusal(for: owner, attempt: attempt).map(Action.refuse) ?? .none
    }

    /// Someone asks to stop the run: a queued one ends at once, a running one is marked and its
    /// holder stops it.
    public mutating func cancelRequested(at now: Double, by who: String) -> Action {
        switch run.state {
        case .queued:
            end(.cancelled, reason: "cancelled before it started (by \(who))", at: now)
            return .write
        case .running:
            guard !run.cancelRequested else { return .none }
            run.cancelRequested = true
            run.reason = "cancelling (asked by \(who))"
            return .writeAndStop
        default:
            return .refuse("run has already ended (\(run.state.rawValue))")
        }
    }

    /// The holder of `attempt` says how it ended, and why when it ended badly.
    public mutating func finished(
        by owner: String,
        attempt: Int,
        status: RunStatus,
        reason: String?,
        failure: RunFailure? = nil,
        at now: Double
    ) -> Action {
        if run.state.isFinished, run.owner == owner, run.attempt == attempt, run.state == RunState(status) { return .none }
        if let refusal = refusal(for: owner, attempt: attempt) { return .refuse(refusal) }
        // A run asked to stop that ends while stopping was cancelled, whatever its last task said:
        // its command killed by the cancel is neither a test failure nor an exit status to report.
        if run.cancelRequested && status != .passed {
            let who = run.reason.flatMap { $0.hasPrefix("cancelling (") ? String($0.dropFirst("cancelling (".count)) : nil }
            end(.cancelled, reason: who.map { "cancelled (\($0)" } ?? "cancelled", at: now)
            run.failure = nil
            return .write
        }
        end(RunState(status), reason: reason, at: now)
        run.failure = status == .passed ? nil : failure
        return .write
    }

    /// Its holder is gone: the lease ran out at `now` (or the holder restarted and knows it). The run
    /// is queued again as its next attempt while attempts are left, else it ends `error`; a run
    /// that was being cancelled ends `cancelled`.
    public mutating func holderLost(at now: Double) -> Action {
        guard run.state == .running else { return .refuse("run is \(run.state.rawValue), not running") }
        if run.cancelRequested {
            end(.cancelled, reason: "cancelled; its worker was lost while stopping", at: now)
        } else if run.attempt < run.maxAttempts {
            run.state = .queued
            run.attempt += 1
            run.owner = nil
            run.leaseExpiresAt = nil
            run.startedAt = nil
            run.reason = "requeued as attempt \(run.attempt): its worker was lost"
        } else {
            end(.error, reason: "its worker was lost and it has no attempts left (\(run.maxAttempts))", at: now)
            run.failure = RunFailure(code: .workerLost, kind: .infrastructure)
        }
        return .write
    }

    /// True when the holder's lease has run out at `now` (a run without a lease has none to keep).
    public func leaseExpired(at now: Double) -> Bool {
        run.state == .running && (run.leaseExpiresAt ?? 0) < now
    }

    private func refusal(for owner: String, attempt: Int) -> String? {
        guard run.state == .running else { return "run is \(run.state.rawValue), not running" }
        guard run.attempt == attempt else { return "attempt \(attempt) is stale: the run is on attempt \(run.attempt)" }
        guard run.owner == owner else { return "the run is held by \(run.owner ?? "nobody"), not \(owner)" }
        return nil
    }

    private mutating func end(_ state: RunState, reason: String?, at now: Double) {
        run.state = state
        run.reason = reason
        run.failure = nil
        run.finishedAt = now
        run.leaseExpiresAt = nil
    }
}
