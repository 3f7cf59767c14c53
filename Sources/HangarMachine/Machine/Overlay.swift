import Foundation
public import HangarCore

/// Copy-on-write disks: a machine writes to a qcow2 overlay; the cached image is never changed,
/// so creating a machine costs the same for a 1 GB and a 50 GB image.
public enum Overlay {
    /// Creates a qcow2 overlay at `path` backed by `base`, grown to `size` when that is larger.
    public static func create(at path: String, on base: String, size: ByteSize?) async throws(HangarError) {
        let info = try await Command.check(["qemu-img", "info", "--output=json", base], code: .imageFormat)
        guard let data = info.data(using: .utf8),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let format = json["format"] as? String
        else { throw HangarError(.imageFormat, "cannot tell the format of \(base)") }
        let virtualSize = (json["virtual-size"] as? NSNumber)?.uint64Value ?? 0
        var arguments = ["qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", base, path]
        if let size, size.bytes > virtualSize { arguments.append("\(size.bytes)") }
        try await Command.check(arguments, code: .machineOverlay)
    }
}
