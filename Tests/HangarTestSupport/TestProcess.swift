public import Foundation
import HangarCore
public import HangarMachine
import Synchronization

/// Programs the tests start (servers, workers, stand-ins): each stopped by the test that started it
/// on every path (`terminate()` in a `defer`), and killed by a watchdog if the test process itself
/// dies first, so nothing a test started outlives the tests.
public enum TestProcess {
    /// Starts `arguments` as `Command.start` does, with a watchdog that kills its process group once
    /// the test process is gone.
    public static func start(
        _ arguments: [String],
        log: String,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) async throws -> BackgroundProcess {
        let process = try await Command.start(arguments, log: log, environment: environment, directory: directory)
        // A zombie's /proc entry stays until it is reaped: the test process is gone once it is one.
        let watchdog = """
            alive() { [ -e /proc/$1/stat ] && [ "$(cut -d' ' -f3 /proc/$1/stat)" != Z ]; }
            while alive \(getpid()) && alive \(process.pid); do sleep 1; done
            kill -KILL -\(process.pid) 2>/dev/null; true
            """
        _ = try await Command.start(["sh", "-c", watchdog], log: "/dev/null")
        return process
    }

    /// Removes `folder` (a test's sandbox) once the programs being stopped now have ended, at once
    /// when none is: `terminate()` does not wait for them, and a server still stopping (cancelling
    /// its runs, keeping a failed boot's logs) would write into a tree already removed.
    public static func remove(_ folder: String) { ProcessReaper.remove(folder) }
}

extension BackgroundProcess {
    /// SIGTERM to its process group now; SIGKILL after `grace` if it is still there. Usable in a
    /// `defer`, and it never blocks the caller (async tests run on a pool of two threads here:
    /// waiting there would starve the others): a thread of its own watches the stopping programs,
    /// and the test process waits for the last of them when it exits.
    public func terminate(grace: Duration = .seconds(10)) {
        signal(SIGTERM)
        ProcessReaper.watch(pid, until: ContinuousClock.now + grace)
    }
}

/// The programs being stopped, watched from a thread of its own (not the concurrency pool).
enum ProcessReaper {
    private static let stopping = Mutex<[(pid: Int32, deadline: ContinuousClock.Instant)]>([])
    /// Folders to remove once the programs that were stopping when they were asked for have ended;
    /// a removal that leaves something (a file written meanwhile) is tried again until `deadline`.
    private static let folders = Mutex<[(path: String, waitingFor: [Int32], deadline: ContinuousClock.Instant)]>([])
    private static let started: Void = {
        Thread.detachNewThread {
            while true {
                usleep(50_000)
                sweep()
            }
        }
        atexit { ProcessReaper.drain() }
    }()

    static func watch(_ pid: Int32, until deadline: ContinuousClock.Instant) {
        _ = started
        stopping.withLock { $0.append((pid, deadline)) }
    }

    static func remove(_ folder: String) {
        _ = started
        let waitingFor = stopping.withLock { $0.map(\.pid) }.filter(exists)
        if waitingFor.isEmpty, removed(folder) { return }
        folders.withLock { $0.append((folder, waitingFor, ContinuousClock.now + .seconds(60))) }
    }

    /// Removes `folder`; true when it is gone.
    private static func removed(_ folder: String) -> Bool {
        try? FileManager.default.removeItem(atPath: folder)
        return !FileManager.default.fileExists(atPath: folder)
    }

    /// Forgets what has ended; kills what is past its grace; removes the folders nothing writes to now.
    private static func sweep() {
        let now = ContinuousClock.now
        stopping.withLock { list in
            list.removeAll { entry in
                guard exists(entry.pid) else { return true }
                if now > entry.deadline { kill(-entry.pid, SIGKILL) }
                return false
            }
        }
        let unused = folders.withLock { list in list.filter { !$0.waitingFor.contains(where: exists) } }
        let done = unused.filter { removed($0.path) || now > $0.deadline }.map(\.path)
        folders.withLock { list in list.removeAll { done.contains($0.path) } }
    }

    /// At exit: waits (at most a minute) until every program being stopped is gone and the folders
    /// waiting for them are removed.
    private static func drain() {
        let deadline = ContinuousClock.now + .seconds(60)
        while !stopping.withLock({ $0.isEmpty }) || !folders.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            sweep()
            usleep(50_000)
        }
    }

    /// True while `pid` runs (a zombie has ended: it waits only to be reaped).
    static func exists(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return !stat[close...].hasPrefix(") Z")
    }
}
