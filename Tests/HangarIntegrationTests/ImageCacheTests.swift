import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// A real HTTP server (Tests/Fixtures/image_server.py) serving a folder on 127.0.0.1.
final class ImageServer {
    let folder: String
    let process: BackgroundProcess
    let port: Int

    init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-served-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        process = try await TestProcess.start(["python3", "\(packageRoot)/Tests/Fixtures/image_server.py", folder], log: "\(folder).log")
        port = try #require(Int(await process.firstLine() ?? ""), "the image server did not start: \(process.output())")
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.removeItem(atPath: "\(folder).log")
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    /// Writes `data` as `name`; returns its sha256.
    @discardableResult
    func serve(_ name: String, _ data: Data) async throws -> String {
        try data.write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
        return try await sha256(data)
    }

    /// "STATUS" of each request so far, in order.
    var requests: [String] {
        ((try? String(contentsOfFile: "\(folder)/requests.log", encoding: .utf8)) ?? "").split(separator: "\n").map {
            String($0.split(separator: " ").last!)
        }
    }
}

/// The sha256 of `data`, as `sha256sum` computes it (an independent check of the cache's own digests).
func sha256(_ data: Data) async throws -> String {
    String(try await Command.check(["sha256sum"], input: data).prefix(64))
}

func randomData(_ count: Int) -> Data { Data((0..<count).map { _ in UInt8.random(in: 0...255) }) }

@Suite(.timeLimit(.minutes(2))) struct ImageCacheTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-cache-\(UUID().uuidString.prefix(8))").path

    func cached(_ cache: ImageCache) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: "\(cache.root)/images")) ?? [] }

    @Test func downloadsOnceThenRevalidatesWithETag() async throws {
        let server = try await ImageServer()
        let data = randomData(300_000)
        let sha = try await server.serve("a.qcow2", data)
        let cache = ImageCache(root: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try await cache.fetch(.url(server.url("a.qcow2"), sha256: nil))
        #expect(first.sha256 == sha)
        #expect(FileManager.default.contents(atPath: first.path) == data)
        let second = try await cache.fetch(.url(server.url("a.qcow2"), sha256: nil))
        #expect(second.path == first.path)
        #expect(server.requests == ["200", "304"])
        // A newer build at the same URL is fetched.
        let newer = try await server.serve("a.qcow2", randomData(1000))
        #expect(try await cache.fetch(.url(server.url("a.qcow2"), sha256: nil)).sha256 == newer)
        // With a known sha256 already cached, no request is made at all; offline works too.
        _ = try await cache.fetch(.url(server.url("a.qcow2"), sha256: sha))
        _ = try await cache.fetch(.url(server.url("a.qcow2"), sha256: nil), offline: true)
        #expect(server.requests == ["200", "304", "200"])
        // Listing names the URL; pruning keeps what is in use and removes the rest.
        let entries = cache.entries()
        #expect(entries.count == 2)
        #expect(entries.first { $0.sha256 == newer }?.urls == [server.url("a.qcow2")])
        let removed = cache.prune(keeping: [first.path])
        #expect(removed.map(\.sha256) == [newer])
        #expect(cache.entries().map(\.sha256) == [sha])
    }

    @Test func aChecksumMismatchCachesNothing() async throws {
        let server = try await ImageServer()
        try await server.serve("a.qcow2", randomData(10_000))
        let cache = ImageCache(root: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        await #expect { try await cache.fetch(.url(server.url("a.qcow2"), sha256: String(repeating: "0", count: 64))) } throws: { error in
            "\(error)".contains("nothing was cached")
        }
        #expect(cached(cache).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/partial")) ?? []).isEmpty)
    }

    @Test func anUnreachableURLSaysSo() async throws {
        let cache = ImageCache(root: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        await #expect { try await cache.fetch(.url("http://127.0.0.1:9/none.qcow2", sha256: nil)) } throws: { error in
            (error as? HangarError)?.code == .imageUnreachable
        }
        let server = try await ImageServer()
        await #expect { try await cache.fetch(.url(server.url("missing.qcow2"), sha256: nil)) } throws: { error in
            "\(error)".contains("404")
        }
    }

    @Test func anInterruptedDownloadResumesWithRange() async throws {
        let server = try await ImageServer()
        let data = randomData(400_000)
        let sha = try await server.serve("a.qcow2", data)
        let cache = ImageCache(root: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        await #expect(throws: HangarError.self) { try await cache.fetch(.url(server.url("cut/a.qcow2"), sha256: sha)) }
        let image = try await cache.fetch(.url(server.url("cut/a.qcow2"), sha256: sha))
        #expect(FileManager.default.contents(atPath: image.path) == data)
        #expect(server.requests == ["200", "206"])
    }

    @Test func compressedImagesAreUnpacked() async throws {
        let server = try await ImageServer()
        let data = randomData(50_000)
        try await server.serve("a.qcow2", data)
        _ = try await Command.check(["gzip", "-k", "\(server.folder)/a.qcow2"])
        let cache = ImageCache(root: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let image = try await cache.fetch(.url(server.url("a.qcow2.gz"), sha256: nil))
        #expect(FileManager.default.contents(atPath: image.path) == data)
    }

    @Test func concurrentFetchesDownloadOnce() async throws {
        let server = try await ImageServer()
        try await server.serve("a.qcow2", randomData(2_000_000))
        let cache = ImageCache(root: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let url = server.url("a.qcow2")
        async let one = cache.fetch(.url(url, sha256: nil))
        async let two = cache.fetch(.url(url, sha256: nil))
        let (a, b) = try await (one, two)
        #expect(a.path == b.path)
        #expect(server.requests.filter { $0 == "200" }.count == 1)
    }

    @Test func aFullDiskRemovesThePartialFile() async throws {
        let server = try await ImageServer()
        try await server.serve("big.qcow2", randomData(4_000_000))
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // A 1 MiB tmpfs as the cache: the download cannot fit (tests run as root in CI).
        try await Command.check(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root])
        defer {
            umount2(root, Int32(MNT_DETACH))
            try? FileManager.default.removeItem(atPath: root)
        }
        let cache = ImageCache(root: root)
        await #expect { try await cache.fetch(.url(server.url("big.qcow2"), sha256: nil)) } throws: { error in
            (error as? HangarError)?.code == .imageDiskFull
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/partial")) ?? []).isEmpty)
        #expect(cached(cache).isEmpty)
    }
}
