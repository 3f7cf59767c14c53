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
}
