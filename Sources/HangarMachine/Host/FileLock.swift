import Foundation
import HangarCore

/// An exclusive `flock` on a file, held until it is released (deinit): two Hangar processes never
/// download one image twice, and never run as one worker.
public final class FileLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Waits until the lock is ours; `onWait` is called once if another process holds it.
    public convenience init(path: String, onWait: () -> Void = {}) async throws {
        let descriptor = try Self.open(path)
        var asked = false
        let locked = await Poll.until(every: .milliseconds(100)) {
            defer { asked = true }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                if !asked { onWait() }
                return false
            }
            return true
        }
        guard locked else {
            close(descriptor)
            throw CancellationError()
        }
        self.init(descriptor: descriptor)
    }

    /// The lock if no other process holds it now; nil if one does.
    public static func attempt(path: String) throws -> FileLock? {
        let descriptor = try open(path)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return FileLock(descriptor: descriptor)
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return descriptor
    }

    deinit { close(descriptor) }
}
