import Foundation
public import HangarCore
import HangarMachine

/// `copy`: copies a file or folder into the guest (`to-guest`) or out of it (`from-guest`), as a
/// tar stream over SSH, so it works with any sshd, even without scp or sftp.
public struct Copy: Handler {
    public static let name = "copy"
    public static let summary = "Copy a file or folder into the guest or out of it (tar over SSH)."
    public static let options = [
        OptionDoc("from", "path", default: nil, "Source: a host path (relative to the project) for to-guest, a guest path for from-guest."),
        OptionDoc("to", "path", default: nil, "Destination folder: in the guest for to-guest, on the host (relative to the project) for from-guest."),
        OptionDoc("direction", "to-guest | from-guest", default: "to-guest", "Which way to copy."),
    ]

    let from: String
    let to: String
    let intoGuest: Bool

    public init(options: OptionReader) throws(HangarError) {
        from = try options.required("from")
        to = try options.required("to")
        let direction = try options["direction"]?.string() ?? "to-guest"
        guard ["to-guest", "from-guest"].contains(direction) else {
            throw options["direction"]!.error("direction must be 'to-guest' or 'from-guest'")
        }
        intoGuest = direction == "to-guest"
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let guest = try context.shell()
        let base = URL(fileURLWithPath: context.project.directory)
        if intoGuest {
            let source = URL(fileURLWithPath: from, relativeTo: base).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: source) else {
                throw .usage(.copyMissing, "nothing to copy: \(source) does not exist")
            }
            try await guest.copyIn(source, to: to)
        } else {
            try await guest.copyOut(from, to: URL(fileURLWithPath: to, relativeTo: base).standardizedFileURL.path)
        }
    }
}
