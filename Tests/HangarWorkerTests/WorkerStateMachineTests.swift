import HangarCore
import Testing

@testable import HangarWorker

/// The worker's decisions without I/O: events in, actions out.
@Suite struct WorkerStateMachineTests {
    @Test func itClaimsOnlyWithAFreeSlotAndSaysAPauseOnceAndItsEnd() {
        var machine = WorkerStateMachine(slots: 2)
        #expect(machine.next(busy: 0, unavailable: nil) == .claim(sayTakingAgain: false))
        #expect(machine.next(busy: 2, unavailable: nil) == .waitForASlot)
        #expect(machine.next(busy: 2, unavailable: "only 10 MiB free") == .waitForASlot, "a full worker waits for a slot first")
        #expect(machine.next(busy: 1, unavailable: "only 10 MiB free") == .pause(.seconds(5), say: "only 10 MiB free"))
        #expect(machine.next(busy: 1, unavailable: "only 10 MiB free") == .pause(.seconds(5), say: nil), "said once")
        #expect(machine.next(busy: 1, unavailable: "only 9 MiB free") == .pause(.seconds(5), say: "only 9 MiB free"), "a new reason")
        #expect(machine.next(busy: 1, unavailable: nil) == .claim(sayTakingAgain: true))
        #expect(machine.next(busy: 1, unavailable: nil) == .claim(sayTakingAgain: false))
    }

    @Test func failedClaimsBackOffDoublingUpToFiveSecondsAndAnAnswerStartsAgain() {
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        var machine = WorkerStateMachine(slots: 1)
        let pauses = (0..<7).map { _ in machine.claimEnded(.failed(Refused())) }
        #expect(
            pauses == [200, 400, 800, 1600, 3200, 5000, 5000].map { .backOff(.milliseconds($0), say: "connection refused") }
        )
        #expect(machine.claimEnded(.nothingToTake) == .claimAgain)
        #expect(machine.claimEnded(.coordinatorStopping) == .backOff(.milliseconds(200), say: nil), "a stopping coordinator is not a fault")
        #expect(machine.claimEnded(.took) == .claimAgain)
        let replaced = HangarError(.workerReplaced, "another worker took the name w1")
        #expect(machine.claimEnded(.replaced(replaced)) == .stop(replacedBy: replaced))
    }

    @Test func aBusyWorkerBeatsEveryTickAnIdleOneEveryFifth() {
        var machine = WorkerStateMachine(slots: 1)
        let idle = (0..<11).map { _ in machine.tick(busy: 0) }
        #expect(idle == [true, false, false, false, false, true, false, false, false, false, true])
        #expect((0..<3).map { _ in machine.tick(busy: 1) } == [true, true, true])
        let first = machine.tick(busy: 0)
        #expect(first, "the first idle tick after work beats at once")
    }

    @Test func aRegistrationFailsForGoodOnlyWhenTryingAgainCannotHelp() {
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        var machine = WorkerStateMachine(slots: 1)
        #expect(machine.registrationFailed(Refused()) == .retry(.milliseconds(200), say: "connection refused"))
        #expect(machine.registrationFailed(Refused()) == .retry(.milliseconds(400), say: nil), "the same error is said once")
        let token = machine.registrationFailed(HangarError(.remoteRefused, "the coordinator said 401: no such token", kind: .usage))
        guard case .fail(let refused) = token else { return #expect(Bool(false), "\(token)") }
        #expect(refused.code == .workerToken && refused.kind == .usage && refused.hint?.contains("--role worker") == true)
        let taken = machine.registrationFailed(
            HangarError(.workerNameTaken, "the coordinator said 409: a worker named w1 is online (last seen 2 s ago)", kind: .usage)
        )
        let hint = "a name is one worker's among a server's workers"
        #expect(taken == .fail(.usage(.workerNameTaken, "a worker named w1 is online (last seen 2 s ago); give this one --name", hint: hint)))
        let protocolError = HangarError(.workerProtocol, "protocol 1 is not spoken here")
        #expect(machine.registrationFailed(protocolError) == .fail(protocolError))
    }
}
