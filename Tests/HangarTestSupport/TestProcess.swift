public import Foundation
import HangarCore
public import HangarMachine

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
}

extension BackgroundProcess {
    /// SIGTERM to its process group, SIGKILL after `grace`; returns once it is gone. Blocking, so a
    /// `defer` can call it: the test does not go on (or end) with the program still running.
    public func terminate(grace: Duration = .seconds(10)) {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while Self.exists(pid), ContinuousClock.now < deadline { usleep(20_000) }
        if Self.exists(pid) { kill(-pid, SIGKILL) }
        while Self.exists(pid) { usleep(20_000) }
    }

    /// True while `pid` runs (a zombie has ended: it waits only to be reaped).
    static func exists(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return !stat[close...].hasPrefix(") Z")
    }
}
