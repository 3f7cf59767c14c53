import Foundation
public import HangarCore

extension ImageCache {
    /// What the cache remembers of an OBS image's last resolution (`sources/obs-<key>.json`), so
    /// `--offline` boots the last resolved build.
    struct OBSRecord: Codable {
        var build: OBSBuild
        var sha256: String
    }

    /// The newest image `image`'s package built, resolved with the OBS API, downloaded once per
    /// build, checked against its published checksum, a Vagrant box unpacked. Offline: the build
    /// resolved last time, from the cache.
    func fetch(obs image: OBSImage, offline: Bool) async throws(HangarError) -> CachedImage {
        let key =
            "obs-"
            + Self.hash(Data("\(image.api)\n\(image.project)\n\(image.package)\n\(image.repository)\n\(image.arch)\n\(image.prefer ?? "")".utf8))
        if offline {
            guard let record = readRecord(key, as: OBSRecord.self), let cached = unpacked(record) else {
                throw HangarError(
                    .imageNotCached,
                    "\(image.displayName) was never resolved on this host, and --offline forbids asking OBS",
                    hint: "run once without --offline to cache its newest build"
                )
            }
            report(.notice("offline: \(image.displayName) is the build resolved last: \(record.build.fingerprint)"))
            return CachedImage(path: cached, sha256: record.sha256, source: .obs(image), build: record.build)
        }
        let resolver = try OBSResolver(image)
        let build = try await resolver.resolve()
        let expected = try await resolver.checksum(of: build)
        let downloaded: CachedImage
        do {
            downloaded = try await fetch(url: build.url, sha256: expected, offline: false, authorization: resolver.downloadAuthorization(for: build))
        } catch  where error.code == .imageChecksum {
            throw HangarError(
                .imageChecksum,
                "\(build.filename) of \(image.project) does not match the sha256 OBS published beside it; nothing was cached",
                hint: "the download or the mirror is broken; try again later"
            )
        }
        let record = OBSRecord(build: build, sha256: downloaded.sha256 ?? "")
        var path = unpacked(record)
        if path == nil { path = try await unpack(record) }
        guard let path else {
            throw HangarError(.imageObs, "cannot find \(build.filename) of \(image.project) in the cache after downloading it")
        }
        writeRecord(key, record)
        return CachedImage(path: path, sha256: downloaded.sha256, source: .obs(image), build: build)
    }

    /// The cached file a record's image boots from, if it is there: the download itself, or for a
    /// Vagrant box the disk unpacked from it.
    private func unpacked(_ record: OBSRecord) -> String? {
        let path = record.build.filename.hasSuffix(".box") ? "\(images)/\(record.sha256)-box.img" : "\(images)/\(record.sha256)"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Unpacks a Vagrant box's disk (`box.img` in the box's tar) beside it, once.
    private func unpack(_ record: OBSRecord) async throws(HangarError) -> String? {
        guard record.build.filename.hasSuffix(".box") else { return nil }
        let box = "\(images)/\(record.sha256)"
        let target = "\(box)-box.img"
        let temporary = "\(target).tmp-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let result = try await Command.run(["sh", "-c", "tar -xOf \"$1\" box.img > \"$2\"", "sh", box, temporary])
        guard result.status == 0 else {
            throw HangarError(.imageBox, "\(record.build.filename) is not a libvirt Vagrant box with a box.img: \(result.stderr)")
        }
        guard rename(temporary, target) == 0 else { throw HangarError(.imageStore, "cannot rename into \(target)") }
        return target
    }
}
