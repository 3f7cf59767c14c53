import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// OBS images against a stand-in for the Open Build Service (Tests/Fixtures/obs_server.py): the
/// API's build status and binary list, a published repository with checksums, private projects.
@Suite(.timeLimit(.minutes(2))) struct OBSResolverTests {
    typealias Stand = OBSStandIn

    func cache() -> ImageCache {
        ImageCache(root: FileManager.default.temporaryDirectory.appendingPathComponent("hangar-test-cache-\(UUID().uuidString.prefix(8))").path)
    }

    @Test func theNewestPublishedImageIsFetchedCheckedCachedAndBootableOffline() async throws {
        let stand = try await Stand()
        let cache = cache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let first = try stand.build(["JeOS.x86_64-1.0-Build1.1.qcow2"])[0]
        let image = try await cache.fetch(.obs(stand.image))
        #expect(try Data(contentsOf: URL(fileURLWithPath: image.path)) == first)
        #expect(image.build?.filename == "JeOS.x86_64-1.0-Build1.1.qcow2" && image.build?.size == 200_000)
        #expect(image.build?.url.contains("/repositories/devel:/kanku:/images/images_leap/JeOS.x86_64-1.0-Build1.1.qcow2") == true)
        #expect(
            stand.requests.contains { $0.hasPrefix("GET /repositories/devel:/kanku:/images/images_leap/JeOS.x86_64-1.0-Build1.1.qcow2.sha256 200") }
        )
        // Again: the same build, not downloaded again; offline: the build resolved last.
        _ = try await cache.fetch(.obs(stand.image))
        #expect(stand.requests.filter { $0.contains("Build1.1.qcow2 200") }.count == 1)
        try stand.set(["answer": 500])
        let offline = try await cache.fetch(.obs(stand.image), offline: true)
        #expect(offline.path == image.path && offline.build == image.build)
        // A newer build is what the next fetch boots.
        try stand.set(["answer": nil])
        let second = try stand.build(["JeOS.x86_64-1.0-Build2.1.qcow2"], mtime: 1_700_000_600)[0]
        let newer = try await cache.fetch(.obs(stand.image))
        #expect(try Data(contentsOf: URL(fileURLWithPath: newer.path)) == second)
        #expect(newer.build?.fingerprint == "JeOS.x86_64-1.0-Build2.1.qcow2 200000@1700000600")
        // A never-resolved image offline says so.
        var other = stand.image
        other.package = "other"
        #expect(await failure { _ = try await cache.fetch(.obs(other), offline: true) }?.code == .imageNotCached)
    }

    /// Not published yet, being recalculated, or failed: not an error, the run is skipped and says why.
    @Test func anImageNotReadyYetSkipsTheRunSayingWhy() async throws {
        let stand = try await Stand()
        try stand.build(["JeOS.qcow2"])
        for (state, said) in [
            (["state": "building"] as [String: Any?], "is building, not published yet"),
            (["state": "published", "dirty": true], "dirty"),
            (["dirty": false, "code": "failed"], "last build of JeOS in devel:kanku:images is failed"),
        ] {
            try stand.set(state)
            let error = try #require(await failure { _ = try await OBSResolver(stand.image).resolve() })
            #expect(error.code == .imageNotReady && error.message.contains("not ready yet: ") && error.message.contains(said), "\(error)")
            #expect(RunStatus(failure: error) == .skipped)
        }
    }

    @Test func whatOBSGetsWrongIsSaidNamingTheProjectAndNothingIsCached() async throws {
        let stand = try await Stand()
        let cache = cache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        func error(_ state: [String: Any?], build names: [String] = ["JeOS.qcow2"], prefer: String? = nil) async throws -> HangarError {
            try stand.build(names)
            try stand.set(state)
            var image = stand.image
            image.prefer = prefer
            return try #require(await failure { _ = try await cache.fetch(.obs(image)) }, "\(state) did not fail")
        }
        let missing = try await error(["answer": 404])
        #expect(missing.message.contains("knows no devel:kanku:images JeOS") && missing.message.contains("404"), "\(missing)")
        let html = try await error(["answer": "html"])
        #expect(html.message.contains("web page") && html.hint?.contains("API's address") == true, "\(html)")
        let login = try await error(["answer": nil, "auth": "me:secret"])
        #expect(login.message.contains("it needs a login") && login.hint?.contains("credentials-env") == true, "\(login)")
        let none = try await error(["auth": nil], build: [])
        #expect(none.message.contains("no image a machine boots"), "\(none)")
        let two = try await error([:], build: ["JeOS.qcow2", "JeOS.raw.xz"])
        #expect(two.message.contains("several images: JeOS.qcow2, JeOS.raw.xz") && two.hint?.contains("prefer:") == true, "\(two)")
        let chosen = try await cache.fetch(
            .obs(
                {
                    var image = stand.image
                    image.prefer = "qcow2"
                    return image
                }()
            )
        )
        #expect(chosen.build?.filename == "JeOS.qcow2")
        // One whose published checksum does not match what is downloaded.
        try stand.build(["JeOS.Build4.qcow2"], checksum: String(repeating: "0", count: 64))
        let checksum = try #require(await failure { _ = try await cache.fetch(.obs(stand.image)) })
        #expect(checksum.code == .imageChecksum && checksum.message.contains("devel:kanku:images"), "\(checksum)")
        #expect(cache.entries().allSatisfy { !$0.urls.contains { $0.contains("Build4") } }, "nothing of it was cached")
    }

    /// A private project: credentials from the named variable or osc's configuration, sent to the
    /// API only, and never in a message.
    @Test func aPrivateProjectLogsInWithoutTellingAnyone() async throws {
        let stand = try await Stand()
        try stand.build(["JeOS.qcow2"])
        try stand.set(["auth": "me:s3cret"])
        var image = stand.image
        image.download = nil
        image.credentialsVariable = "OBS_CREDENTIALS"
        let build = try await OBSResolver(image, environment: ["OBS_CREDENTIALS": "me:s3cret"]).resolve()
        #expect(build.url.hasSuffix("/public/build/devel:kanku:images/images_leap/x86_64/JeOS/JeOS.qcow2") && build.checksumURL == nil)
        let wrong = try #require(await failure { _ = try await OBSResolver(image, environment: ["OBS_CREDENTIALS": "me:nope"]).resolve() })
        #expect(wrong.message.contains("the login was refused") && !"\(wrong)".contains("nope"), "\(wrong)")
        let unset = try #require(await failure { _ = try OBSResolver(image, environment: [:]) })
        #expect(unset.message.contains("OBS_CREDENTIALS") && unset.kind == .usage)
        // osc's configuration, the section of the API's host.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-test-home-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: "\(home)/.config/osc", withIntermediateDirectories: true)
        try "[general]\napiurl = https://api.opensuse.org\n\n[http://127.0.0.1:\(stand.port)]\nuser = me\npass = s3cret\n"
            .write(toFile: "\(home)/.config/osc/oscrc", atomically: true, encoding: .utf8)
        image.credentialsVariable = nil
        #expect(try await OBSResolver(image, environment: ["HOME": home]).resolve().filename == "JeOS.qcow2")
        #expect(stand.requests.contains { $0.hasPrefix("GET /public/build/devel:kanku:images/_result") && $0.hasSuffix(" 200 auth") })
    }

    /// A Vagrant box of the libvirt provider is unpacked: the machine boots its `box.img`.
    @Test func aVagrantBoxIsUnpacked() async throws {
        let stand = try await Stand()
        let cache = cache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let work = "\(stand.folder)/box"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Data("the disk".utf8).write(to: URL(fileURLWithPath: "\(work)/box.img"))
        try #"{"provider": "libvirt"}"#.write(toFile: "\(work)/metadata.json", atomically: true, encoding: .utf8)
        #expect(try await Command.run(["tar", "-czf", "\(stand.folder)/JeOS.box", "-C", work, "box.img", "metadata.json"]).status == 0)
        try stand.build(
            ["JeOS.x86_64-1.0-libvirt-Build1.1.vagrant.libvirt.box"],
            data: try Data(contentsOf: URL(fileURLWithPath: "\(stand.folder)/JeOS.box"))
        )
        let image = try await cache.fetch(.obs(stand.image))
        #expect(try String(contentsOfFile: image.path, encoding: .utf8) == "the disk")
    }
}
