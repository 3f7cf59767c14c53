public import Foundation
public import HangarAPI
public import HangarCore

/// What a worker has to tell the coordinator about one attempt, kept on its disk before it is
/// sent: log lines, task events, the collected files, the result. A worker restart or a coordinator
/// outage loses nothing; the records are sent in order when the coordinator answers again, and how
/// many were delivered is kept beside them, so none is sent twice (and a resend would be harmless).
///
/// `<root>/<run>-<attempt>/records.jsonl` holds one record a line; `delivered` the count sent.
public final class Journal: Sendable {
    /// One thing to tell.
    public enum Record: Codable, Sendable, Equatable {
        case lines([String])
        case task(API.TaskEvent)
        /// Upload the files under the run's artifacts folder.
        case artifacts(folder: String)
        case finish(API.Outcome)

        /// `lines` as records a report can carry: at most `API.Report.maxLines` lines and
        /// `maxBytes` of text each; a line longer than `maxLineBytes` is cut, and says so.
        static func lines(
            chunking lines: [String],
            maxLines: Int = API.Report.maxLines,
            maxBytes: Int = API.Report.maxBytes / 4,
            maxLineBytes: Int = API.Report.maxLineBytes
        ) -> [Record] {
            var records: [Record] = []
            var chunk: [String] = []
            var bytes = 0
            for line in lines {
                let line =
                    line.utf8.count <= maxLineBytes
                    ? line : String(decoding: line.utf8.prefix(maxLineBytes), as: UTF8.self) + " [line cut at \(maxLineBytes) bytes]"
                if !chunk.isEmpty, chunk.count == maxLines || bytes + line.utf8.count > maxBytes {
                    records.append(.lines(chunk))
                    (chunk, bytes) = ([], 0)
                }
                chunk.append(line)
                bytes += line.utf8.count
            }
            if !chunk.isEmpty { records.append(.lines(chunk)) }
            return records
        }
    }

    /// The attempt it is about.
    public let run: API.HeldRun
    let folder: String

    /// The journal of `run` under `root` (created if new).
    public init(root: String, run: API.HeldRun) throws(HangarError) {
        self.run = run
        folder = "\(root)/\(run.id)-\(run.attempt)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw HangarError(.workerJournal, "cannot create the journal \(folder): \(error.localizedDescription)", cause: error)
        }
    }

    /// Every journal under `root`, oldest run first.
    public static func all(in root: String) -> [Journal] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { name -> Journal? in
            let parts = name.split(separator: "-")
            guard parts.count == 2, let id = Int(parts[0]), let attempt = Int(parts[1]) else { return nil }
            return try? Journal(root: root, run: API.HeldRun(id: id, attempt: attempt))
        }.sorted { $0.run.id < $1.run.id }
    }

    /// Appends `records`, in order, to the file on disk.
    public func append(_ records: [Record]) throws(HangarError) {
        guard !records.isEmpty else { return }
        let encoder = JSONEncoder()
        var data = Data()
        do {
            for record in records {
                data.append(try encoder.encode(record))
                data.append(UInt8(ascii: "\n"))
            }
            let path = "\(folder)/records.jsonl"
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } catch {
            throw HangarError(.workerJournal, "cannot write the journal of run \(run.id): \(error.localizedDescription)", cause: error)
        }
    }

    /// Every record written so far.
    public func records() -> [Record] {
        guard let text = try? String(contentsOfFile: "\(folder)/records.jsonl", encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        // A line cut short by a crash is the last one; it was never delivered, and is dropped.
        return text.split(separator: "\n").compactMap { try? decoder.decode(Record.self, from: Data($0.utf8)) }
    }

    /// How many records have been delivered.
    public var delivered: Int {
        (try? String(contentsOfFile: "\(folder)/delivered", encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// Notes that the first `count` records were delivered. Written in place, not atomically: a
    /// crash that cuts it short makes the records go again, which the coordinator takes as a resend.
    public func markDelivered(_ count: Int) throws(HangarError) {
        do {
            let path = "\(folder)/delivered"
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data("\(count)".utf8))
        } catch {
            throw HangarError(.workerJournal, "cannot write the journal of run \(run.id): \(error.localizedDescription)", cause: error)
        }
    }

    /// True once the result is written.
    public var isFinished: Bool { records().contains { if case .finish = $0 { true } else { false } } }

    /// Forgets it (everything was delivered, or the run is no longer this worker's).
    public func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
