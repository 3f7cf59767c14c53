import Foundation

/// An exclusive `flock` on a file, so two Hangar processes never download one image twice.
final class FileLock {
    private let descriptor: Int32

    /// Waits until the lock is ours; `onWait` is called once if another process holds it.
    init(path: String, onWait: () -> Void = {}) async throws {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var waited = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if !waited { onWait() }
            waited = true
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                close(descriptor)
                throw error
            }
        }
    }

    deinit { close(descriptor) }
}
