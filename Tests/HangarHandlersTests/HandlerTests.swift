import Foundation
import HangarCore
import HangarHandlers
import HangarMachine
import HangarTestSupport
import Synchronization
import Testing

/// The built-in handlers on a scripted guest, a fake hypervisor and an instant clock: their options,
/// what they ask of the guest and the hypervisor, what they report, and each failure with its code.
@Suite final class HandlerTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-handler-\(UUID().uuidString.prefix(8))").path
    let guest = ScriptedGuest()
    let hypervisor = FakeHypervisor()
    let clock = InstantClock()
    let events = Events()

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A context for a run of machine `spec`, up unless `booted` is false, its guest scripted.
    func context(
        parameters: [String: String] = [:],
        booted: Bool = true,
        spec: MachineSpec = MachineSpec(name: "default"),
        keep: Bool = false,
        pool: WarmPool? = nil
    ) throws -> TaskContext {
        try FileManager.default.createDirectory(atPath: "\(folder)/project", withIntermediateDirectories: true)
        let project = try ProjectFile.parse("jobs: {}\n", path: "\(folder)/project/hangar.yml", displayName: "hangar.yml")
        let context = TaskContext(
            project: project,
            jobMachines: [JobMachine(spec: spec, id: "test")],
            machines: hypervisor,
            keepMachine: keep,
            offline: true,
            runFolder: "\(folder)/run",
            parameters: parameters,
            pool: pool,
            guest: { [guest] _ in guest },
            clock: clock,
            emit: { [events] event in events.list.withLock { $0.append(event) } }
        )
        if booted { context[.machine] = .scripted(folder: "\(folder)/machine") }
        return context
    }

    /// The handler of the task `yaml` (a task as hangar.yml writes it), with its options checked.
    func handler(_ yaml: String) throws -> any Handler {
        let lines = yaml.split(separator: "\n")
        let task = "      - " + lines[0] + lines.dropFirst().map { "\n        " + $0 }.joined()
        let project = try ProjectFile.parse("jobs:\n  j:\n    tasks:\n\(task)\n", path: "/p/hangar.yml", displayName: "hangar.yml")
        return try HandlerRegistry.make(project.jobs[0].tasks[0])
    }

    var output: [String] { events.list.withLock { $0.compactMap { if case .output(let line, _) = $0 { line } else { nil } } } }
    var notices: [String] { events.list.withLock { $0.compactMap { if case .notice(let text) = $0 { text } else { nil } } } }

    @Test func runExportsTheParametersStreamsTheOutputAndFailsAsATest() async throws {
        let context = try context(parameters: ["GREETING": "it's me"])
        guest.answer("make check", .init(status: 0, stdout: "one\ntwo"), .init(status: 2, stderr: "broken"))
        try await handler("run: make check").execute(context)
        #expect(guest.commands == [#"export GREETING='it'\''s me'; make check"#])
        #expect(output == ["one", "two"])
        let failed = try #require(await failure { try await handler("run: make check").execute(context) })
        #expect(failed.code == .taskExitStatus && failed.kind == .test && failed.message == "'make check' exited with status 2")
        let noMachine = try #require(await failure { try await handler("run: true").execute(try self.context(booted: false)) })
        #expect(noMachine.code == .taskNoMachine && noMachine.kind == .usage)
    }

    @Test func copyGoesEitherWayAndSaysWhatIsMissing() async throws {
        let context = try context()
        try "x".write(toFile: "\(folder)/project/notes.txt", atomically: true, encoding: .utf8)
        try await handler("use: copy\nwith: { from: notes.txt, to: /srv }").execute(context)
        #expect(guest.copiedIn.map(\.source) == ["\(folder)/project/notes.txt"] && guest.copiedIn.map(\.destination) == ["/srv"])
        guest.file("/var/log/app.log", "log")
        try await handler("use: copy\nwith: { from: /var/log/app.log, to: logs, direction: from-guest }").execute(context)
        #expect(try String(contentsOfFile: "\(folder)/project/logs/app.log", encoding: .utf8) == "log")
        let missing = try #require(await failure { try await handler("use: copy\nwith: { from: nope.txt, to: /srv }").execute(context) })
        #expect(missing.code == .copyMissing && missing.kind == .usage)
        #expect(await failure { _ = try handler("use: copy\nwith: { from: a, to: b, direction: sideways }") } != nil)
    }

    /// Polled every second on the context's clock: no real time passes in the test.
    @Test func waitPollsUntilTheCommandSucceedsOrItsTimeIsUp() async throws {
        let context = try context()
        guest.answer("test -e /ready", .init(status: 1), .init(status: 1), .init(status: 0))
        try await handler("use: wait\nwith: { until: test -e /ready, duration: 10s }").execute(context)
        #expect(guest.commands.count == 3 && clock.elapsed == .seconds(2))
        guest.answer("never", .init(status: 1))
        let late = try #require(await failure { try await handler("use: wait\nwith: { until: never, duration: 5s }").execute(context) })
        #expect(late.code == .waitTimeout && late.kind == .test && late.message.contains("within 5s"))
        let before = clock.elapsed
        try await handler("use: wait\nwith: { duration: 90s }").execute(context)
        #expect(clock.elapsed - before == .seconds(90))
    }

    @Test func collectCopiesWhatTheGlobMatchesAndReadsTestResults() async throws {
        let context = try context()
        guest.answer("for f in /results/*.xml", .init(stdout: "/results/a.xml\n"))
        guest.file(
            "/results/a.xml",
            #"<testsuite><testcase name="ok" time="0.1"/><testcase name="bad"><failure message="no">expected 1</failure></testcase></testsuite>"#
        )
        let failed = try #require(
            await failure { try await handler("use: collect\nwith: { paths: [\"/results/*.xml\"], format: junit }").execute(context) }
        )
        #expect(failed.code == .testsFailed && failed.kind == .test && failed.message == "1 of 2 tests failed: bad")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/run/artifacts/a.xml"))
        #expect(FileManager.default.fileExists(atPath: "\(folder)/run/artifacts/hangar-results.json"))
        #expect(notices.contains { $0.contains("collected /results/a.xml") })
        let nothing = try #require(await failure { try await handler("use: collect\nwith: { paths: [\"/none/*\"] }").execute(context) })
        #expect(nothing.code == .collectNothing && nothing.kind == .test)
        try await handler("use: collect\nwith: { paths: [\"/none/*\"], optional: true }").execute(context)
    }

    /// `host` runs in the project folder with the parameters and the machine's SSH details.
    @Test func hostRunsInTheProjectFolderWithTheMachinesSSHDetails() async throws {
        let context = try context(parameters: ["GREETING": "hi"])
        let command = #"host: 'echo "$GREETING from $(basename "$PWD") to $HANGAR_SSH_USER@$HANGAR_SSH_PORT"; echo careful >&2'"#
        try await handler(command).execute(context)
        // Standard output and standard error are read apart: their lines' order between them is not kept.
        let lines = events.list.withLock {
            $0.compactMap { if case .output(let line, let isError) = $0 { "\(isError ? "err" : "out"): \(line)" } else { nil } }
        }
        #expect(lines.sorted() == ["err: careful", "out: hi from project to hangar@22"])
        let failed = try #require(await failure { try await handler("host: 'exit 3'").execute(context) })
        #expect(failed.code == .taskExitStatus && failed.kind == .test && failed.message == "'exit 3' exited with status 3")
        // It needs no machine: without one it has no SSH details.
        try await handler(#"host: 'echo "[${HANGAR_SSH_PORT:-none}]"'"#).execute(try self.context(booted: false))
        #expect(output.last == "[none]")
    }

    /// `notify` fills the run's parameters into its URL and message, and says a webhook it cannot reach.
    @Test func notifySaysAWebhookItCannotReach() async throws {
        let context = try context(parameters: ["HANGAR_RUN_ID": "7"])
        let unreachable = try #require(
            await failure {
                try await handler("use: notify\nwith: { url: 'http://127.0.0.1:9/hook/${HANGAR_RUN_ID}', message: 'run ${HANGAR_RUN_ID} done' }")
                    .execute(context)
            }
        )
        #expect(unreachable.code == .notifyWebhook && unreachable.message.contains("http://127.0.0.1:9/hook/7"), "\(unreachable)")
        let unknown = try #require(await failure { try await handler("use: notify\nwith: { url: 'http://x/${NOPE}', message: m }").execute(context) })
        #expect(unknown.message.contains("NOPE"), "\(unknown)")
        #expect(await failure { _ = try handler("use: notify\nwith: { message: m }") }?.code == .configMissingOption)
    }

    /// `snapshots.prune` reports what it removed, none here; its age must be a duration.
    @Test func snapshotsPruneSaysWhatItRemoved() async throws {
        try await hypervisor.saveSnapshot(of: .scripted(folder: "/m"), in: "/fake/snapshots/default-0")
        try await handler("use: snapshots.prune\nwith: { unused-for: 3d }").execute(try context(booted: false))
        #expect(output == ["removed 0 snapshot(s), 0 MiB"])
        try await handler("use: snapshots.prune\nwith: { unused-for: 0s }").execute(try context(booted: false))
        #expect(output.suffix(2) == ["removed snapshot default-0 of machine default", "removed 1 snapshot(s), 0 MiB"])
        #expect(await failure { _ = try handler("use: snapshots.prune\nwith: { unused-for: soon }") } != nil)
    }
}

/// What a run reported.
final class Events: Sendable {
    let list = Mutex<[RunEvent]>([])
}
