import Foundation
public import HangarCore
import HangarMachine

/// `image.fetch`: puts the machine's image, kernel and initrd in the cache (downloading once per
/// host, revalidating by ETag) and their local paths in the job context for `machine.boot`. An OBS
/// image is resolved to its newest build first, which the log names; one not built yet ends the
/// run `skipped`.
public struct ImageFetch: Handler {
    public static let name = "image.fetch"
    public static let summary = "Cache the machine's image, kernel and initrd (download once per host, verify sha256)."
    public static let options: [OptionDoc] = []
    public static let needsMachine = false

    public init(options: OptionReader) throws(HangarError) {}

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let spec = context.machineSpec
        if let image = spec.image {
            let cached = try await context.machines.fetch(image, offline: context.offline)
            if let build = cached.build {
                context.emit(
                    .notice(
                        "image: \(build.filename) (\(build.size >> 20) MiB, built \(Date(timeIntervalSince1970: Double(build.mtime)))), \(build.link)"
                    )
                )
            }
            context[.image] = cached
        }
        if let kernel = spec.kernel { context[.kernel] = try await context.machines.fetch(kernel, offline: context.offline) }
        if let initrd = spec.initrd { context[.initrd] = try await context.machines.fetch(initrd, offline: context.offline) }
    }
}
