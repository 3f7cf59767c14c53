import HangarAPI
import Synchronization
import Testing

@testable import HangarServer

/// What spares an idle worker's heartbeat its statements: when its status is written, and how
/// often placed tasks are looked for.
@Suite struct HeartbeatCacheTests {
    let beats = HeartbeatCache(refresh: 15)
    let idle = API.WorkerStatus(name: "w1", labels: ["kvm"], slots: 2, busy: 0, freeMemory: 4096, load: 0.2, version: "1")

    @Test func anUnchangedStatusIsWrittenOnlyEveryRefresh() {
        #expect(beats.needsWrite(idle, instance: "a", at: 100), "never written")
        beats.wrote(idle, instance: "a", at: 100)
        var later = idle
        (later.freeMemory, later.load) = (3000, 1.5)
        #expect(!beats.needsWrite(later, instance: "a", at: 114), "memory and load move with every beat")
        #expect(beats.needsWrite(later, instance: "a", at: 115), "a refresh keeps it online")
        var busy = idle
        busy.busy = 1
        #expect(beats.needsWrite(busy, instance: "a", at: 101), "its work changed")
        #expect(beats.needsWrite(idle, instance: "b", at: 101), "another instance: its name may have been taken")
        beats.forget("w1")
        #expect(beats.needsWrite(idle, instance: "a", at: 101), "registered again")
    }

    @Test func placedTasksAreLookedForAtMostOnceASecondUnlessPlacedHere() async throws {
        let looks = Mutex(0)
        func look(at now: Double) async throws -> Bool {
            try await beats.placedMayBePending(at: now) {
                looks.withLock { $0 += 1 }
                return false
            }
        }
        #expect(try await !look(at: 100))
        #expect(try await !look(at: 100.9))
        #expect(looks.withLock { $0 } == 1)
        #expect(try await !look(at: 101))
        beats.placed()
        #expect(try await !look(at: 101.1))
        #expect(looks.withLock { $0 } == 3)
    }
}
