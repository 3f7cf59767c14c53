public import HangarCore

/// The worker's decisions, with no I/O and no clock: when to ask for a run, when to pause and what
/// to say, how long to back off, when to send a heartbeat, and when a failed registration is
/// final. `WorkerAgent` feeds it what happened and does what it answers (tested in
/// HangarWorkerTests as postgres-nio tests its pool's state machine); its heartbeat loop, a task of
/// its own, keeps its own copy for `tick`.
public struct WorkerStateMachine: Sendable {
    /// What the claim loop does next.
    public enum Step: Sendable, Equatable {
        /// Every slot is taken: wait until a run ends.
        case waitForASlot
        /// Taking no runs (its disk is full): look again after the pause; `say` a reason that is new.
        case pause(Duration, say: String?)
        /// Ask the coordinator for a run; `sayTakingAgain` when a pause just ended.
        case claim(sayTakingAgain: Bool)
    }

    /// How a claim ended.
    public enum ClaimOutcome: Sendable {
        case took
        case nothingToTake
        /// Another worker took this one's name over.
        case replaced(HangarError)
        /// The coordinator is stopping: not a fault.
        case coordinatorStopping
        case failed(any Error)
    }

    /// What follows a claim.
    public enum AfterClaim: Sendable, Equatable {
        /// Ask again (a run was taken, or none was there).
        case claimAgain
        /// Wait, then ask again; `say` a failure.
        case backOff(Duration, say: String?)
        /// Stop: its runs are not its own any more.
        case stop(replacedBy: HangarError)
    }

    /// What follows a registration that failed.
    public enum AfterRegistration: Sendable, Equatable {
        /// Try again after the pause; `say` an error that differs from the last one said.
        case retry(Duration, say: String?)
        /// Trying again cannot help: stop with this error.
        case fail(HangarError)
    }

    /// How long a worker that takes no runs waits before it looks again.
    public static let unavailablePause: Duration = .seconds(5)
    /// An idle worker's heartbeat goes every this many ticks; a busy one's at every tick.
    public static let idleHeartbeatEvery = 5

    public let slots: Int
    private var backoff = Backoff()
    private var unavailable: String?
    private var idleTicks = 0
    private var lastRegistrationError: String?

    public init(slots: Int) { self.slots = slots }

    /// The next step of the claim loop, with `busy` slots in use and `unavailable` the reason it
    /// takes no runs now (nil: it takes them).
    public mutating func next(busy: Int, unavailable why: String?) -> Step {
        if busy >= slots { return .waitForASlot }
        if let why {
            defer { unavailable = why }
            return .pause(Self.unavailablePause, say: why == unavailable ? nil : why)
        }
        defer { unavailable = nil }
        return .claim(sayTakingAgain: unavailable != nil)
    }

    /// What follows a claim that ended `outcome`.
    public mutating func claimEnded(_ outcome: ClaimOutcome) -> AfterClaim {
        switch outcome {
        case .took, .nothingToTake:
            backoff.reset()
            return .claimAgain
        case .replaced(let error): return .stop(replacedBy: error)
        case .coordinatorStopping: return .backOff(backoff.next(), say: nil)
        case .failed(let error): return .backOff(backoff.next(), say: "\(error)")
        }
    }

    /// A heartbeat tick with `busy` slots in use: whether to send one now. Every tick while it
    /// holds runs (a cancel reaches them within a tick); while idle, the first tick and every fifth,
    /// to stay listed as online without keeping the coordinator busy.
    public mutating func tick(busy: Int) -> Bool {
        idleTicks = busy == 0 ? idleTicks + 1 : 0
        return idleTicks % Self.idleHeartbeatEvery == 1 || idleTicks == 0
    }

    /// What follows a registration that failed with `error`.
    public mutating func registrationFailed(_ error: any Error) -> AfterRegistration {
        if let error = error as? HangarError {
            if error.code == .workerProtocol { return .fail(error) }
            if error.code == .workerNameTaken {
                // Said plainly: the coordinator's words (without "the coordinator said 409: "), and what to do.
                let words = error.message.firstRange(of: "409: ").map { String(error.message[$0.upperBound...]) } ?? error.message
                return .fail(.usage(error.code, "\(words); give this one --name", hint: "a name is one worker's among a server's workers"))
            }
            if error.kind == .usage {
                // A token the coordinator refuses (401, 403) is not refused less the next time.
                return .fail(
                    .usage(
                        .workerToken,
                        "the coordinator refused this worker's token: \(error.message)",
                        hint: "a worker needs a worker token: 'hangar token create --role worker' on the server"
                    )
                )
            }
        }
        // Said when it changes, not at every try: a coordinator that is away is one line, not a flood.
        let said = "\(error)"
        defer { lastRegistrationError = said }
        return .retry(backoff.next(), say: said == lastRegistrationError ? nil : said)
    }
}
