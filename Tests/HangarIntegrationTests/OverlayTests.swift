import Foundation
import HangarCore
import HangarMachine
import Testing

@Suite struct OverlayTests {
    func virtualSize(_ path: String) async throws -> Int {
        let info = try await Command.check(["qemu-img", "info", "--output=json", path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any])
        return try #require(json["virtual-size"] as? Int)
    }

    @Test func overlaysGrowButNeverShrinkAndLeaveTheBaseAlone() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-overlay-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await Command.check(["qemu-img", "create", "-q", "-f", "raw", "\(folder)/base.img", "64M"])
        let before = try FileManager.default.attributesOfItem(atPath: "\(folder)/base.img")[.modificationDate] as? Date
        try await Overlay.create(at: "\(folder)/grown.qcow2", on: "\(folder)/base.img", size: ByteSize(parsing: "1G"))
        try await Overlay.create(at: "\(folder)/same.qcow2", on: "\(folder)/base.img", size: ByteSize(parsing: "16M"))
        #expect(try await virtualSize("\(folder)/grown.qcow2") == 1 << 30)
        #expect(try await virtualSize("\(folder)/same.qcow2") == 64 << 20)
        let after = try FileManager.default.attributesOfItem(atPath: "\(folder)/base.img")[.modificationDate] as? Date
        #expect(before == after)
    }
}
