import Foundation
import HTTPTypes
import HangarAPI
import HangarCore
import HangarServer
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// The gate end to end, through the real router and the real gate engine: a bare git repository
/// with pull requests under `refs/pull/N/head`, a git project over it, the stand-in forge merging
/// for real into the repository (`GateStandIn`), and Gitea's webhooks as Gitea sends them
/// (`X-Gitea-Event: pull_request_approved` for an approving review, written from Gitea's
/// documentation and source: no delivery of one is in ../shared).
@Suite(.timeLimit(.minutes(3))) struct GateTests {
    /// Runs `body` against a server serving the stand-in's repository as project `app`, once loaded.
    func withGate(_ world: GateStandIn, _ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        let server = ServerHarness()
        try world.project(in: server.projects)
        let options = ServerHarness.Options(environment: GateStandIn.environment, publicURL: "http://ci.example")
        try await server.run(options: options) { client in
            try await eventually("the project loads") { try await client.json(API.Project.self, "/api/v1/projects/app").jobs.isEmpty == false }
            try await body(client)
        }
    }

    /// Sends Gitea's `event` about request `number` at `commit`; the answer's body.
    @discardableResult
    func send(_ client: Client, _ world: GateStandIn, _ event: String, action: String, number: Int, commit: String) async throws -> String {
        let (body, headers) = world.delivery(event, action: action, number: number, commit: commit)
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let answer = try await client.call(.post, "/hooks/gitea/app", body: body, token: .some(nil), headers: fields)
        #expect(answer.status == .ok, "\(String(buffer: answer.body))")
        return String(buffer: answer.body)
    }

    func queues(_ client: Client) async throws -> [API.Queue] { try await client.json([API.Queue].self, "/api/v1/queues") }

    /// Three approved pull requests, the second breaking the tests: the first and third merge (the
    /// third after its testing on top of the second is cancelled and restarted without it), the
    /// second leaves with a comment naming its failed run; a forge answering 500 to the first merge
    /// is asked again; new commits pushed to an approved request take it out of the gate.
    @Test func approvedChangesMergeInOrderAndABrokenOneLeavesWithAComment() async throws {
        let world = try await GateStandIn(task: "sleep 2; test ! -e BROKEN")
        defer { world.stop() }
        let heads = [
            try await world.pullRequest(1, adding: "one"), try await world.pullRequest(2, adding: "BROKEN"),
            try await world.pullRequest(3, adding: "three"),
        ]
        try world.failMerges(1)
        try await withGate(world) { client in
            for (index, head) in heads.enumerated() {
                let answer = try await send(client, world, "pull_request_approved", action: "reviewed", number: index + 1, commit: head)
                #expect(answer.contains("joined the gate"), "\(answer)")
            }
            #expect(try await queues(client).first?.items.map(\.change) == ["team/app#1", "team/app#2", "team/app#3"])
            try await eventually("the head is tested") { try await queues(client).first?.items.first?.runs.isEmpty == false }
            let page = String(buffer: try await client.call(.get, "/queues").body)
            #expect(page.contains("team/app#3") && page.contains("team/app#1 + team/app#2"), "the page shows what #3 is tested on: \(page)")

            // A fourth, approved, then given new commits: it leaves the gate.
            let fourth = try await world.pullRequest(4, adding: "four")
            try await send(client, world, "pull_request_approved", action: "reviewed", number: 4, commit: fourth)
            let newer = try await world.pullRequest(4, adding: "four-again")
            let pushed = try await send(client, world, "pull_request", action: "synchronized", number: 4, commit: newer)
            #expect(pushed.contains("left the gate"), "\(pushed)")

            try await eventually("the queue empties: \((try? world.merges()) ?? [])") { try await queues(client).first?.items.isEmpty == true }
        }
        let calls = try world.calls()
        #expect(
            try world.merges() == [
                "/api/v1/repos/team/app/pulls/1/merge", "/api/v1/repos/team/app/pulls/1/merge", "/api/v1/repos/team/app/pulls/3/merge",
            ]
        )
        let second = try #require(calls.first { $0.path == "/api/v1/repos/team/app/issues/2/comments" }, "\(calls.map(\.path))")
        #expect(
            second.text.contains("team/app#2 left the gate: its jobs failed: job test failed") && second.text.contains("http://ci.example/runs/"),
            "\(second.text)"
        )
        #expect(calls.contains { $0.path.hasSuffix("/issues/4/comments") && $0.text.contains("new commits were pushed to it") })
        let statuses = calls.filter { $0.path.contains("/statuses/") }
        #expect(
            statuses.contains {
                $0.path.hasSuffix("/statuses/\(heads[2])") && $0.fields["context"] == "hangar/gate/test" && $0.fields["state"] == "success"
            },
            "the request's head commit gets the gate's status: \(statuses.map(\.fields))"
        )
        #expect(try await world.filesOnMain() == ["hangar.yml", "one", "three"], "main has #1 and #3, not #2 or #4")
    }

    /// A forge that answers 500 to every merge: asked three times, then the change leaves with a
    /// comment; a request closed while it is tested leaves and its runs are cancelled.
    @Test func aForgeThatNeverMergesAndAClosedRequestTakeTheirChangesOut() async throws {
        // The runs wait for `release()`, so #2's are still going when it is closed however slow the machine.
        let world = try await GateStandIn()
        defer { world.stop() }
        let first = try await world.pullRequest(1, adding: "one")
        let second = try await world.pullRequest(2, adding: "two")
        try world.failMerges(3)
        try await withGate(world) { client in
            try await send(client, world, "pull_request_approved", action: "reviewed", number: 1, commit: first)
            try await send(client, world, "pull_request_approved", action: "reviewed", number: 2, commit: second)
            try await eventually("#2 is tested") { try await queues(client).first?.items.last?.runs.isEmpty == false }
            let runs = try #require(try await queues(client).first?.items.last?.runs)
            let closed = try await send(client, world, "pull_request", action: "closed", number: 2, commit: second)
            #expect(closed.contains("app#2 left the gate"), "\(closed)")
            try await eventually("#2's runs are cancelled") {
                var states: [RunState] = []
                for run in runs { states.append(try await client.state(run.id)) }
                return states.allSatisfy { $0 == .cancelled }
            }
            world.release()
            try await eventually("the queue empties: \((try? world.merges()) ?? [])") { try await queues(client).first?.items.isEmpty == true }
        }
        #expect(try world.merges() == Array(repeating: "/api/v1/repos/team/app/pulls/1/merge", count: 3))
        let comments = try world.calls().filter { $0.path.hasSuffix("/comments") }.map(\.text)
        #expect(
            comments.contains {
                $0.contains("team/app#1 left the gate: the merge was refused: the forge answered 500") && $0.contains("asked 3 times")
            },
            "\(comments)"
        )
        #expect(comments.contains { $0.contains("team/app#2 left the gate: it was closed") }, "\(comments)")
        #expect(try await world.filesOnMain() == ["hangar.yml"])
    }
}

/// Pull requests by outsiders (`trust: members`, the default): nothing runs until a member says
/// `/hangar ok-to-test`; then every push runs, and `recheck` runs again naming the last failure.
@Suite(.timeLimit(.minutes(3))) struct TrustTests {
    @Test func anOutsidersRequestWaitsForAMembersOkToTest() async throws {
        let world = try await GateStandIn(task: "test ! -e BROKEN", check: true)
        defer { world.stop() }
        let broken = try await world.pullRequest(5, adding: "BROKEN")
        let gate = GateTests()
        try await gate.withGate(world) { client in
            func send(_ delivery: (body: String, headers: [(String, String)])) async throws -> (HTTPResponse.Status, API.WebhookAnswer) {
                var fields = HTTPFields()
                for (name, value) in delivery.headers { fields[HTTPField.Name(name)!] = value }
                let answer = try await client.call(.post, "/hooks/gitea/app", body: delivery.body, token: .some(nil), headers: fields)
                return (answer.status, try JSONDecoder().decode(API.WebhookAnswer.self, from: Data(String(buffer: answer.body).utf8)))
            }
            let held = try await send(world.delivery("pull_request", action: "opened", number: 5, commit: broken, author: "stranger"))
            #expect(held.1.result == "held" && held.1.detail?.contains("waits for a member's '/hangar ok-to-test'") == true, "\(held)")
            let byStranger = try await send(world.comment("/hangar ok-to-test", number: 5, by: "stranger"))
            #expect(byStranger.1.result == "ignored" && byStranger.1.detail?.contains("stranger is not one") == true, "\(byStranger)")
            let recheckFirst = try await send(world.comment("recheck", number: 5, by: "stranger"))
            #expect(recheckFirst.1.result == "ignored", "a recheck does not run an outsider's request: \(recheckFirst)")

            let allowed = try await send(world.comment("Looks fine.\\n/hangar ok-to-test", number: 5, by: "alice"))
            #expect(allowed.0 == .created && allowed.1.runs.count == 1, "\(allowed)")
            let failed = try await client.waitForEnd(try #require(allowed.1.runs.first))
            #expect(failed.state == .failed && failed.parameters["HANGAR_COMMIT"] == broken)

            let fixed = try await world.pullRequest(5, adding: "fine")
            let pushed = try await send(world.delivery("pull_request", action: "synchronized", number: 5, commit: fixed, author: "stranger"))
            #expect(pushed.1.result == "triggered", "once let run, its pushes run: \(pushed)")
            let recheck = try await send(world.comment("recheck", number: 5, by: "stranger"))
            #expect(recheck.0 == .created, "\(recheck)")
            for id in pushed.1.runs + recheck.1.runs {
                let run = try await client.waitForEnd(id)
                #expect(run.state == .passed, "\(run)")
            }

            let member = try await send(world.delivery("pull_request", action: "opened", number: 6, commit: fixed, author: "alice"))
            #expect(member.1.result == "triggered", "a member's request runs at once: \(member)")
            let approval = world.delivery("pull_request_approved", action: "reviewed", number: 6, commit: fixed, sender: "stranger")
            let outsiderApproval = try await send(approval)
            #expect(
                outsiderApproval.1.result == "ignored"
                    && outsiderApproval.1.detail?.contains("who is not a member of team/app, does not gate") == true
            )
            #expect(try await gate.queues(client).first?.items.isEmpty == true, "an outsider's approval gates nothing")
        }
        let comments = try world.calls().filter { $0.path.hasSuffix("/issues/5/comments") }.map(\.text)
        #expect(comments.contains { $0.contains("waits for a member's '/hangar ok-to-test'") }, "\(comments)")
        #expect(comments.contains { $0.contains("alice let pull request #5 run at \(broken.prefix(7))") }, "\(comments)")
        #expect(comments.contains { $0.contains("rechecking #5") && $0.contains("its last failure, run #") }, "\(comments)")
    }
}

/// A pull request that changes hangar.yml runs as its own file says, in the shadow: no commit
/// statuses, marked apart on the pages; one whose file does not load runs nothing and says why.
@Suite(.timeLimit(.minutes(3))) struct ShadowTests {
    @Test func aRequestChangingHangarYmlRunsItsOwnJobsInTheShadow() async throws {
        let world = try await GateStandIn(task: "true", check: true)
        defer { world.stop() }
        let changed = try await world.pullRequest(
            7,
            adding: "hangar.yml",
            text: """
                forge: { type: gitea, repository: team/app, url: "\(world.url)", token-env: FORGE_TOKEN, secret-env: HOOK_SECRET }
                jobs:
                  test: { tasks: [{ host: 'echo the changed test' }] }
                  lint: { tasks: [{ host: 'echo linting' }] }
                pipelines:
                  check: { on: pull-request, jobs: [test, lint] }

                """
        )
        let broken = try await world.pullRequest(8, adding: "hangar.yml", text: "jobs:\n  test: { taskz: [] }\n")
        let plain = try await world.pullRequest(9, adding: "notes")
        try await GateTests().withGate(world) { client in
            func send(_ number: Int, _ commit: String) async throws -> API.WebhookAnswer {
                let (body, headers) = world.delivery("pull_request", action: "opened", number: number, commit: commit)
                var fields = HTTPFields()
                for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
                let answer = try await client.call(.post, "/hooks/gitea/app", body: body, token: .some(nil), headers: fields)
                return try JSONDecoder().decode(API.WebhookAnswer.self, from: Data(String(buffer: answer.body).utf8))
            }
            let shadow = try await send(7, changed)
            #expect(shadow.runs.count == 2 && shadow.detail?.contains("shadow runs") == true, "\(shadow)")
            var jobs: [String] = []
            for id in shadow.runs {
                let run = try await client.waitForEnd(id)
                #expect(run.state == .passed && run.trigger == .shadow && run.cause?.hasPrefix("shadow: ") == true, "\(run)")
                jobs.append(run.job)
            }
            #expect(jobs.sorted() == ["lint", "test"], "the request's own jobs run")
            let log = String(buffer: try await client.call(.get, "/api/v1/runs/\(shadow.runs[0])/log").body)
            #expect(log.contains("the changed test"), "\(log)")
            let page = String(buffer: try await client.call(.get, "/runs").body)
            #expect(page.contains(#"<span class="state shadow""#), "marked apart on the history page")

            let refused = try await send(8, broken)
            #expect(refused.result == "ignored" && refused.detail?.contains("does not load") == true, "\(refused)")
            let normal = try await send(9, plain)
            #expect(normal.result == "triggered" && normal.detail == nil, "\(normal)")
            #expect(try await client.waitForEnd(try #require(normal.runs.first)).trigger == .webhook)
        }
        let calls = try world.calls()
        #expect(!calls.contains { $0.path.hasSuffix("/statuses/\(changed)") }, "a shadow run sends no commit status")
        #expect(calls.contains { $0.path.hasSuffix("/statuses/\(plain)") }, "an ordinary one does")
        #expect(calls.contains { $0.path.hasSuffix("/issues/8/comments") && $0.text.contains("hangar.yml does not load") })
    }
}

/// `Depends-On:` in a pull request's description: a change joins the gate only behind what it
/// depends on (or once that merged), leaves with it, and a cycle is refused.
@Suite(.timeLimit(.minutes(3))) struct DependsOnTests {
    @Test func aChangeIsGatedOnlyBehindWhatItDependsOnAndACycleIsRefused() async throws {
        let world = try await GateStandIn(task: "sleep 1; test ! -e BROKEN")
        defer { world.stop() }
        let heads = [
            try await world.pullRequest(1, adding: "BROKEN"), try await world.pullRequest(2, adding: "two"),
            try await world.pullRequest(3, adding: "three"), try await world.pullRequest(4, adding: "four"),
        ]
        try world.describe(2, "Needs the first.\nDepends-On: \(world.url)/team/app/pulls/1\n")
        try world.describe(3, "Depends-On: https://gitea.example.org/team/app/pulls/4")
        try world.describe(4, "Depends-On: https://gitea.example.org/team/app/pulls/3")
        let gate = GateTests()
        try await gate.withGate(world) { client in
            func approve(_ number: Int) async throws -> String {
                try await gate.send(client, world, "pull_request_approved", action: "reviewed", number: number, commit: heads[number - 1])
            }
            let early = try await approve(2)
            #expect(early.contains(#"app#2 waits for team\/app#1 (Depends-On)"#), "\(early)")
            #expect(try await approve(1).contains("joined the gate"))
            #expect(try await approve(2).contains("joined the gate"), "behind what it depends on")
            let cycle = try await approve(3)
            #expect(cycle.contains("make a cycle"), "\(cycle)")
            try await eventually("the queue empties") { try await gate.queues(client).first?.items.isEmpty == true }
        }
        #expect(try world.merges().isEmpty, "#1 failed, and #2 left with it")
        let comments = try world.calls().filter { $0.path.hasSuffix("/comments") }
        #expect(comments.contains { $0.path.hasSuffix("/issues/2/comments") && $0.text.contains("it depends on team/app#1, which left the gate") })
        #expect(comments.contains { $0.path.hasSuffix("/issues/3/comments") && $0.text.contains("team/app#3 → team/app#4 → team/app#3") })
    }
}

/// A run may run a pull request's code: the server's secrets never reach its host tasks.
@Suite struct WithheldSecretsTests {
    @Test func aRunsHostTasksNeverSeeTheForgesTokenOrSecret() async throws {
        let (token, secret) = ("HANGAR_T_TOKEN_\(UUID().uuidString.prefix(6))", "HANGAR_T_SECRET_\(UUID().uuidString.prefix(6))")
        setenv(token, "the-token", 1)
        setenv(secret, "the-secret", 1)
        let project = """
            forge: { type: gitea, repository: team/app, url: "http://127.0.0.1:9", token-env: \(token), secret-env: \(secret) }
            jobs:
              show: { tasks: [{ host: 'echo "token=[$\(token)] secret=[$\(secret)] path=[${PATH:+set}]"' }] }
            """
        try await ServerHarness(extra: ["app": project]).run { client in
            let run = try await client.waitForEnd(try await client.trigger("show", project: "app").id)
            #expect(run.state == .passed)
            let log = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            #expect(log.contains("token=[] secret=[] path=[set]"), "\(log)")
        }
    }
}
