import AsyncHTTPClient
import Crypto
import Foundation
import HangarCore
import NIOCore
import NIOHTTP1

/// One HTTP download into a partial file, resumable, hashed as it goes.
struct Download {
    let url: String
    /// The partial file; kept across interrupted runs so the next one resumes.
    let partial: String
    /// Fetch through this coordinator instead of from `url`'s server.
    let proxy: ImageCache.Proxy?
    /// An `Authorization` header for `url`'s server (a private OBS project's API), never shown.
    var authorization: String? = nil
    let report: @Sendable (ImageCache.ProgressEvent) -> Void

    enum Outcome {
        /// The cached copy is still current (304).
        case unchanged
        /// The partial file is complete.
        case downloaded(sha256: String, etag: String?, lastModified: String?, size: Int64)
    }

    /// Validators of a partial download, so a resume only appends to the same file (`If-Range`).
    private var validatorPath: String { "\(partial).validator" }

    func run(revalidating cached: SourceRecord?) async throws(HangarError) -> Outcome {
        var request = HTTPClientRequest(url: url)
        if let proxy {
            let query = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
            request = HTTPClientRequest(url: "\(proxy.base)/api/v1/images?url=\(query)")
            request.headers.add(name: "Authorization", value: "Bearer \(proxy.token)")
            request.headers.add(name: "Hangar-Worker", value: proxy.worker)
        }
        if let authorization, proxy == nil { request.headers.add(name: "Authorization", value: authorization) }
        if let cached {
            if let etag = cached.etag { request.headers.add(name: "If-None-Match", value: etag) }
            if let lastModified = cached.lastModified { request.headers.add(name: "If-Modified-Since", value: lastModified) }
        }
        let existing = (try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int64) ?? 0
        let validator = try? String(contentsOfFile: validatorPath, encoding: .utf8)
        if existing > 0, let validator {
            request.headers.add(name: "Range", value: "bytes=\(existing)-")
            request.headers.add(name: "If-Range", value: validator)
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        } catch {
            throw HangarError(
                .imageUnreachable,
                "cannot download \(url)\(proxy.map { " through the coordinator \($0.base)" } ?? ""): \(error)",
                hint: "check the URL and the network, or use --offline"
            )
        }
        switch response.status.code {
        case 304 where cached != nil: return .unchanged
        case 200, 206: break
        default:
            throw HangarError(
                .imageUnreachable,
                "cannot download \(url)\(proxy.map { " through the coordinator \($0.base)" } ?? ""): the server answered \(response.status)",
                hint: "check the URL in hangar.yml"
            )
        }
        let resuming = response.status == .partialContent
        if let etag = response.headers.first(name: "ETag") ?? response.headers.first(name: "Last-Modified") {
            try? etag.write(toFile: validatorPath, atomically: true, encoding: .utf8)
        }
        var hasher = SHA256()
        if resuming { hashExisting(into: &hasher) } else { FileManager.default.createFile(atPath: partial, contents: nil) }
        let size = try await receive(response, resuming: resuming, offset: resuming ? existing : 0, hasher: &hasher)
        try? FileManager.default.removeItem(atPath: validatorPath)
        let sha = hasher.finalize().hexString
        return .downloaded(
            sha256: sha,
            etag: response.headers.first(name: "ETag"),
            lastModified: response.headers.first(name: "Last-Modified"),
            size: size
        )
    }

    private func receive(_ response: HTTPClientResponse, resuming: Bool, offset: Int64, hasher: inout SHA256) async throws(HangarError) -> Int64 {
        let name = (url as NSString).lastPathComponent
        let total = response.headers.first(name: "Content-Length").flatMap(Int64.init).map { $0 + offset }
        var received = offset
        guard let file = FileHandle(forWritingAtPath: partial) else {
            throw HangarError(.imageStore, "cannot write \(partial)")
        }
        defer {
            try? file.close()
            report(.done(name: name))
        }
        do {
            try file.seekToEnd()
            var lastReport = ContinuousClock.now
            for try await buffer in response.body {
                let bytes = Data(buffer.readableBytesView)
                try file.write(contentsOf: bytes)
                hasher.update(data: bytes)
                received += Int64(bytes.count)
                if ContinuousClock.now - lastReport > .milliseconds(200) {
                    report(.downloading(name: name, bytes: received, total: total))
                    lastReport = .now
                }
            }
        } catch let error as CocoaError where error.underlying.map({ ($0 as NSError).code == Int(ENOSPC) }) ?? false {
            discard()
            throw HangarError(
                .imageDiskFull,
                "no space left on the device while downloading \(url); the partial file was removed",
                hint: "free space in the cache folder, or set HANGAR_CACHE_DIR to a larger disk; 'hangar images prune' removes unused images"
            )
        } catch is CancellationError {
            throw HangarError(.runCancelled, "download of \(url) cancelled; it resumes next time")
        } catch {
            if (error as NSError).code == Int(ENOSPC) || "\(error)".contains("No space left") {
                discard()
                throw HangarError(
                    .imageDiskFull,
                    "no space left on the device while downloading \(url); the partial file was removed",
                    hint: "free space in the cache folder, or set HANGAR_CACHE_DIR to a larger disk"
                )
            }
            throw HangarError(.imageUnreachable, "download of \(url) failed after \(received) bytes: \(error); it resumes next time", cause: error)
        }
        if let total, received != total {
            throw HangarError(.imageUnreachable, "download of \(url) stopped at \(received) of \(total) bytes; it resumes next time")
        }
        return received
    }

    private func discard() {
        try? FileManager.default.removeItem(atPath: partial)
        try? FileManager.default.removeItem(atPath: validatorPath)
    }

    private func hashExisting(into hasher: inout SHA256) {
        guard let file = FileHandle(forReadingAtPath: partial) else { return }
        defer { try? file.close() }
        while let chunk = try? file.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    }
}
