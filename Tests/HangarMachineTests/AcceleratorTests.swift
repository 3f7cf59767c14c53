import Foundation
import HangarCore
import Testing

@testable import HangarMachine

/// The KVM probe's answer is kept in the cache folder for the host's boot, so every state folder
/// that shares the cache uses it without probing again.
@Suite struct AcceleratorTests {
    @Test func theRememberedAnswerIsUsedWithoutProbingAgain() async throws {
        try #require(FileManager.default.isReadableFile(atPath: "/dev/kvm"), "CI machines have /dev/kvm")
        try #require(ProcessInfo.processInfo.environment["HANGAR_ACCEL"] == nil)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-accel-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        Accelerator.remember(kvmWorks: false, cache: cache)
        let fallback = try await Accelerator.choose(.auto, cache: cache)
        #expect(fallback.accel == "tcg" && fallback.warning?.contains("KVM is not usable on this host") == true)
        // Remembered as working (this host's KVM is broken: only the remembered answer says kvm).
        Accelerator.remember(kvmWorks: true, cache: cache)
        #expect(try await Accelerator.choose(.auto, cache: cache).accel == "kvm")
        let bootID = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Accelerator.cacheFile(cache: cache) == "\(cache)/accel-\(bootID)")
    }
}
