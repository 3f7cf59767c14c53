public import Foundation

extension Process {
    /// Starts the process with no signals blocked.
    ///
    /// Swift concurrency runs on dispatch worker threads, which block most signals, and a spawned
    /// child inherits its parent thread's mask: QEMU or ssh started from there would ignore SIGTERM.
    /// The mask is cleared for the spawn and restored right after. Use this instead of `run()`.
    public func runUnblocked() throws {
        var empty = sigset_t()
        var saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try run()
    }
}
