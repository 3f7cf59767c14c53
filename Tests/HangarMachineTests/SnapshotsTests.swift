import Foundation
import HangarMachine
import Testing

/// `hangar snapshots list|prune` over a snapshots folder written by hand: what each entry says, and
/// what prune keeps (a snapshot a running machine is restored from, a save in progress).
@Suite struct SnapshotsTests {
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-snapshots-\(UUID().uuidString.prefix(8))").path

    func write(_ key: String, image: String = "/images/a.qcow2", backing: String?, used: Date) throws {
        let folder = "\(cache)/snapshots/\(key)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 8_192).write(to: URL(fileURLWithPath: "\(folder)/state.zst"))
        let json = """
            {"format": \(SavedState.format), "accel": "tcg", "machine": "m-\(key)", "image": "\(image)",
             "backing": \(backing.map { "\"\($0)\"" } ?? "null"), "qemu": "QEMU emulator version 7.2.0", "created": "2026-12-01T10:00:00Z"}
            """
        try Data(json.utf8).write(to: URL(fileURLWithPath: "\(folder)/snapshot.json"))
        try FileManager.default.setAttributes([.modificationDate: used], ofItemAtPath: "\(folder)/snapshot.json")
        FileManager.default.createFile(atPath: "\(folder).lock", contents: nil)
    }

    @Test func listSaysWhatIsKeptAndWhatCannotBeRestored() throws {
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let image = "\(cache)/image.qcow2"
        let now = Date()
        try write("good", backing: image, used: now)
        #expect(FileManager.default.createFile(atPath: image, contents: Data("disk".utf8)))
        try write("orphan", backing: "\(cache)/pruned.qcow2", used: now.addingTimeInterval(-60))
        try FileManager.default.createDirectory(atPath: "\(cache)/snapshots/good.partial-999999999", withIntermediateDirectories: true)

        let entries = Snapshots(cache: cache).entries()
        #expect(entries.map(\.key) == ["good", "orphan", "good.partial-999999999"])
        #expect(entries[0].machine == "m-good" && entries[0].problem == nil && entries[0].size >= 8_192)
        #expect(entries[1].problem == "its image \(cache)/pruned.qcow2 is no longer cached")
        #expect(entries[2].problem == "an interrupted save")
        #expect(Snapshots(cache: cache).images() == [image, "\(cache)/pruned.qcow2"])
    }

    @Test func pruneKeepsWhatIsInUseRecentOrBeingSaved() throws {
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let now = Date()
        try write("restored", backing: nil, used: now.addingTimeInterval(-30 * 86_400))
        try write("recent", backing: nil, used: now.addingTimeInterval(-3_600))
        try write("old", backing: nil, used: now.addingTimeInterval(-30 * 86_400))
        let root = "\(cache)/snapshots"
        try FileManager.default.createDirectory(atPath: "\(root)/new.partial-\(getpid())", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/killed.partial-999999999", withIntermediateDirectories: true)
        let snapshots = Snapshots(cache: cache)
        let inUse: Set<String> = ["\(root)/restored/disk.qcow2"]

        let pruned = snapshots.prune(inUse: inUse, unusedFor: .seconds(7 * 86_400), now: now)
        #expect(Set(pruned.map(\.key)) == ["old", "killed.partial-999999999"])
        #expect(!FileManager.default.fileExists(atPath: "\(root)/old") && !FileManager.default.fileExists(atPath: "\(root)/old.lock"))
        #expect(Set(snapshots.entries().map(\.key)) == ["restored", "recent", "new.partial-\(getpid())"])

        let all = snapshots.prune(inUse: inUse, now: now)
        #expect(all.map(\.key) == ["recent"])
        #expect(Set(snapshots.entries().map(\.key)) == ["restored", "new.partial-\(getpid())"])
    }
}
