import Foundation
import HangarAPI
import HangarCore
import HangarServer
import HangarStore
import Hummingbird
import HummingbirdTesting
import Testing

/// Every page of the web UI, fetched through the real router as a browser would (cookie, forms).
@Suite(.timeLimit(.minutes(2))) struct WebUITests {
    let server = ServerHarness()

    func page(_ client: Client, _ path: String, _ cookie: HTTPFields) async throws -> String {
        let response = try await client.call(.get, path, token: .some(nil), headers: cookie)
        #expect(response.status == .ok, "\(path)")
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        return String(buffer: response.body)
    }

    /// A matrix job's group as a grid: a row per first value, a column per the rest, each cell its
    /// latest run; the failed cells rerun from the page; a cell's run links back to its group.
    @Test func aGroupIsAGridOfItsCellsAndItsFailedCellsRunAgain() async throws {
        let project = """
            jobs:
              test:
                matrix:
                  DISTRO: [leap, debian]
                  SCENARIO: [default, selinux]
                tasks: [{ host: 'test "$DISTRO/$SCENARIO" != debian/selinux' }]
            """
        try await ServerHarness(extra: ["grid": project]).run(role: .viewer) { client in
            let cookie = try await client.signIn(as: client.tokens.operator)
            var headers = cookie
            headers[.contentType] = "application/x-www-form-urlencoded"
            let trigger = try await client.call(.post, "/projects/grid/jobs/test/trigger", body: "", token: .some(nil), headers: headers)
            let location = try #require(trigger.headers[.location])
            let first = try #require(Int(location.dropFirst("/runs/".count)))
            let runs = try await client.json(API.Group.self, "/api/v1/groups/\(first)").runs
            for run in runs { _ = try await client.waitForEnd(run.id) }
            let html = try await page(client, "/groups/\(first)", cookie)
            #expect(html.contains(#"<span class="state failed" id="state">failed</span>"#))
            #expect(html.contains("<tr><th></th><th>default</th><th>selinux</th></tr>"), "\(html)")
            let ids = runs.map(\.id)
            #expect(
                html.contains(
                    #"<tr><th>debian</th><td><a class="state passed" href="/runs/\#(ids[2])" title="debian/default">passed</a></td>"#
                        + #"<td><a class="state failed" href="/runs/\#(ids[3])" title="debian/selinux">failed</a></td></tr>"#
                )
            )
            #expect(!html.contains("http-equiv=\"refresh\""), "an ended group's page does not reload itself")
            let runPage = try await page(client, "/runs/\(ids[3])", cookie)
            #expect(runPage.contains(#" · cell <a href="/groups/\#(first)" id="group">debian/selinux</a>"#))

            let rerun = try await client.call(.post, "/groups/\(first)/rerun", token: .some(nil), headers: cookie)
            #expect(rerun.status == .seeOther && rerun.headers[.location] == "/groups/\(first)")
            let again = try await client.json(API.Group.self, "/api/v1/groups/\(first)")
            #expect(again.runs.count == 5 && again.runs[4].cell == "debian/selinux")
            #expect(try await page(client, "/projects/grid", cookie).contains(#"<a href="/groups/\#(first)">latest group #\#(first)</a>"#))
            let live = try await page(client, "/groups/\(first)", cookie)
            #expect(live.contains("href=\"/runs/\(again.runs[4].id)\" title=\"debian/selinux\""), "the cell shows its latest run")
            _ = try await client.waitForEnd(again.runs[4].id)
        }
    }

    /// The job's page draws each measurement's last values and says when the last 12 runs moved
    /// from the 12 before (Treeherder's t-test); `notify: when: [regressed]` tells of the run that moved it.
    @Test func theJobPageDrawsEachMeasurementAndSaysWhenItMoved() async throws {
        let project = """
            notify: { when: [regressed], webhook: "http://127.0.0.1:9/hooks" }
            jobs:
              bench:
                parameters: { MS: { default: "10" } }
                tasks: [{ host: 'echo "HANGAR_MEASURE latency=$MS unit=ms"' }]
            """
        try await ServerHarness(extra: ["perf": project]).run(role: .viewer) { client in
            let cookie = try await client.signIn(as: client.tokens.operator)
            var ids: [Int] = []
            for index in 0..<24 {
                let value = (index < 12 ? 10 : 30) + index % 2
                let body = #"{"parameters": {"MS": "\#(value)"}}"#
                let queued = try await client.call(.post, "/api/v1/projects/perf/jobs/bench/runs", body: body, token: client.tokens.operator)
                ids.append(try JSONDecoder().decode(API.Run.self, from: Data(String(buffer: queued.body).utf8)).id)
            }
            for id in ids { _ = try await client.waitForEnd(id) }
            let html = try await page(client, "/projects/perf", cookie)
            #expect(html.contains("<h3>Measurements</h3>") && html.contains("<td><code>latency</code></td>"), "\(html)")
            #expect(
                html.contains(#"<svg class="trend""#) && html.components(separatedBy: "<circle ").count == 1 + 24 * 2,
                "latency and run_seconds, 24 runs each"
            )
            #expect(html.contains("<title>#\(ids[23]): 31 ms</title>") && html.contains("<td>31 ms</td>"))
            #expect(html.contains(#"<span class="state failed">moved up (t = "#), "\(html)")
            let told = try await client.json([API.Notification].self, "/api/v1/runs/\(ids[23])/notifications")
            #expect(told.count == 1 && told[0].subject.hasPrefix("perf/bench #\(ids[23]): latency moved up (t = "), "\(told)")
            #expect(try await client.json([API.Notification].self, "/api/v1/runs/\(ids[22])/notifications").isEmpty, "too few runs before")
        }
    }

    @Test func anOperatorSignsInTriggersWithAParameterAndSeesTheRunPass() async throws {
        // The client's own token (a viewer's) is only used to wait for the run's end.
        try await server.run(role: .viewer) { client in
            let cookie = try await client.signIn(as: client.tokens.operator)
            let project = try await page(client, "/projects/demo", cookie)
            #expect(project.contains("<h2>Job greet <img src=\"/projects/demo/jobs/greet/badge.svg\""))
            #expect(project.contains("host tasks only"), "a job of host tasks claims no machine")
            #expect(project.contains(#"<input type="text" name="WHO" value="" required>"#))
            #expect(project.contains("the one to greet"))
            var headers = cookie
            headers[.contentType] = "application/x-www-form-urlencoded"
            let trigger = try await client.call(
                .post,
                "/projects/demo/jobs/greet/trigger",
                body: "WHO=web+user&HOW=",
                token: .some(nil),
                headers: headers
            )
            #expect(trigger.status == .seeOther)
            let location = try #require(trigger.headers[.location])
            let id = try #require(Int(location.dropFirst("/runs/".count)))
            let run = try await client.waitForEnd(id)
            #expect(run.state == .passed)
            let html = try await page(client, location, cookie)
            #expect(html.contains(#"<span class="state passed" id="state">passed</span>"#))
            #expect(html.contains("Hello, web user"))
            #expect(html.contains("<code>WHO</code></td><td>web user</td>"))
            #expect(html.contains("host: echo &quot;$HOW, $WHO&quot;"))
            #expect(!html.contains("EventSource"), "a finished run's page does not follow the log")
            #expect(html.contains("Run again"))
            #expect(html.contains(#"queued <time datetime=""#))
            #expect(html.contains("ago</time>") || html.contains("just now</time>"))
            #expect(html.contains(" UTC\">"), "the exact time on hover")
            #expect(html.contains("<p class=\"muted\">manual by o · queued"), "who started it")
            let rerun = try await client.call(.post, "/runs/\(id)/retrigger", token: .some(nil), headers: cookie)
            #expect(rerun.status == .seeOther)
            #expect(rerun.headers[.location] != location)
            let again = try await page(client, try #require(rerun.headers[.location]), cookie)
            #expect(again.contains("rerun of #\(id) by o · queued"))
            let history = try await page(client, "/runs", cookie)
            #expect(history.range(of: "rerun of #\(id) by o( · |<)", options: .regularExpression) != nil)
        }
    }

    @Test func everyPageShowsWhatItIsFor() async throws {
        try await server.run { client in
            let cookie = try await client.signIn(as: client.tokens.viewer)
            let failed = try await client.runToEnd("hello")
            let running = try await client.trigger("sleepy")
            while try await client.state(running.id) != .running { try await Task.sleep(for: .milliseconds(20)) }

            let dashboard = try await page(client, "/", cookie)
            #expect(dashboard.contains("<h1>Dashboard</h1>"))
            #expect(dashboard.contains(#"<a href="/runs/\#(running.id)">#\#(running.id)</a>"#))
            #expect(dashboard.contains(#"<a href="/projects/broken">broken</a>"#))
            #expect(dashboard.contains("configuration error"))

            let history = try await page(client, "/runs?state=failed", cookie)
            #expect(history.contains(#"<a href="/runs/\#(failed.id)">"#))
            #expect(!history.contains(#"<a href="/runs/\#(running.id)">"#))
            #expect(history.contains("<option selected>failed</option>"))

            let red = try await page(client, "/runs/\(failed.id)", cookie)
            #expect(red.range(of: #"<span id="failure">[a-z.-]+ \(test\) in task 2</span>"#, options: .regularExpression) != nil)

            let live = try await page(client, "/runs/\(running.id)", cookie)
            #expect(live.contains(#"new EventSource("/api/v1/runs/\#(running.id)/log/live?from="#))
            #expect(!live.contains("Cancel"), "a viewer gets no buttons")

            let broken = try await page(client, "/projects/broken", cookie)
            #expect(broken.contains("Configuration error"))
            #expect(broken.contains("unknown key &#39;memroy&#39;") || broken.contains("unknown key 'memroy'"))

            let machines = try await page(client, "/machines", cookie)
            #expect(machines.contains("<h1>Machines</h1>"))
            #expect(machines.contains("no machines running"))
            // The embedded worker is listed, with the run it holds.
            #expect(machines.contains("<h2>Workers</h2>"))
            #expect(machines.contains(#"<span class="state running">running</span></td><td>arch="#))
            #expect(machines.contains(#"<a href="/runs/\#(running.id)">#\#(running.id)</a>"#))

            let login = try await page(client, "/login", [:])
            #expect(login.contains(#"<input type="password" name="token""#))
            let bad = try await client.call(.post, "/login", body: "token=nope", token: .some(nil))
            #expect(bad.status == .unauthorized)
            #expect(String(buffer: bad.body).contains("That token is not valid."))
            // A viewer's cookie does not allow cancelling.
            #expect(try await client.call(.post, "/runs/\(running.id)/cancel", token: .some(nil), headers: cookie).status == .forbidden)
            #expect(try await client.call(.post, "/runs/\(running.id)/cancel").status == .seeOther)
        }
    }

    @Test func timesButtonsBadgesAndErrorsReadAsAPersonExpects() async throws {
        try await server.run { client in
            let cookie = try await client.signIn(as: client.tokens.operator)
            let passed = try await client.runToEnd("null")
            let running = try await client.trigger("sleepy")
            while try await client.state(running.id) != .running { try await Task.sleep(for: .milliseconds(20)) }

            let live = try await page(client, "/runs/\(running.id)", cookie)
            #expect(live.contains("running for "), "a running run's elapsed time")
            #expect(live.contains(#"<button id="cancel">Cancel</button>"#))
            #expect(!live.contains("Run again"), "only an ended run can run again")
            let ended = try await page(client, "/runs/\(passed.id)", cookie)
            #expect(ended.contains(#"<button id="again">Run again</button>"#))
            // Its duration (`0.4s` when quick; a loaded machine may take longer: PageViewsTests checks the format).
            #expect(ended.range(of: #"took \d+(\.\d)?s"#, options: .regularExpression) != nil, "its duration")

            // The badge is public (READMEs show it to anyone) and says how the job's last run ended.
            let badge = try await client.call(.get, "/projects/demo/jobs/null/badge.svg", token: .some(nil))
            #expect(badge.status == .ok)
            #expect(badge.headers[.contentType] == "image/svg+xml")
            #expect(String(buffer: badge.body).contains("<title>null: passed</title>"))
            let none = try await client.call(.get, "/projects/demo/jobs/greet/badge.svg", token: .some(nil))
            #expect(String(buffer: none.body).contains("<title>greet: no runs</title>"))
            #expect(try await client.call(.get, "/projects/demo/jobs/nope/badge.svg", token: .some(nil)).status == .notFound)

            // Unknown runs and projects are pages, not JSON.
            for path in ["/runs/99999", "/projects/nope", "/nowhere"] {
                let missing = try await client.call(.get, path, token: .some(nil), headers: cookie)
                #expect(missing.status == .notFound, "\(path)")
                #expect(missing.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(String(buffer: missing.body).contains("<h1>404 · Not Found</h1>"), "\(path)")
            }
            let bad = try await client.call(.get, "/runs?limit=-1", token: .some(nil), headers: cookie)
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("limit"))
            // A stale cookie leads to the sign-in page, and is dropped.
            let stale = try await client.call(.get, "/runs/\(passed.id)", token: .some(nil), headers: [.cookie: "hangar_token=revoked"])
            #expect(stale.status == .seeOther)
            #expect(stale.headers[.location] == "/login?next=%2Fruns%2F\(passed.id)")
            #expect(stale.headers[.setCookie]?.contains("Max-Age=0") == true)
            // The API keeps answering JSON.
            let api = try await client.call(.get, "/api/v1/runs/99999")
            #expect(api.headers[.contentType]?.hasPrefix("application/json") == true)

            // Lists refresh themselves; history filters are choices, and pages go both ways.
            let dashboard = try await page(client, "/", cookie)
            #expect(dashboard.contains(#"<meta http-equiv="refresh" content="10">"#))
            #expect(!(try await page(client, "/runs/\(passed.id)", cookie)).contains("http-equiv"), "a run page does not reload itself")
            for _ in 0..<55 { _ = try await client.trigger("null") }
            let first = try await page(client, "/runs?project=demo", cookie)
            #expect(first.contains("<option selected>demo</option>"))
            #expect(first.contains("<option>greet</option>"))
            #expect(!first.contains("newer runs"))
            let older = try #require(first.firstMatch(of: /href="\/runs\?([^"]*before=[^"]*)"/)?.1, "\(first.suffix(600))")
            let second = try await page(client, "/runs?\(older.replacingOccurrences(of: "&amp;", with: "&"))", cookie)
            #expect(second.contains(#"<a href="/runs/\#(passed.id)">"#))
            let newer = try #require(second.firstMatch(of: /href="\/runs\?([^"]*after=[^"]*)"/)?.1)
            let back = try await page(client, "/runs?\(newer.replacingOccurrences(of: "&amp;", with: "&"))", cookie)
            #expect(!back.contains("newer runs"), "back on the newest page")
            #expect(!back.contains(#"<a href="/runs/\#(passed.id)">"#))
        }
    }

    @Test func artifactsAreLinkedEncodedAndTextShowsInTheBrowser() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("report")
            let cookie = try await client.signIn(as: client.tokens.viewer)
            let html = try await page(client, "/runs/\(run.id)", cookie)
            #expect(html.contains(#"<a href="/api/v1/runs/\#(run.id)/artifacts/logs/report.txt">logs/report.txt</a>"#))
            let file = try await client.call(.get, "/api/v1/runs/\(run.id)/artifacts/logs/report.txt")
            #expect(file.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(String(buffer: file.body) == "all good\n")
        }
    }

    @Test func aRunShowsTheImageItsMachineBoots() async throws {
        let project = "machines:\n  default: { image: ./missing.qcow2 }\njobs:\n  boot: { tasks: [{ run: \"true\" }] }\n"
        try await ServerHarness(extra: ["vm": project]).run { client in
            // The image is recorded when the run is handed out; this one then fails to find it.
            let run = try await client.waitForEnd(try await client.trigger("boot", project: "vm").id)
            #expect(run.state == .error)
            let html = try await page(client, "/runs/\(run.id)", try await client.signIn(as: client.tokens.viewer))
            #expect(html.contains(#"image <code id="image">"#) && html.contains(#"/vm/missing.qcow2</code>"#), "\(html)")
        }
    }

    @Test func aRunsTestResultsShowFailingTestsFirstAndExportAsKCIDB() async throws {
        try await server.run { client in
            let run = try await client.runToEnd("results")
            let cookie = try await client.signIn(as: client.tokens.viewer)
            let html = try await page(client, "/runs/\(run.id)", cookie)
            #expect(html.contains(#"<p id="tests">2 tests: 1 fail, 1 pass"#))
            #expect(!html.contains(#"image <code id="image">"#), "a job of host tasks boots no image")
            #expect(html.contains("cannot read test results: other.xml:1:1"))
            #expect(html.contains("</div><pre>expected 4\ngot 3</pre>"), "the failure's output, after its history")
            let broken = try #require(html.range(of: "demo.broken<div class=\"history\">"))
            let ok = try #require(html.range(of: "<td>demo.ok</td>"))
            #expect(broken.lowerBound < ok.lowerBound, "failing tests first")

            let results = try await client.json(API.Results.self, "/api/v1/runs/\(run.id)/results")
            #expect(results.summary["fail"] == 1 && results.summary["pass"] == 1 && results.summary["skip"] == 0)
            #expect(results.tests.map(\.name) == ["demo.broken", "demo.ok"])
            let kcidb = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/results?format=kcidb").body)
            #expect(kcidb.contains(#""status":"FAIL""#) && kcidb.contains(#""path":"results.demo.broken""#))
            #expect(kcidb.contains(#""major":4"#))
            let none = try await client.json(API.Results.self, "/api/v1/runs/\(try await client.runToEnd("null").id)/results")
            #expect(none.tests.isEmpty && none.summary["pass"] == 0)
            #expect(try await client.call(.get, "/api/v1/runs/\(run.id)/results?format=xml").status == .badRequest)
            // Each failing test shows its results in the job's last runs, newest right.
            let again = try await client.runToEnd("results")
            let second = try await page(client, "/runs/\(again.id)", cookie)
            #expect(
                second.contains(
                    ##"demo.broken<div class="history"><a class="cell failed" href="/runs/\##(run.id)" title="#\##(run.id): fail"></a><a class="cell failed" href="/runs/\##(again.id)""##
                ),
                "\(second)"
            )
        }
    }
}
