public import Foundation
import Synchronization

/// SIGINT and SIGTERM, read in one place, whichever thread the kernel hands them to.
///
/// Blocking them in every thread is not enough on Linux: swift-subprocess's monitor thread waits
/// in `epoll_pwait` with an empty signal mask, and the main thread (`dispatch_main`) in
/// `sigsuspend` with one, so a signal sent to the process can land on either. Where the signal's
/// disposition was SIG_IGN (as a Dispatch signal source and swift-service-lifecycle set it), it was
/// dropped there and never reached the signalfd that Dispatch reads: a `hangar serve` sometimes
/// ignored SIGTERM for good. So Hangar installs a handler that writes the signal's number to a pipe
/// (all a handler may safely do) — on whichever thread it runs, the byte arrives — and one thread
/// reads the pipe and hands each signal to those listening (`handling(_:onSignal:)`). With nobody listening, a
/// signal does what it would by default: the process ends by it.
///
/// A caught signal is reset to its default in a child at `exec`, so the programs Hangar starts
/// (QEMU, ssh, host tasks) still stop on SIGTERM; an ignored one would stay ignored there.
public enum ProcessSignals {
    /// The signals Hangar handles.
    public static let handled: [Int32] = [SIGINT, SIGTERM]

    private static let listeners = Mutex<[UInt64: @Sendable (Int32) -> Void]>([:])
    private static let nextListener = Atomic<UInt64>(0)
    private static let installation: Void = install()

    /// Installs the handlers and starts the reading thread, once; `hangar`'s first step.
    public static func start() { installation }

    /// Runs `body`; every SIGINT or SIGTERM that arrives meanwhile calls `onSignal` with its number.
    public static func handling<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T,
        onSignal: @escaping @Sendable (Int32) -> Void
    ) async rethrows -> T {
        start()
        let id = nextListener.add(1, ordering: .relaxed).newValue
        listeners.withLock { $0[id] = onSignal }
        defer { _ = listeners.withLock { $0.removeValue(forKey: id) } }
        return try await body()
    }

    private static func install() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { fatalError("cannot make the signal pipe: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        signalPipe = ends[1]
        let readEnd = ends[0]
        for number in handled {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipe, &byte, 1)
                errno = saved
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
        let reader = Thread { deliver(from: readEnd) }
        reader.name = "hangar-signals"
        reader.start()
    }

    /// The reading thread: each signal to every listener, or its default action when there is none.
    private static func deliver(from descriptor: Int32) {
        while true {
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return }
            let number = Int32(byte)
            let current = listeners.withLock { Array($0.values) }
            guard !current.isEmpty else {
                signal(number, SIG_DFL)
                kill(getpid(), number)
                continue
            }
            for listener in current { listener(number) }
        }
    }
}

/// The pipe's write end, for the handler (which may touch nothing but plain memory and `write`).
nonisolated(unsafe) private var signalPipe: Int32 = -1
