import Foundation
public import HangarCore

/// Host programs Hangar needs, and which Debian package provides each.
public enum Tools {
    static let packages: [String: String] = [
        "qemu-system-x86_64": "qemu-system-x86",
        "qemu-img": "qemu-utils",
        "ssh": "openssh-client",
        "ssh-keygen": "openssh-client",
        "genisoimage": "genisoimage",
        "tar": "tar",
        "zstd": "zstd",
    ]

    /// The absolute path of `name`, searched in PATH; a clear error naming the package when missing.
    public static func path(of name: String) throws(HangarError) -> String {
        if name.hasPrefix("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let package = packages[name].map { "install it with: apt-get install \($0)" } ?? "install it and make sure it is in PATH"
        throw HangarError(.hostToolMissing, "'\(name)' was not found in PATH", hint: package)
    }
}
