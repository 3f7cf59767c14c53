import Foundation
import HangarAPI
import HangarCore
import HangarServer
import HangarStore
import Hummingbird
import HummingbirdTesting
import Testing

/// Every page of the web UI, fetched through the real router as a browser would (cookie, forms).
@Suite(.timeLimit(.minutes(1))) struct WebUITests {
    let server = ServerHarness()

    /// Signs in through the login form and returns the cookie header it set.
    func signIn(_ client: Client, as token: String) async throws -> HTTPFields {
        let response = try await client.call(
            .post,
            "/login",
            body: "token=\(token)&next=%2Fruns",
            token: .some(nil),
            headers: [.contentType: "application/x-www-form-urlencoded"]
        )
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/runs")
        let cookie = try #require(response.headers[.setCookie])
        #expect(cookie.contains("HttpOnly"))
        return [.cookie: String(cookie.split(separator: ";")[0])]
    }

    func page(_ client: Client, _ path: String, _ cookie: HTTPFields) async throws -> String {
        let response = try await client.call(.get, path, token: .some(nil), headers: cookie)
        #expect(response.status == .ok, "\(path)")
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        return String(buffer: response.body)
    }

    @Test func anOperatorSignsInTriggersWithAParameterAndSeesTheRunPass() async throws {
        // The client's own token (a viewer's) is only used to wait for the run's end.
        try await server.run(role: .viewer) { client in
            let cookie = try await signIn(client, as: client.tokens.operator)
            let project = try await page(client, "/projects/demo", cookie)
            #expect(project.contains("<h2>Job greet</h2>"))
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
            let rerun = try await client.call(.post, "/runs/\(id)/retrigger", token: .some(nil), headers: cookie)
            #expect(rerun.status == .seeOther)
            #expect(rerun.headers[.location] != location)
        }
    }

    @Test func everyPageShowsWhatItIsFor() async throws {
        try await server.run { client in
            let cookie = try await signIn(client, as: client.tokens.viewer)
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
}
