import HangarCore
import Testing

/// Kept machines' lifecycle and a heartbeat's reconciliation, without a database.
@Suite struct KeptLifecycleTests {
    static let kept = KeptRecord(keptAt: 1000, until: 2000)

    @Test func everyEventWhileKept() {
        var extend = KeptLifecycle(Self.kept)
        #expect(
            extend.apply(.extended(until: 5000, by: "o"), at: 1500) == .write(notice: "kept machines extended until 1970-01-01 01:23:20 UTC by o")
        )
        #expect(extend.record.until == 5000 && extend.record.state == .kept)

        var past = KeptLifecycle(Self.kept)
        #expect(past.apply(.extended(until: 1400, by: "o"), at: 1500) == .refuse("the new end is in the past"))
        var tooLong = KeptLifecycle(Self.kept)
        #expect(
            tooLong.apply(.extended(until: 1500 + KeepRequest.longest + 1, by: "o"), at: 1500)
                == .refuse("machines are kept for a week at most from now")
        )
        #expect(tooLong.record == Self.kept)

        var destroy = KeptLifecycle(Self.kept)
        #expect(destroy.apply(.destroyed(by: "a"), at: 1500) == .write(notice: "kept machines destroyed: destroyed by a"))
        #expect(destroy.record.state == .destroyed && destroy.record.reason == "destroyed by a")

        var early = KeptLifecycle(Self.kept)
        #expect(early.apply(.expired, at: 1999) == .refuse("kept until 1970-01-01 00:33:20 UTC"))
        var expire = KeptLifecycle(Self.kept)
        let expired = expire.apply(.expired, at: 2000)
        #expect(expired == .write(notice: "kept machines destroyed: their time ran out (kept until 1970-01-01 00:33:20 UTC)"))

        var young = KeptLifecycle(Self.kept)
        #expect(young.apply(.gone, at: 1000 + KeptLifecycle.grace - 1) == .refuse("kept only 29 s ago"))
        var gone = KeptLifecycle(Self.kept)
        #expect(gone.apply(.gone, at: 1000 + KeptLifecycle.grace) != .refuse("kept only 30 s ago"))
        #expect(gone.record.state == .destroyed && gone.record.reason?.contains("no longer has them") == true)
    }

    @Test(arguments: [KeptLifecycle.Event.extended(until: 3000, by: "o"), .destroyed(by: "o"), .expired, .gone])
    func nothingChangesOnceDestroyed(event: KeptLifecycle.Event) {
        var lifecycle = KeptLifecycle(KeptRecord(state: .destroyed, keptAt: 1000, until: 2000, reason: "destroyed by o"))
        #expect(lifecycle.apply(event, at: 2500) == .refuse("the machines were already destroyed (destroyed by o)"))
        #expect(lifecycle.record.state == .destroyed)
    }

    @Test func aHeartbeatDestroysWhatIsNotKeptAndFindsWhatIsGone() {
        let rows: [Int: KeptRecord] = [
            1: KeptRecord(keptAt: 1000, until: 5000),  // listed, kept
            2: KeptRecord(keptAt: 1000, until: 1500),  // listed, expired
            3: KeptRecord(keptAt: 1000, until: 5000),  // not listed, long ago: gone
            4: KeptRecord(keptAt: 1590, until: 5000),  // not listed, just kept: within the grace
            5: KeptRecord(keptAt: 1000, until: 1200),  // not listed, expired
        ]
        let decided = KeptLifecycle.reconcile(listed: [1, 2, 9], rows: rows, at: 1600)
        #expect(decided.destroy == [2, 9])
        #expect(decided.events == [2: .expired, 3: .gone, 5: .expired])
        // Looked at again when run 4's grace ends (before anyone's time runs out).
        #expect(decided.nextCheck == 1590 + KeptLifecycle.grace)
        #expect(KeptLifecycle.reconcile(listed: [], rows: [:], at: 1600).nextCheck == nil)
    }
}
