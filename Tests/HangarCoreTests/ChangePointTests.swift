import HangarCore
import Testing

/// Treeherder's change-point check: noise does not move, a step does, too few runs say nothing.
@Suite struct ChangePointTests {
    let noisy: [Double] = (0..<24).map { 100 + Double(($0 * 7) % 5) - 2 }

    @Test func noiseDoesNotMoveAndAStepDoes() throws {
        #expect(try #require(ChangePoint.t(noisy)).magnitude < ChangePoint.threshold)
        #expect(!ChangePoint.moved(noisy))
        let slower = Array(noisy.prefix(12)) + noisy.suffix(12).map { $0 + 20 }
        #expect(try #require(ChangePoint.t(slower)) > ChangePoint.threshold && ChangePoint.moved(slower))
        let faster = Array(noisy.prefix(12)) + noisy.suffix(12).map { $0 - 20 }
        #expect(try #require(ChangePoint.t(faster)) < -ChangePoint.threshold && ChangePoint.moved(faster))
        #expect(ChangePoint.move(faster)?.hasPrefix("moved down (t = -") == true && ChangePoint.move(noisy) == nil)
    }

    @Test func flatWindowsAndTooFewRuns() {
        #expect(ChangePoint.t(Array(repeating: 5, count: 24)) == 0)
        #expect(ChangePoint.t(Array(repeating: 5, count: 12) + Array(repeating: 6, count: 12)) == .infinity)
        #expect(ChangePoint.t(Array(noisy.prefix(23))) == nil && !ChangePoint.moved(Array(noisy.prefix(23))))
        // Only the last 24 count: an old step does not move the last window.
        let old = Array(repeating: 50.0, count: 10) + noisy
        #expect(!ChangePoint.moved(old))
    }
}
