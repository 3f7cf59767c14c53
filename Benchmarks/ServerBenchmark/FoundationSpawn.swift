import Foundation

/// The baseline of the spawn comparison: Foundation's `Process`, which Hangar no longer uses
/// (it crashes intermittently on Linux with this toolchain). The only file allowed to name it.
enum FoundationSpawn {
    static func run(_ path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        try process.run()
        process.waitUntilExit()
    }
}
