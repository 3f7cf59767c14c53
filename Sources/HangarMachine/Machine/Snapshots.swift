public import Foundation

/// The snapshots `snapshot: true` keeps in `<cache>/snapshots`, for `hangar snapshots list|prune`.
///
/// A snapshot is a cache: removing one costs its machine's next boot a cold start and a new save.
/// Each is a folder named by its key (`Machines.snapshotKey`) with a `.lock` beside it; a save in
/// progress writes `<key>.partial-PID` first.
public struct Snapshots: Sendable {
    /// `<cache>/snapshots`.
    public let root: String

    public init(cache: String) { root = "\(cache)/snapshots" }

    /// One kept snapshot.
    public struct Entry: Sendable, Encodable {
        /// The folder's name: the key everything that must match hashes to.
        public var key: String
        public var folder: String
        /// The machine's name in hangar.yml.
        public var machine: String
        /// The image it was made from.
        public var image: String
        /// Bytes on disk (the compressed state, the disk layer, the seed).
        public var size: Int64
        public var created: Date
        /// When a machine last restored it (or when it was saved).
        public var lastUsed: Date
        /// Why it cannot be restored, if it cannot.
        public var problem: String?

        public init(
            key: String,
            folder: String,
            machine: String,
            image: String,
            size: Int64,
            created: Date,
            lastUsed: Date,
            problem: String? = nil
        ) {
            self.key = key
            self.folder = folder
            self.machine = machine
            self.image = image
            self.size = size
            self.created = created
            self.lastUsed = lastUsed
            self.problem = problem
        }
    }

    /// Every snapshot, newest use first, with saves in progress or interrupted among them.
    public func entries() -> [Entry] {
        folders().map(entry).sorted { $0.lastUsed > $1.lastUsed }
    }

    /// Removes every snapshot no running machine is restored from (`inUse`: their disk layers) and,
    /// when `unusedFor` is given, only those not used for that long; also the leftovers of
    /// interrupted saves. Returns what went.
    public func prune(inUse: Set<String>, unusedFor: Duration? = nil, now: Date) -> [Entry] {
        let removed = entries().filter { entry in
            if let pid = Self.savingProcess(entry.key) { return kill(pid, 0) != 0 }
            if inUse.contains(SavedState(folder: entry.folder).disk) { return false }
            guard let unusedFor else { return true }
            return now.timeIntervalSince(entry.lastUsed) > Double(unusedFor.components.seconds)
        }
        for entry in removed {
            try? FileManager.default.removeItem(atPath: entry.folder)
            if Self.savingProcess(entry.key) == nil { try? FileManager.default.removeItem(atPath: "\(entry.folder).lock") }
        }
        return removed
    }

    /// The cached images kept snapshots are saved on, which `hangar images prune` must keep.
    public func images() -> Set<String> {
        Set(folders().compactMap { SavedState(folder: "\(root)/\($0)").about?.backing })
    }

    /// Marks `saved` as used now, for `prune --unused-for`.
    static func touch(_ saved: SavedState) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: saved.manifest)
    }

    private func folders() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasSuffix(".lock") }
    }

    private func entry(_ key: String) -> Entry {
        let saved = SavedState(folder: "\(root)/\(key)")
        let about = saved.about
        let used = (try? FileManager.default.attributesOfItem(atPath: saved.manifest)[.modificationDate]) as? Date
        var problem: String?
        if let pid = Self.savingProcess(key) {
            problem = kill(pid, 0) == 0 ? "being saved by process \(pid)" : "an interrupted save"
        } else if about == nil {
            problem = "incomplete or from another Hangar version"
        } else if let backing = about?.backing, !FileManager.default.fileExists(atPath: backing) {
            problem = "its image \(backing) is no longer cached"
        }
        return Entry(
            key: key,
            folder: saved.folder,
            machine: about?.machine ?? "?",
            image: about?.image ?? "?",
            size: Self.allocatedBytes(saved.folder),
            created: about?.created ?? .distantPast,
            lastUsed: used ?? about?.created ?? .distantPast,
            problem: problem
        )
    }

    /// The process writing `<key>.partial-PID`, for a partial save's folder name.
    private static func savingProcess(_ name: String) -> pid_t? {
        guard let range = name.range(of: ".partial-") else { return nil }
        return pid_t(name[range.upperBound...])
    }

    /// The bytes `folder`'s files take on disk (sparse files count what they hold).
    static func allocatedBytes(_ folder: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.reduce(0) { total, name in
            var info = stat()
            guard stat("\(folder)/\(name)", &info) == 0 else { return total }
            return total + Int64(info.st_blocks) * 512
        }
    }
}
