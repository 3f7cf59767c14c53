import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Testing

@testable import HangarServer

/// Cron triggers over a real store, driven with chosen times instead of waiting for the clock.
@Suite struct SchedulerTests {
    @Test func dueSchedulesRunOnceAndImageChangedSkipsAnUnchangedImage() async throws {
        let image = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-image-\(UUID().uuidString.prefix(8)).qcow2").path
        // A job of two machines: a change to either image is a change.
        let other = image.replacingOccurrences(of: ".qcow2", with: "-db.qcow2")
        try "version 1".write(toFile: image, atomically: true, encoding: .utf8)
        try "db 1".write(toFile: other, atomically: true, encoding: .utf8)
        defer { for file in [image, other] { try? FileManager.default.removeItem(atPath: file) } }
        let harness = ServerHarness(extra: [
            "nightly": """
            machines:
              default: { image: \(image) }
              db: { image: \(other) }
            jobs:
              build:
                machines: [default, db]
                triggers: [{ cron: "0 3 * * *", timezone: Europe/Berlin, when: image-changed }]
                tasks: [{ run: "true" }]
            """
        ])
        try harness.makeProjects()
        defer { try? FileManager.default.removeItem(atPath: harness.root) }
        let store = try await RunStore.openSQLite(path: "\(harness.root)/hangar.db")
        do {
            let scheduler = try #require(
                HangarServer.parts(harness.configuration, store: store).services.compactMap { $0.service as? Scheduler }.first
            )
            let formatter = ISO8601DateFormatter()
            func runs() async throws -> [StoredRun] { try await store.runs(project: "nightly").reversed() }

            await scheduler.tick(at: formatter.date(from: "2026-11-22T01:00:00Z")!)
            #expect(try await runs().isEmpty, "a new schedule counts from now")
            await scheduler.tick(at: formatter.date(from: "2026-11-22T01:59:00Z")!)
            #expect(try await runs().isEmpty, "03:00 Berlin is 02:00 UTC")
            await scheduler.tick(at: formatter.date(from: "2026-11-22T02:00:30Z")!)
            #expect(try await runs().map(\.state) == [.queued])
            #expect(try await runs().first?.parameters["HANGAR_EVENT"] == "schedule")
            #expect(try await runs().first?.cause.hasPrefix("schedule ") == true)
            // Down for three days: one run catches up, the missed ones are not stacked; the image is unchanged.
            await scheduler.tick(at: formatter.date(from: "2026-11-25T12:00:00Z")!)
            await scheduler.tick(at: formatter.date(from: "2026-11-25T12:00:05Z")!)
            #expect(try await runs().map(\.state) == [.queued, .skipped])
            #expect(try await runs().last?.reason?.contains("the image did not change") == true)
            try "version 2, longer".write(toFile: image, atomically: true, encoding: .utf8)
            await scheduler.tick(at: formatter.date(from: "2026-11-26T02:00:00Z")!)
            #expect(try await runs().map(\.state) == [.queued, .skipped, .queued])
            await scheduler.tick(at: formatter.date(from: "2026-11-27T02:00:00Z")!)
            #expect(try await runs().map(\.state) == [.queued, .skipped, .queued, .skipped])
            try "db 2, longer".write(toFile: other, atomically: true, encoding: .utf8)
            await scheduler.tick(at: formatter.date(from: "2026-11-28T02:00:00Z")!)
            #expect(try await runs().map(\.state) == [.queued, .skipped, .queued, .skipped, .queued], "the second machine's image changed")
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
