import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// The web UI in a real headless Chromium (`Tests/Fixtures/browser.py` drives it over WebDriver):
/// sign in, trigger with a parameter, a live log that grows, cancel, and a phone-width layout that
/// never scrolls sideways. Screenshots go to `HANGAR_SCREENSHOTS` (the README's are made so:
/// `HANGAR_SCREENSHOTS=docs/screenshots swift test --filter BrowserTests`), else a temporary folder.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BrowserTests {
    @Test func aPersonUsesTheWebUIInARealBrowser() async throws {
        let sandbox = try Sandbox("")
        defer { sandbox.remove() }
        let project = try sandbox.serverProject()
        try """
        jobs:
          greet:
            parameters: { WHO: { required: true, description: the one to greet } }
            tasks: [{ host: 'echo "Hello, $WHO"' }]
          ticker:
            tasks: [{ host: 'for i in $(seq 1 600); do echo tick $i; sleep 0.2; done' }]
        """.write(toFile: "\(project)/hangar.yml", atomically: true, encoding: .utf8)
        let token = try await sandbox.hangar(["token", "create", "--role", "operator"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let signatures = "\(sandbox.root)/signatures"
        try FileManager.default.createDirectory(atPath: signatures, withIntermediateDirectories: true)
        try "kind: known-bug\npattern: 'BUG at slab'\n".write(toFile: "\(signatures)/slab.yml", atomically: true, encoding: .utf8)
        let server = try await Server(sandbox, arguments: ["--name", "test", "--signatures", signatures])
        defer { server.process.terminate() }
        try await server.waitUntilUp()
        // Files go wrong while it serves: the signatures page lists each (browser.py looks).
        try "kind: known-bug\npattern: 'BUG at slab\n".write(toFile: "\(signatures)/slab.yml", atomically: true, encoding: .utf8)
        try "kind: flaky\npattern: 'timed out'\nretries: -3\n".write(toFile: "\(signatures)/broken.yml", atomically: true, encoding: .utf8)
        let shots = ProcessInfo.processInfo.environment["HANGAR_SCREENSHOTS"].map { "\(packageRoot)/\($0)" } ?? "\(sandbox.root)/shots"
        let browser = try await Command.run(["python3", "\(packageRoot)/Tests/Fixtures/browser.py", server.url, token, shots])
        #expect(browser.status == 0, "\(browser.stdout)\(browser.stderr)")
        #expect(browser.stdout.contains("live log grew"))
        #expect(browser.stdout.contains("the permalink #L2 highlighted its line"))
        #expect(browser.stdout.contains("state badges are whole words at 1280 and 390 px"))
        #expect(browser.stdout.contains("the signatures page lists both wrong files"))
        #expect(browser.stdout.contains("the machines page showed the worker running, then idle"))
        #expect(browser.stdout.hasSuffix("ok\n"))
        for name in ["dashboard.png", "project.png", "run.png", "run-live.png", "history.png", "run-phone.png"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(shots)/\(name)"))
            #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name) is a PNG")
        }
    }
}
