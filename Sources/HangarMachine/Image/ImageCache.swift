import Crypto
import Foundation
public import HangarCore

/// The content-addressed image cache: `images/<sha256>` holds each downloaded image once per host.
///
/// A URL is revalidated with ETag / Last-Modified on each fetch, so a newer build at the same URL is
/// downloaded while an unchanged one costs one request. Downloads resume with `Range`, are verified
/// against the `sha256:` given in hangar.yml, decompressed (`.xz`, `.gz`) and renamed into place
/// atomically; a lock file makes concurrent fetches of one URL download it once.
public struct ImageCache: Sendable {
    /// The cache folder.
    public let root: String
    /// Called with progress lines and notices ("waiting for another download").
    let report: @Sendable (ProgressEvent) -> Void
    /// Where URLs are fetched through, if not from their servers.
    let proxy: Proxy?

    /// A coordinator that fetches images for its workers (`hangar serve --image-proxy`): a URL is
    /// asked of `GET base/api/v1/images?url=…` with the worker's token, and cached here as usual.
    public struct Proxy: Sendable {
        public var base: String
        public var token: String
        public var worker: String

        public init(base: String, token: String, worker: String) {
            self.base = base
            self.token = token
            self.worker = worker
        }
    }

    /// Something worth telling the user while fetching.
    public enum ProgressEvent: Sendable {
        /// Bytes so far of a total (nil when the server does not say).
        case downloading(name: String, bytes: Int64, total: Int64?)
        /// Finished or stopped transferring.
        case done(name: String)
        /// A notice, such as a fallback to the cached copy.
        case notice(String)
    }

    /// A cache at `root`, fetching URLs through `proxy` when given.
    public init(root: String, proxy: Proxy? = nil, report: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) {
        self.root = root
        self.proxy = proxy
        self.report = report
    }

    var images: String { "\(root)/images" }

    /// A local, verified file for `source`. With `offline`, no network is used.
    public func fetch(_ source: ImageSource, offline: Bool = false) async throws(HangarError) -> CachedImage {
        switch source {
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw HangarError(.imageMissing, "image file \(path) does not exist", hint: "check the 'file:' path in hangar.yml")
            }
            return CachedImage(path: path, sha256: nil, source: source)
        case .url(let url, let sha256):
            return try await fetch(url: url, sha256: sha256, offline: offline)
        case .obs(let image):
            return try await fetch(obs: image, offline: offline)
        }
    }

    func fetch(url: String, sha256 expected: String?, offline: Bool, authorization: String? = nil) async throws(HangarError) -> CachedImage {
        let key = Self.hash(Data(url.utf8))
        for folder in ["images", "sources", "partial", "locks"] {
            try? FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
        }
        let lock: FileLock
        do {
            lock = try await FileLock(path: "\(root)/locks/\(key).lock") { report(.notice("waiting for another hangar that is downloading \(url)")) }
        } catch {
            throw HangarError(.imageLock, "cannot lock the image cache at \(root): \(error)", cause: error)
        }
        defer { withExtendedLifetime(lock) {} }

        let record = readRecord(key)
        let cached = record.flatMap { FileManager.default.fileExists(atPath: "\(images)/\($0.sha256)") ? $0 : nil }
        if let expected, FileManager.default.fileExists(atPath: "\(images)/\(expected)") {
            return CachedImage(path: "\(images)/\(expected)", sha256: expected, source: .url(url, sha256: expected))
        }
        if offline {
            guard let cached, expected == nil || cached.sha256 == expected else {
                throw HangarError(
                    .imageNotCached,
                    "\(url) is not in the image cache and --offline forbids downloading it",
                    hint: "run once without --offline to cache it"
                )
            }
            return image(cached)
        }
        var download = Download(url: url, partial: "\(root)/partial/\(key)", proxy: proxy, report: report)
        download.authorization = authorization
        let outcome: Download.Outcome
        do {
            outcome = try await download.run(revalidating: cached)
        } catch let error where cached != nil && error.code == .imageUnreachable {
            report(.notice("\(error.message); using the cached copy"))
            return image(cached!)
        }
        guard case .downloaded(let sha, let etag, let lastModified, let size) = outcome else { return image(cached!) }
        if let expected, sha != expected {
            try? FileManager.default.removeItem(atPath: download.partial)
            throw HangarError(
                .imageChecksum,
                "\(url) has sha256 \(sha), but hangar.yml expects \(expected); nothing was cached",
                hint: "if the image was updated on purpose, update 'sha256:' in hangar.yml"
            )
        }
        try await store(download.partial, as: sha, url: url)
        writeRecord(key, SourceRecord(url: url, sha256: sha, etag: etag, lastModified: lastModified, size: size, fetched: Date()))
        return CachedImage(path: "\(images)/\(sha)", sha256: sha, source: .url(url, sha256: sha))
    }

    private func image(_ record: SourceRecord) -> CachedImage {
        CachedImage(path: "\(images)/\(record.sha256)", sha256: record.sha256, source: .url(record.url, sha256: record.sha256))
    }

    /// Decompresses (when compressed) into a temporary name in `images/`, then renames into place.
    private func store(_ partial: String, as sha: String, url: String) async throws(HangarError) {
        let target = "\(images)/\(sha)"
        let temporary = "\(target).tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let magic = (FileHandle(forReadingAtPath: partial).flatMap { try? $0.read(upToCount: 6) }) ?? Data()
        let decompressor: String? =
            if magic.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { "xz" } else if magic.starts(with: [0x1F, 0x8B]) { "gzip" } else { nil }
        if let decompressor {
            let result = try await Command.run(["sh", "-c", "\(decompressor) -dc < \"$1\" > \"$2\"", "sh", partial, temporary])
            guard result.status == 0 else {
                throw HangarError(
                    .imageDecompress,
                    "cannot decompress \(url) with \(decompressor): \(result.stderr)",
                    hint: "check free space in \(root)"
                )
            }
            try? FileManager.default.removeItem(atPath: partial)
        } else {
            do { try FileManager.default.moveItem(atPath: partial, toPath: temporary) } catch {
                throw HangarError(.imageStore, "cannot move the download into the cache: \(error.localizedDescription)", cause: error)
            }
        }
        guard rename(temporary, target) == 0 else {
            throw HangarError(.imageStore, "cannot rename into \(target): \(String(cString: strerror(errno)))")
        }
    }

    private func readRecord(_ key: String) -> SourceRecord? { readRecord(key, as: SourceRecord.self) }

    /// What the cache remembers under `key` in `sources/`.
    func readRecord<Record: Decodable>(_ key: String, as type: Record.Type) -> Record? {
        guard let data = FileManager.default.contents(atPath: "\(root)/sources/\(key).json") else { return nil }
        return try? JSONDecoder.hangar.decode(Record.self, from: data)
    }

    func writeRecord(_ key: String, _ record: some Encodable) {
        guard let data = try? JSONEncoder.hangar.encode(record) else { return }
        try? data.write(to: URL(fileURLWithPath: "\(root)/sources/\(key).json"), options: .atomic)
    }

    /// Hex sha256 of `data`.
    static func hash(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }
}

extension JSONEncoder {
    /// Hangar's JSON style: sorted keys, ISO 8601 dates, pretty.
    static var hangar: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.hangar` writes.
    static var hangar: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension ImageCache {
    /// One cached image.
    public struct Entry: Sendable, Encodable {
        /// sha256 of the download.
        public var sha256: String
        /// Absolute path.
        public var path: String
        /// Size on disk in bytes.
        public var size: Int64
        /// URLs known to have served it.
        public var urls: [String]
    }

    /// Every cached image with the URLs that served it.
    public func entries() -> [Entry] {
        let records = ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/sources")) ?? []).compactMap { name in
            readRecord(String(name.dropLast(".json".count)))
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: images)) ?? []
        return files.filter { $0.count == 64 }.sorted().map { sha in
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(images)/\(sha)")[.size] as? Int64) ?? 0
            return Entry(sha256: sha, path: "\(images)/\(sha)", size: size ?? 0, urls: records.filter { $0.sha256 == sha }.map(\.url))
        }
    }

    /// Removes every cached image whose path is not in `keeping`, and partial downloads; returns what went.
    public func prune(keeping: Set<String?>) -> [Entry] {
        let removed = entries().filter { !keeping.contains($0.path) }
        for entry in removed { try? FileManager.default.removeItem(atPath: entry.path) }
        try? FileManager.default.removeItem(atPath: "\(root)/partial")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/sources")) ?? [] {
            let key = String(name.dropLast(".json".count))
            if let record = readRecord(key), removed.contains(where: { $0.sha256 == record.sha256 }) {
                try? FileManager.default.removeItem(atPath: "\(root)/sources/\(name)")
            }
        }
        return removed
    }
}
