import HangarCore
import Testing

/// The pure transitions of a task placed away from its run's holder: taken once, ended once.
@Suite struct PlacedTaskTests {
    @Test func aTaskIsTakenOnceAndEndsOnce() {
        #expect(PlacedTaskState.pending.after(.taken) == .running)
        #expect(PlacedTaskState.running.after(.taken) == nil)
        #expect(PlacedTaskState.running.after(.ended(passed: true)) == .passed)
        #expect(PlacedTaskState.running.after(.ended(passed: false)) == .failed)
        #expect(PlacedTaskState.pending.after(.ended(passed: true)) == nil, "a part nobody took cannot end")
    }

    @Test func aRunnerThatGoesAwayLosesWhatItHadNotEnded() {
        #expect(PlacedTaskState.pending.after(.runnerGone) == .lost)
        #expect(PlacedTaskState.running.after(.runnerGone) == .lost)
    }

    @Test(arguments: [PlacedTaskState.passed, .failed, .lost])
    func anEndedTaskStaysEnded(state: PlacedTaskState) {
        #expect(state.isFinal)
        for event in [PlacedTaskEvent.taken, .ended(passed: true), .ended(passed: false), .runnerGone] {
            #expect(state.after(event) == nil, "\(state) after \(event)")
        }
    }

    @Test func whatAPlacedTaskSendsBackFitsInOneRequest() {
        let many = (1...PlacedTaskLimits.maxLines + 5).map { "line \($0)" }
        let capped = PlacedTaskLimits.capped(many)
        #expect(capped.count == PlacedTaskLimits.maxLines + 1 && capped.last == PlacedTaskLimits.dropped)
        #expect(PlacedTaskLimits.capped([String(repeating: "x", count: 5000)]) == [String(repeating: "x", count: PlacedTaskLimits.maxLineLength)])
        #expect(PlacedTaskLimits.capped(["a", "b"]) == ["a", "b"])
        #expect(PlacedTaskLimits.capped(error: String(repeating: "e", count: 20_000))?.count == PlacedTaskLimits.maxErrorLength)
    }
}
