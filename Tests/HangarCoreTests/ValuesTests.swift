import Foundation
import HangarCore
import HangarTestSupport
import Synchronization
import Testing

@Suite struct ValuesTests {
    @Test(arguments: [("2G", UInt64(2) << 30), ("512M", 512 << 20), ("1.5G", 3 << 29), ("20GiB", 20 << 30), ("4096", 4096)])
    func sizesParse(text: String, bytes: UInt64) {
        #expect(ByteSize(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: ["", "G", "2X", "-1G", "two"])
    func badSizesAreRejected(text: String) {
        #expect(ByteSize(parsing: text) == nil)
    }

    @Test func sizesPrintInTheLargestWholeUnit() {
        #expect(ByteSize(bytes: 2 << 30).description == "2G")
        #expect(ByteSize(bytes: 1536 << 20).description == "1536M")
    }

    @Test(arguments: [("30m", 1800), ("90s", 90), ("1h30m", 5400), ("45", 45), ("7d", 604_800), ("1d12h", 129_600)])
    func durationsParse(text: String, seconds: Int64) {
        #expect(DurationText.parse(text) == .seconds(seconds))
    }

    @Test func millisecondsAreNotMinutes() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
    }

    @Test(arguments: ["", "m", "5x", "1h-3m"])
    func badDurationsAreRejected(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func durationsPrintShort() {
        #expect(DurationText.format(.seconds(5400)) == "1h30m")
        #expect(DurationText.format(.milliseconds(1500)) == "1.5s")
    }

    @Test func portForwards() throws {
        #expect(try #require(PortForward(parsing: "8080:80")) == PortForward(host: 8080, guest: 80))
        #expect(try #require(PortForward(parsing: "80")) == PortForward(host: 0, guest: 80))
        #expect(PortForward(parsing: "80:0") == nil)
        #expect(PortForward(parsing: "70000:80") == nil)
        #expect(PortForward(parsing: "a:b") == nil)
    }

    @Test func suggestionsFindTypos() {
        #expect(Suggestion.closest(to: "memroy", in: ["memory", "cpus"]) == "memory")
        #expect(Suggestion.closest(to: "zzzzzz", in: ["memory", "cpus"]) == nil)
    }

    @Test func errorStatusesSeparateTestsFromInfrastructure() {
        #expect(RunStatus(failure: HangarError(.taskExitStatus, "y", kind: .test)) == .failed)
        #expect(RunStatus(failure: HangarError(.machineSilent, "y")) == .error)
        #expect(RunStatus(failure: HangarError(.runCancelled, "y")) == .cancelled)
    }

    /// An error keeps its code typed, its cause and where it was made; users read none of those.
    @Test func anErrorKeepsItsCauseAndWhereItWasThrown() {
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let error = HangarError(.workerUnreachable, "cannot reach the coordinator", hint: "start it", cause: Refused())
        #expect(error.code.rawValue == "worker.unreachable" && error.code == .workerUnreachable)
        #expect(error.thrownAt.hasPrefix("HangarCoreTests/ValuesTests.swift:"))
        #expect(error.description == "cannot reach the coordinator\n  hint: start it")
        #expect(String(reflecting: error).contains("[worker.unreachable at HangarCoreTests/ValuesTests.swift:"))
        #expect(String(reflecting: error).contains("cause: connection refused"))
        #expect(HangarError.usage(.configSyntax, "x").thrownAt.hasPrefix("HangarCoreTests/ValuesTests.swift:"))
        // Equal when a user reads the same, wherever they were made.
        #expect(error == HangarError(.workerUnreachable, "cannot reach the coordinator", hint: "start it"))
        let encoded = try? JSONEncoder().encode([HangarError.Code.taskExitStatus])
        #expect(encoded.map { String(decoding: $0, as: UTF8.self) } == #"["task.exit-status"]"#)
    }

    /// One line per event, the same in the terminal, log.txt and the server's log.
    @Test func eachEventIsOneLineOfTheLog() {
        #expect(RunEvent.taskStarted(index: 1, count: 3, title: "run: make").logLine == "==> [2/3] run: make")
        #expect(RunEvent.output("cc -o app", isError: true).logLine == "cc -o app")
        #expect(RunEvent.notice("using TCG").logLine == "note: using TCG")
        let failed = RunEvent.taskFinished(
            index: 1,
            title: "run: make",
            status: .failed,
            duration: .milliseconds(1500),
            error: HangarError(.taskExitStatus, "'make' exited with status 2", hint: "read its output", kind: .test)
        )
        #expect(failed.logLine == "<== run: make: failed in \(DurationText.format(.milliseconds(1500))): 'make' exited with status 2")
        #expect(failed.terminalLine == "<== run: make: failed in \(DurationText.format(.milliseconds(1500)))", "the error is said once, at the end")
        #expect(
            RunEvent.taskFinished(index: 0, title: "boot", status: .passed, duration: .seconds(2), error: nil).logLine.hasPrefix(
                "<== boot: passed in "
            )
        )
    }

    /// The one time-limit helper: a body's value, or the limit first (the body then cancelled,
    /// and `expired` set before that); no limit waits for the body.
    @Test func aTimeLimitGivesTheValueOrCancelsTheBody() async {
        let quick = await withTimeLimit(.seconds(60)) { 42 }
        guard case .finished(42) = quick else { return #expect(Bool(false), "\(quick)") }
        let expired = OnceFlag()
        let clock = InstantClock()
        let slow = await withTimeLimit(.seconds(30), clock: clock, expired: expired) { () async -> Bool in
            (try? await Task.sleep(for: .seconds(3600))) == nil  // true: it was cancelled
        }
        guard case .timedOut = slow else { return #expect(Bool(false), "\(slow)") }
        #expect(expired.isSet && clock.elapsed == .seconds(30))
        let unlimited = await withTimeLimit(nil, clock: clock) { "done" }
        guard case .finished("done") = unlimited else { return #expect(Bool(false), "\(unlimited)") }
    }

    /// Waiting on the outside world: true once it holds, false when the time is up or the task is
    /// cancelled, and what the check throws is thrown.
    @Test func pollAsksUntilItHoldsTheTimeIsUpOrItIsCancelled() async throws {
        let asked = Mutex(0)
        let held = await Poll.until(every: .milliseconds(1), backingOffTo: .milliseconds(4)) {
            asked.withLock {
                $0 += 1
                return $0 == 5
            }
        }
        #expect(held && asked.withLock { $0 } == 5)
        #expect(await Poll.until(every: .milliseconds(5), for: .milliseconds(30)) { false } == false)
        let waiting = Task { await Poll.until(every: .milliseconds(5)) { false } }
        waiting.cancel()
        #expect(await waiting.value == false)
        let thrown = await #expect(throws: HangarError.self) {
            try await Poll.until(every: .milliseconds(1)) { () throws(HangarError) -> Bool in throw HangarError(.machineSave, "migration failed") }
        }
        #expect(thrown?.code == .machineSave)
    }
}
