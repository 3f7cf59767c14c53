import HangarCore
import Testing

/// Every event in every state, without a database.
@Suite struct RunLifecycleTests {
    static let ended: [RunState] = [.passed, .failed, .error, .cancelled, .timedOut, .skipped]

    func lifecycle(_ state: RunState, attempt: Int = 1, maxAttempts: Int = 2, cancel: Bool = false) -> RunLifecycle {
        let held = state == .running
        return RunLifecycle(
            RunRecord(
                state: state,
                attempt: attempt,
                maxAttempts: maxAttempts,
                owner: held ? "a" : nil,
                leaseExpiresAt: held ? 100 : nil,
                cancelRequested: cancel,
                startedAt: held ? 50 : nil
            )
        )
    }

    /// The kind of each action, so a table can list them.
    func kind(_ action: RunLifecycle.Action) -> String {
        switch action {
        case .write: "write"
        case .writeAndStop: "stop"
        case .refuse: "refuse"
        case .none: "none"
        }
    }

    @Test(arguments: RunState.allCases)
    func everyEventInEveryState(state: RunState) {
        let running = state == .running
        let queued = state == .queued
        var claim = lifecycle(state)
        #expect(kind(claim.claimed(by: "b", at: 60, leaseUntil: 90)) == (queued ? "write" : "refuse"))
        var renew = lifecycle(state)
        #expect(kind(renew.renewed(by: "a", attempt: 1, leaseUntil: 130)) == (running ? "write" : "refuse"))
        #expect(kind(lifecycle(state).reported(by: "a", attempt: 1)) == (running ? "none" : "refuse"))
        var cancel = lifecycle(state)
        #expect(kind(cancel.cancelRequested(at: 70, by: "ann")) == (queued ? "write" : running ? "stop" : "refuse"))
        var finish = lifecycle(state)
        #expect(kind(finish.finished(by: "a", attempt: 1, status: .failed, reason: "no", at: 80)) == (running ? "write" : "refuse"))
        var lost = lifecycle(state)
        #expect(kind(lost.holderLost(at: 200)) == (running ? "write" : "refuse"))
        // A refused event changes nothing.
        for changed in [claim, renew, cancel, finish, lost] where !running && !queued {
            #expect(changed == lifecycle(state))
        }
    }

    @Test func aClaimHoldsTheRunForItsOwner() {
        var run = lifecycle(.queued)
        #expect(run.claimed(by: "replica-1", at: 10, leaseUntil: 40) == .write)
        #expect(run.run.state == .running)
        #expect(run.run.owner == "replica-1")
        #expect(run.run.leaseExpiresAt == 40)
        #expect(run.run.startedAt == 10)
        #expect(run.claimed(by: "replica-2", at: 11, leaseUntil: 41) == .refuse("run is running, not queued"))
    }

    @Test func onlyTheHolderOfTheCurrentAttemptIsHeard() {
        var run = lifecycle(.running, attempt: 2)
        #expect(run.renewed(by: "b", attempt: 2, leaseUntil: 130) == .refuse("the run is held by a, not b"))
        #expect(run.renewed(by: "a", attempt: 1, leaseUntil: 130) == .refuse("attempt 1 is stale: the run is on attempt 2"))
        #expect(run.reported(by: "a", attempt: 1) == .refuse("attempt 1 is stale: the run is on attempt 2"))
        #expect(run.finished(by: "a", attempt: 1, status: .passed, reason: nil, at: 90) == .refuse("attempt 1 is stale: the run is on attempt 2"))
        #expect(run.run.state == .running)
        #expect(run.renewed(by: "a", attempt: 2, leaseUntil: 130) == .write)
        #expect(run.run.leaseExpiresAt == 130)
    }

    /// The coordinator's holder checks are the lifecycle's: held means its reports are heard; a
    /// holder whose own report ended the run was its holder still.
    @Test func theHolderChecksAgreeWithTheLifecycle() {
        for state in RunState.allCases {
            for (owner, attempt) in [("a", 2), ("a", 1), ("b", 2)] {
                let run = lifecycle(state, attempt: 2)
                #expect(
                    run.run.isHeld(by: owner, attempt: attempt) == (run.reported(by: owner, attempt: attempt) == .none),
                    "\(state) \(owner) \(attempt)"
                )
            }
        }
        var ended = lifecycle(.running, attempt: 2)
        _ = ended.finished(by: "a", attempt: 2, status: .passed, reason: nil, at: 90)
        #expect(!ended.run.isHeld(by: "a", attempt: 2) && ended.run.wasHeld(by: "a", attempt: 2))
        #expect(!ended.run.wasHeld(by: "a", attempt: 1) && !ended.run.wasHeld(by: "b", attempt: 2))
    }

    @Test func aLostHolderRequeuesUntilTheAttemptsRunOut() {
        var run = lifecycle(.running, attempt: 1, maxAttempts: 2)
        #expect(!run.leaseExpired(at: 99))
        #expect(run.leaseExpired(at: 101))
        #expect(run.holderLost(at: 101) == .write)
        #expect(run.run.state == .queued)
        #expect(run.run.attempt == 2)
        #expect(run.run.owner == nil)
        #expect(run.run.reason == "requeued as attempt 2: its worker was lost")
        #expect(run.claimed(by: "b", at: 102, leaseUntil: 132) == .write)
        #expect(run.holderLost(at: 140) == .write)
        #expect(run.run.state == .error)
        #expect(run.run.attempt == 2)
        #expect(run.run.finishedAt == 140)
        #expect(run.run.reason?.contains("no attempts left") == true)
        #expect(run.run.failure == RunFailure(code: .workerLost, kind: .infrastructure))
    }

    @Test func aFailureIsKeptWithItsEndAndForgottenByAPass() {
        var run = lifecycle(.running)
        let failure = RunFailure(code: .machineSilent, kind: .infrastructure, task: 1)
        #expect(run.finished(by: "a", attempt: 1, status: .error, reason: "silent", failure: failure, at: 60) == .write)
        #expect(run.run.failure == failure)
        var passed = lifecycle(.running)
        #expect(passed.finished(by: "a", attempt: 1, status: .passed, reason: nil, failure: failure, at: 60) == .write)
        #expect(passed.run.failure == nil, "a passed run has no failure, whatever it was told")
        var cancelled = lifecycle(.queued)
        _ = cancelled.cancelRequested(at: 61, by: "x")
        #expect(cancelled.run.failure == nil)
    }

    @Test func cancellingARunningRunReachesItsHolder() {
        var run = lifecycle(.running)
        #expect(run.cancelRequested(at: 70, by: "ann") == .writeAndStop)
        #expect(run.cancelRequested(at: 71, by: "bob") == .none)
        #expect(run.renewed(by: "a", attempt: 1, leaseUntil: 130) == .writeAndStop)
        let killed = RunFailure(code: .taskExitStatus, kind: .test, task: 2)
        #expect(run.finished(by: "a", attempt: 1, status: .failed, reason: "'sleep 30' exited with status 143", failure: killed, at: 75) == .write)
        #expect(run.run.state == .cancelled)
        // Who cancelled it, and no test failure or exit status: the cancel killed the command.
        #expect(run.run.reason == "cancelled (asked by ann)" && run.run.failure == nil)
        var lost = lifecycle(.running, cancel: true)
        #expect(lost.holderLost(at: 200) == .write)
        #expect(lost.run.state == .cancelled)
    }

    @Test func aQueuedRunCancelsAtOnce() {
        var run = lifecycle(.queued)
        #expect(run.cancelRequested(at: 70, by: "ann") == .write)
        #expect(run.run.state == .cancelled)
        #expect(run.run.finishedAt == 70)
        #expect(run.run.reason == "cancelled before it started (by ann)")
    }

    @Test func aRepeatedFinishIsHarmless() {
        var run = lifecycle(.running)
        #expect(run.finished(by: "a", attempt: 1, status: .passed, reason: nil, at: 80) == .write)
        #expect(run.finished(by: "a", attempt: 1, status: .passed, reason: nil, at: 81) == .none)
        #expect(run.finished(by: "a", attempt: 1, status: .failed, reason: nil, at: 81) == .refuse("run is passed, not running"))
        #expect(run.run.finishedAt == 80)
    }

    @Test(arguments: ended)
    func anEndedRunStaysEnded(state: RunState) {
        var run = lifecycle(state)
        _ = run.claimed(by: "b", at: 1, leaseUntil: 2)
        _ = run.cancelRequested(at: 3, by: "ann")
        _ = run.holderLost(at: 4)
        #expect(run.run.state == state)
    }
}
