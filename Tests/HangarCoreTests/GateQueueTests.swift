import HangarCore
import Testing

/// The gate's queue without I/O: speculative testing, the nearest non-failing item, the window.
@Suite struct GateQueueTests {
    /// A queue with `changes` enqueued; what the last enqueue said.
    func queue(_ changes: [String], serial: Bool = false) -> (GateQueue, [GateQueue.Action]) {
        var queue = GateQueue(serial: serial)
        var actions: [GateQueue.Action] = []
        for change in changes { actions += queue.apply(.enqueued(change)) }
        return (queue, actions)
    }

    @Test func eachChangeIsTestedOnTopOfThoseAheadAndTheHeadMergesFirst() {
        var (gate, started) = queue(["a", "b", "c"])
        #expect(started == [.test("a", attempt: 1, base: []), .test("b", attempt: 1, base: ["a"]), .test("c", attempt: 1, base: ["a", "b"])])
        #expect(gate.apply(.passed("c", attempt: 1)).isEmpty && gate.apply(.passed("b", attempt: 1)).isEmpty, "only the head merges")
        #expect(gate.apply(.passed("a", attempt: 1)) == [.merge("a")])
        #expect(gate.apply(.merged("a")) == [.merge("b")])
        #expect(gate.apply(.merged("b")) == [.merge("c")])
        #expect(gate.apply(.merged("c")).isEmpty && gate.items.isEmpty)
        #expect(gate.window == 23, "one more per merge")
        #expect(gate.apply(.merged("c")).isEmpty, "an event about a change not in the queue changes nothing")
    }

    @Test func aFailingChangesFollowersRestartWithoutItAndItLeavesAtTheHead() {
        var (gate, _) = queue(["a", "b", "c", "d"])
        let restarted = gate.apply(.failed("b", attempt: 1, reason: "test 'smoke' failed"))
        #expect(
            restarted == [
                .cancel("c", attempt: 1), .cancel("d", attempt: 1), .test("c", attempt: 2, base: ["a"]), .test("d", attempt: 2, base: ["a", "c"]),
            ]
        )
        #expect(gate.apply(.passed("c", attempt: 1)).isEmpty, "a result of runs that were cancelled does not count")
        #expect(gate.apply(.passed("a", attempt: 1)) == [.merge("a")])
        #expect(gate.apply(.merged("a")) == [.report("b", "its jobs failed: test 'smoke' failed")])
        #expect(gate.window == 10, "21 halved")
        #expect(gate.apply(.passed("c", attempt: 2)) == [.merge("c")])
        #expect(gate.items.map(\.change) == ["c", "d"])
    }

    /// A change that failed on top of a change that fails too is not blamed: it is tested again
    /// without the other.
    @Test func aFailureBehindAnotherFailureIsNotItsOwn() {
        var (gate, _) = queue(["a", "b"])
        #expect(gate.apply(.failed("b", attempt: 1, reason: "b's fault?")).isEmpty, "it waits: it is not the head")
        #expect(gate.items.map(\.state) == [.testing, .failing])
        let actions = gate.apply(.failed("a", attempt: 1, reason: "a's fault"))
        #expect(actions == [.report("a", "its jobs failed: a's fault"), .test("b", attempt: 2, base: [])])
        #expect(gate.reasons["b"] == nil && gate.reasons["a"] == "a's fault")
    }

    @Test func aChangeThatLeavesOrCannotMergeRestartsThoseTestedWithIt() {
        var (gate, _) = queue(["a", "b", "c"])
        #expect(gate.apply(.removed("b")) == [.cancel("b", attempt: 1), .cancel("c", attempt: 1), .test("c", attempt: 2, base: ["a"])])
        _ = gate.apply(.passed("a", attempt: 1))
        #expect(
            gate.apply(.mergeRefused("a", reason: "a merge conflict in app.c")) == [
                .report("a", "the merge was refused: a merge conflict in app.c"), .cancel("c", attempt: 2), .test("c", attempt: 3, base: []),
            ]
        )
        #expect(gate.window == 10)
    }

    @Test func theWindowBoundsWhatIsTestedAndNeverGoesUnderThree() {
        var (gate, started) = queue((1...25).map { "c\($0)" })
        #expect(started.count == 20 && gate.items.filter { $0.state == .queued }.count == 5)
        for round in 0..<4 {
            let head = gate.items[0]
            _ = gate.apply(.failed(head.change, attempt: head.attempt, reason: "round \(round)"))
        }
        #expect(gate.window == 3, "20, 10, 5, 3, 3")
        _ = gate.apply(.passed(gate.items[0].change, attempt: gate.items[0].attempt))
        _ = gate.apply(.merged(gate.items[0].change))
        #expect(gate.window == 4)
    }

    @Test func aSerialQueueTestsOnlyItsHead() {
        var (gate, started) = queue(["a", "b"], serial: true)
        #expect(started == [.test("a", attempt: 1, base: [])])
        #expect(gate.apply(.passed("a", attempt: 1)) == [.merge("a")])
        #expect(gate.apply(.merged("a")) == [.test("b", attempt: 1, base: [])])
        #expect(gate.window == 1)
    }

    @Test func aChangeLeavesWithWhatItDependsOn() {
        var gate = GateQueue()
        for change in ["a", "b"] { _ = gate.apply(.enqueued(change)) }
        _ = gate.apply(.enqueued("c", dependsOn: ["b", "other/app#1"]))
        _ = gate.apply(.enqueued("d", dependsOn: ["c"]))
        #expect(gate.items.map(\.dependsOn) == [[], [], ["b"], ["c"]], "only what is in this queue is kept")
        let left = gate.apply(.removed("b"))
        #expect(left.contains(.report("c", "it depends on b, which left the gate")) && left.contains(.cancel("c", attempt: 1)))
        #expect(left.contains(.report("d", "it depends on c, which left the gate")) && left.contains(.cancel("d", attempt: 1)))
        #expect(gate.items.map(\.change) == ["a"])

        // One that fails leaves at the head, and what depends on it with it.
        var failing = GateQueue()
        _ = failing.apply(.enqueued("a"))
        _ = failing.apply(.enqueued("b", dependsOn: ["a"]))
        _ = failing.apply(.failed("a", attempt: 1, reason: "broken"))
        #expect(failing.items.map(\.change) == [], "a left at the head at once, b with it")
    }
}
