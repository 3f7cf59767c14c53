import Foundation
import HangarAPI
import HangarCore
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// Known-issue signatures through the API, the signatures folder and the pages: a failed run is
/// classified the moment it ends, infrastructure failures are retried, and a recheck names the issue.
@Suite struct ServerTriageTests {
    static let project = """
        jobs:
          mirror: { tasks: [{ host: "echo fetching; echo 'curl: (6) Could not resolve host: deb.debian.org'; exit 1" }] }
          crash: { tasks: [{ host: "echo booting; echo '[ 1.2] kernel: BUG at /build/linux/mm/slab.c:42'; exit 2" }] }
          new: { tasks: [{ host: "echo something nobody has seen; exit 3" }] }
          fine: { tasks: [{ host: "echo 'kernel: BUG at nothing, only a test of the word'" }] }
          flaky:
            tasks:
              - host: |
                  mkdir -p "$HANGAR_RUN_DIR/artifacts"; n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) > count
                  if [ $((n % 2)) = 0 ]; then s=pass; else s=fail; fi
                  printf '{"tests": [{"name": "net.dns", "status": "%s", "file": "r.xml"}, {"name": "disk", "status": "pass", "file": "r.xml"}], "problems": []}' $s > "$HANGAR_RUN_DIR/artifacts/hangar-results.json"
        """

    static func harness() -> ServerHarness { ServerHarness(extra: ["triage": project]) }

    static let mirror =
        #"{"kind": "infrastructure", "pattern": "Could not resolve host: deb\\.debian\\.org", "retries": 1, "delay": 0, "issue": "https://tracker.example.org/7"}"#

    func detail(_ client: Client, _ id: Int) async throws -> API.RunDetail { try await client.json(API.RunDetail.self, "/api/v1/runs/\(id)") }

    @Test func anInfrastructureFailureIsClassifiedRetriedOnceAndShownWithItsLine() async throws {
        try await Self.harness().run { client in
            let put = try await client.call(.put, "/api/v1/signatures/mirror-down", body: Self.mirror)
            #expect(put.status == .ok)
            let first = try await client.waitForEnd(try await client.trigger("mirror", project: "triage").id)
            #expect(first.state == .failed)
            let run = try await detail(client, first.id)
            #expect(run.matches.map(\.signature) == ["mirror-down"])
            #expect(run.matches.first?.line == 2 && run.matches.first?.text == "curl: (6) Could not resolve host: deb.debian.org")
            let retryID = try #require(run.retriedAs)
            let retry = try await client.waitForEnd(retryID)
            #expect(retry.cause == "automatic retry 1 of 1 of #\(first.id): infrastructure 'mirror-down'")
            // Its retries used up, the retry is classified but not retried again.
            let last = try await detail(client, retryID)
            #expect(last.matches.map(\.signature) == ["mirror-down"] && last.retriedAs == nil)

            // The run page says so and links to the highlighted line.
            let page = String(buffer: try await client.call(.get, "/runs/\(first.id)").body)
            #expect(page.contains(#"id="known""#) && page.contains(##"<a href="#L3">line 3</a>"##))
            // Each line: its number as its permalink, the time it arrived (shown on demand), its text.
            let line = try #require(page.range(of: ##"<span class="line" id="L3"><a class="ln" href="#L3">3</a><span class="at">"##))
            #expect(page[line.upperBound...].prefixMatch(of: #/\d\d:\d\d:\d\d</span>curl: \(6\) Could not resolve host/#) != nil)
            #expect(page.contains(#"Retried automatically as <a href="/runs/\#(retryID)">"#))

            // A recheck says which known issue the last failure matched.
            let recheck = try await client.json(API.Run.self, "/api/v1/runs/\(retryID)/retrigger", method: .post)
            #expect(recheck.cause?.contains("its failure matched infrastructure 'mirror-down' (https://tracker.example.org/7)") == true)
            _ = try await client.waitForEnd(recheck.id)
            _ = try await client.waitForEnd(try #require(try await detail(client, recheck.id).retriedAs))

            // The signature's health counts its runs.
            let signatures = try await client.json(API.Signatures.self, "/api/v1/signatures").signatures
            #expect(signatures.map(\.signature.name) == ["mirror-down"] && signatures.first?.source == "api")
            #expect(signatures.first?.hits == 4 && signatures.first?.lastHit != nil)
            let list = String(buffer: try await client.call(.get, "/signatures").body)
            #expect(list.contains("<strong>mirror-down</strong>") && list.contains("<td>4</td>"))
        }
    }

    @Test func aNewSignatureClassifiesRecentFailuresAndTheRestAreListedAsUnclassified() async throws {
        try await Self.harness().run { client in
            let crash = try await client.waitForEnd(try await client.trigger("crash", project: "triage").id)
            let new = try await client.waitForEnd(try await client.trigger("new", project: "triage").id)
            #expect(try await detail(client, crash.id).matches.isEmpty)
            var page = String(buffer: try await client.call(.get, "/unclassified").body)
            #expect(page.contains(#"href="/runs/\#(crash.id)""#) && page.contains(#"href="/runs/\#(new.id)""#))
            #expect(page.contains("<td>2</td><td>0</td><td>0%</td>"))

            // Paths are reduced to base names and pids zeroed before matching.
            let body = #"{"kind": "known-bug", "pattern": "kernel: BUG at slab\\.c:\\d+", "issue": "https://bugs.example.org/42"}"#
            let saved = try await client.json(API.SignatureSaved.self, "/api/v1/signatures/slab-bug", method: .put, body: body)
            #expect(saved.matchedRuns == [crash.id])
            #expect(saved.signature.signature.retries == 0 && saved.signature.hits == 1)
            #expect(try await detail(client, crash.id).matches.map(\.issue) == ["https://bugs.example.org/42"])
            page = String(buffer: try await client.call(.get, "/unclassified").body)
            #expect(!page.contains(#"href="/runs/\#(crash.id)""#) && page.contains(#"href="/runs/\#(new.id)""#))
            #expect(page.contains("<td>2</td><td>1</td><td>50%</td>"))

            // Removed, it explains nothing any more.
            #expect(try await client.call(.delete, "/api/v1/signatures/slab-bug").status == .noContent)
            #expect(try await detail(client, crash.id).matches.isEmpty)
            #expect(try await client.call(.delete, "/api/v1/signatures/slab-bug").status == .notFound)
        }
    }

    @Test func aBadSignatureIsRefusedSayingWhere() async throws {
        try await Self.harness().run { client in
            let bad = try await client.call(.put, "/api/v1/signatures/broken", body: #"{"kind": "flaky", "pattern": "error (code"}"#)
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("'(' is never closed at character 7"))
            let kind = try await client.call(.put, "/api/v1/signatures/broken", body: #"{"kind": "flakey", "pattern": "x"}"#)
            #expect(kind.status == .badRequest)
            let name = try await client.call(.put, "/api/v1/signatures/..", body: #"{"kind": "flaky", "pattern": "x"}"#)
            #expect(name.status == .badRequest)
            let viewer = try await client.call(
                .put,
                "/api/v1/signatures/ok",
                body: #"{"kind": "flaky", "pattern": "x"}"#,
                token: client.tokens.viewer
            )
            #expect(viewer.status == .forbidden)
            #expect(try await client.json(API.Signatures.self, "/api/v1/signatures").signatures.isEmpty)
        }
    }

    @Test func theSignaturesFolderIsReadAgainWhenAFileChanges() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-signatures-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "kind: known-bug\npattern: 'something nobody'\n".write(toFile: "\(folder)/nobody.yml", atomically: true, encoding: .utf8)
        // The folder's watcher looks again when the test moves its clock on, not every 2 s.
        let clock = ManualClock()
        @Sendable func looked(_ what: String, _ condition: () async throws -> Bool) async throws {
            try await until(what) {
                clock.advance(by: .seconds(2))
                return try await condition()
            }
        }
        var options = ServerHarness.Options()
        options.signatures = folder
        options.clock = clock
        try await Self.harness().run(options: options) { client in
            try await until("the folder is read") { try await client.json(API.Signatures.self, "/api/v1/signatures").signatures.count == 1 }
            let new = try await client.waitForEnd(try await client.trigger("new", project: "triage").id)
            #expect(try await detail(client, new.id).matches.map(\.signature) == ["nobody"])
            // Changed in the folder, it is changed only there.
            let put = try await client.call(.put, "/api/v1/signatures/nobody", body: #"{"kind": "flaky", "pattern": "x"}"#)
            #expect(put.status == .conflict && String(buffer: put.body).contains("change or remove its file"))
            let crash = try await client.waitForEnd(try await client.trigger("crash", project: "triage").id)
            try "kind: known-bug\npattern: 'BUG at slab'\n".write(toFile: "\(folder)/nobody.yml", atomically: true, encoding: .utf8)
            try await looked("the changed file reclassifies") { try await detail(client, crash.id).matches.map(\.signature) == ["nobody"] }
            #expect(try await detail(client, new.id).matches.isEmpty)
            // Wrong files are listed, each where it is wrong, until fixed; a file that was good keeps its last good version.
            try "kind: known-bug\npattern: '(unclosed'\n".write(toFile: "\(folder)/broken.yml", atomically: true, encoding: .utf8)
            try "kind: known-bug\npattern: 'BUG at slab'\nretries: 11\n".write(toFile: "\(folder)/nobody.yml", atomically: true, encoding: .utf8)
            try await looked("both wrong files are listed") { try await client.json(API.Signatures.self, "/api/v1/signatures").problems.count == 2 }
            let listed = try await client.json(API.Signatures.self, "/api/v1/signatures")
            #expect(listed.problems.map(\.file) == ["broken.yml", "nobody.yml"])
            #expect(listed.problems.map(\.location) == ["\(folder)/broken.yml:2:10", "\(folder)/nobody.yml:3:10"])
            #expect(listed.problems.map(\.lastGoodKept) == [false, true])
            #expect(listed.problems.last?.message == "retries must be from 0 to 10, not 11")
            #expect(listed.signatures.map(\.signature.pattern) == ["BUG at slab"])
            let page = String(buffer: try await client.call(.get, "/signatures").body)
            #expect(page.contains(#"id="signature-problems""#) && page.contains("\(folder)/nobody.yml:3:10"))
            try FileManager.default.removeItem(atPath: "\(folder)/broken.yml")
            try "kind: known-bug\npattern: 'BUG at slab'\nretries: 2\n".write(toFile: "\(folder)/nobody.yml", atomically: true, encoding: .utf8)
            try await looked("the fixed files are no longer listed") {
                try await client.json(API.Signatures.self, "/api/v1/signatures").problems.isEmpty
            }
            #expect(try await client.json(API.Signatures.self, "/api/v1/signatures").signatures.map(\.signature.retries) == [2])
            #expect(!String(buffer: try await client.call(.get, "/signatures").body).contains("signature-problems"))
        }
    }

    @Test func aDryRunShowsWhatADraftWouldMatchAndTheFormWarnsBeforeSavingOneThatMatchesPassingRuns() async throws {
        try await Self.harness().run { client in
            let crash = try await client.waitForEnd(try await client.trigger("crash", project: "triage").id)
            let fine = try await client.waitForEnd(try await client.trigger("fine", project: "triage").id)
            #expect(fine.state == .passed)
            let loose = #"{"kind": "known-bug", "pattern": "kernel: BUG"}"#
            let trial = try await client.json(API.DryRun.self, "/api/v1/signatures/draft/dry-run", method: .post, body: loose)
            #expect(trial == API.DryRun(matchedFailed: [crash.id], matchedPassed: [fine.id], checkedFailed: 1, checkedPassed: 1))
            let precise = #"{"kind": "known-bug", "pattern": "kernel: BUG at slab"}"#
            let better = try await client.json(API.DryRun.self, "/api/v1/signatures/draft/dry-run", method: .post, body: precise)
            #expect(better.matchedFailed == [crash.id] && better.matchedPassed.isEmpty)
            #expect(try await client.json(API.Signatures.self, "/api/v1/signatures").signatures.isEmpty)

            // The form: a dry run, then a save that asks first, then one that is confirmed.
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let fields = "name=bug&kind=known-bug&pattern=kernel%3A+BUG&issue=&project=triage&job="
            var page = String(buffer: try await client.call(.post, "/signatures", body: fields + "&action=dry-run", headers: form).body)
            #expect(page.contains("It would explain 1 of the 1 failed runs") && page.contains("matches 1 of the 1 passing runs"))
            #expect(page.contains(#"value="kernel: BUG""#))
            page = String(buffer: try await client.call(.post, "/signatures", body: fields + "&action=save", headers: form).body)
            #expect(page.contains("save although it matches passing runs"))
            #expect(try await client.json(API.Signatures.self, "/api/v1/signatures").signatures.isEmpty)
            let saved = try await client.call(.post, "/signatures", body: fields + "&action=save&confirm=yes", headers: form)
            #expect(saved.status == .seeOther)
            let stored = try await client.json(API.Signatures.self, "/api/v1/signatures").signatures
            #expect(stored.map(\.signature.scope.project) == ["triage"] && stored.first?.hits == 1)
            // Its chart: a bar a day, today's with the hit.
            page = String(buffer: try await client.call(.get, "/signatures").body)
            #expect(page.components(separatedBy: #"class="bar""#).count == 15)
            #expect(page.contains(#"style="height:20px""#))
            let bad = String(
                buffer: try await client.call(.post, "/signatures", body: "name=x&kind=flaky&pattern=(&action=dry-run", headers: form).body
            )
            #expect(bad.contains(#"id="error""#) && bad.contains("never closed"))
        }
    }

    @Test func aTestThatPassesAndFailsOnTheSameCodeIsListedAsFlaky() async throws {
        try await Self.harness().run { client in
            var runs: [Int] = []
            for _ in 0..<3 { runs.append(try await client.waitForEnd(try await client.trigger("flaky", project: "triage").id).id) }
            let flaky = try await client.json([API.FlakyTest].self, "/api/v1/tests/flaky")
            #expect(flaky == [API.FlakyTest(project: "triage", job: "flaky", name: "net.dns", flips: 2, failures: 1, results: 3, lastRun: runs[2])])
            let page = String(buffer: try await client.call(.get, "/flaky").body)
            #expect(page.contains("<td>net.dns</td>") && page.contains("<td>1 of 3</td>") && !page.contains("<td>disk</td>"))
        }
    }

    /// Waits up to 20 s for `condition`.
    func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<200 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting: \(what)")
    }
}
