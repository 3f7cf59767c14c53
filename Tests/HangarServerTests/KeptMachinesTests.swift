import Foundation
import HangarAPI
import HangarCore
import HangarTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// Kept machines (`keep:`) through the real router and store, the test acting as the worker over
/// the worker API: what a trigger asks, what the worker is told, who may extend and destroy them,
/// and what the heartbeats bring back (expired, destroyed, gone).
@Suite struct KeptMachinesTests {
    static let project = """
        machines:
          default: { image: ./none.qcow2 }
        jobs:
          dev: { keep: 1h, tasks: [{ run: "true" }] }
          plain: { tasks: [{ run: "true" }] }
          host: { tasks: [{ host: "true" }] }
        """

    static let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeptKeptKeptKeptKeptKeptKeptKeptKeptKept user@laptop"

    var harness = ServerHarness(extra: ["lab": project])

    /// The worker `w1`, as the test plays it.
    struct Worker {
        let client: Client
        let name = "w1"

        var status: API.WorkerStatus {
            API.WorkerStatus(name: name, labels: ["arch=x86_64"], slots: 2, busy: 0, freeMemory: 8000, load: 0, version: "test", instance: "life-1")
        }

        func send<T: Encodable>(_ method: HTTPRequest.Method, _ uri: String, _ body: T) async throws -> TestResponse {
            try await client.call(
                method,
                uri,
                body: String(decoding: try JSONEncoder().encode(body), as: UTF8.self),
                token: client.tokens.worker,
                headers: [.init("Hangar-Worker")!: name]
            )
        }

        func register() async throws { #expect(try await send(.post, "/api/v1/workers/register", status).status == .ok) }

        func claim() async throws -> API.Assignment {
            let response = try await send(.post, "/api/v1/workers/claim?wait=5", status)
            #expect(response.status == .ok)
            return try JSONDecoder().decode(API.Assignment.self, from: Data(String(buffer: response.body).utf8))
        }

        /// Ends `assignment` passed, keeping machine `default`.
        func finish(_ assignment: API.Assignment, status: RunStatus = .passed) async throws {
            let kept = [API.KeptMachine(name: "default", sshPort: 2222, sshUser: "root", ports: [])]
            let outcome = API.Outcome(status: status, reason: nil, kept: kept)
            let path = "/api/v1/runs/\(assignment.run.id)/attempts/\(assignment.run.attempt)/finish"
            #expect(try await send(.post, path, outcome).status == .ok)
        }

        func beat(kept: [Int], holding runs: [API.HeldRun] = []) async throws -> API.HeartbeatAnswer {
            let response = try await send(.post, "/api/v1/workers/heartbeat", API.Heartbeat(status: status, runs: runs, kept: kept))
            #expect(response.status == .ok)
            return try JSONDecoder().decode(API.HeartbeatAnswer.self, from: Data(String(buffer: response.body).utf8))
        }
    }

    func kept(_ client: Client) async throws -> [API.Kept] { try await client.json([API.Kept].self, "/api/v1/kept") }

    /// Runs `body` against a server without an embedded worker, the store's time at `time` (set to
    /// now), with worker `w1` registered.
    func withWorker(time: TestClock = TestClock(), _ body: @escaping @Sendable (Client, Worker) async throws -> Void) async throws {
        time.advance(Date().timeIntervalSince1970 - time.now)
        var options = ServerHarness.Options(time: time)
        options.embeddedWorker = false
        try await harness.run(options: options) { client in
            let worker = Worker(client: client)
            try await worker.register()
            try await body(client, worker)
        }
    }

    @Test func aKeptRunsMachinesStayUntilTheirOwnerOrAnAdminDestroysThem() async throws {
        let time = TestClock()
        try await withWorker(time: time) { client, worker in
            let body = String(decoding: try JSONEncoder().encode(API.TriggerRequest(keep: 600, sshKey: Self.key)), as: UTF8.self)
            let triggered = try await client.call(.post, "/api/v1/projects/lab/jobs/dev/runs", body: body)
            #expect(triggered.status == .created, "\(String(buffer: triggered.body))")
            let run = try JSONDecoder().decode(API.Run.self, from: Data(String(buffer: triggered.body).utf8))
            let assignment = try await worker.claim()
            #expect(assignment.run.id == run.id)
            #expect(assignment.keep == 600)
            #expect(assignment.sshKey == Self.key)
            // The worker lists the machines it keeps before its report of the end lands: not destroyed.
            let held = API.HeldRun(id: assignment.run.id, attempt: assignment.run.attempt)
            #expect(try await worker.beat(kept: [run.id], holding: [held]).destroy == nil)
            try await worker.finish(assignment)
            let listed = try #require(try await kept(client).first)
            #expect(listed.run == run.id && listed.owner == "o" && listed.worker == "w1" && listed.state == .kept)
            #expect(abs(listed.until - (time.now + 600)) < 1)
            #expect(listed.machines.map(\.sshPort) == [2222])
            #expect(try await worker.beat(kept: [run.id]).destroy == nil)

            // Another operator may not touch them; an admin may.
            let created = try await client.call(.post, "/api/v1/tokens", body: #"{"name": "o2", "role": "operator"}"#, token: client.tokens.admin)
            let other = try JSONDecoder().decode(API.NewToken.self, from: Data(String(buffer: created.body).utf8))
            let extend = #"{"seconds": 7200}"#
            let refused = try await client.call(.post, "/api/v1/kept/\(run.id)/extend", body: extend, token: other.token)
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body).contains("o's"))
            let byAdmin = try await client.call(.post, "/api/v1/kept/\(run.id)/extend", body: extend, token: client.tokens.admin)
            #expect(byAdmin.status == .ok)
            #expect(abs(try await kept(client)[0].until - (time.now + 7200)) < 1)
            let tooLong = try await client.call(.post, "/api/v1/kept/\(run.id)/extend", body: #"{"seconds": 1000000}"#)
            #expect(tooLong.status == .conflict)
            #expect(String(buffer: tooLong.body).contains("a week at most"))
            #expect(try await client.call(.delete, "/api/v1/kept/\(run.id)", token: client.tokens.viewer).status == .forbidden)

            // Destroyed by its owner: the worker hears it at its next heartbeat, the log says it.
            #expect(try await client.call(.delete, "/api/v1/kept/\(run.id)").status == .ok)
            #expect(try await worker.beat(kept: [run.id]).destroy == [run.id])
            let again = try await client.call(.delete, "/api/v1/kept/\(run.id)")
            #expect(again.status == .conflict)
            #expect(String(buffer: again.body).contains("already destroyed"))
            let log = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            #expect(log.contains("note: kept machines extended until"))
            #expect(log.contains("note: kept machines destroyed: destroyed by o"))
            #expect(try await kept(client)[0].state == .destroyed)
            #expect(try await client.call(.delete, "/api/v1/kept/\(run.id + 100)").status == .notFound)
        }
    }

    @Test func keptMachinesExpireAndOnesTheWorkerNoLongerHasAreGone() async throws {
        let time = TestClock()
        try await withWorker(time: time) { client, worker in
            // The job's own keep: 1h; the next run asks for 60 s instead.
            let long = try await client.trigger("dev", project: "lab")
            let short = try await client.trigger("plain", project: "lab", body: #"{"keep": 60}"#)
            let first = try await worker.claim()
            let second = try await worker.claim()
            #expect([first.keep, second.keep] == [3600, 60])
            try await worker.finish(first, status: .failed)
            try await worker.finish(second)
            #expect(try await worker.beat(kept: [long.id, short.id]).destroy == nil)

            time.advance(61)
            #expect(try await worker.beat(kept: [long.id, short.id]).destroy == [short.id])
            let expired = try #require(try await kept(client).first { $0.run == short.id })
            #expect(expired.state == .destroyed)
            #expect(expired.reason?.contains("their time ran out") == true)

            // The worker restarted without the other: it is gone; a run it lists that was never kept is destroyed.
            let answer = try await worker.beat(kept: [short.id, 999])
            #expect(answer.destroy == [short.id, 999])
            let gone = try #require(try await kept(client).first { $0.run == long.id })
            #expect(gone.state == .destroyed)
            #expect(gone.reason?.contains("no longer has them") == true)
            let log = String(buffer: try await client.call(.get, "/api/v1/runs/\(long.id)/log").body)
            #expect(log.contains("note: kept machines destroyed: their worker no longer has them"))
        }
    }

    /// A worker killed with its machines kept (or cut off): they are reported lost while it is
    /// silent, tunnels to them say so at once, and their time running out destroys them anyway.
    @Test func aSilentWorkersKeptMachinesAreReportedLostAndStillExpire() async throws {
        let time = TestClock()
        try await withWorker(time: time) { client, worker in
            let run = try await client.trigger("plain", project: "lab", body: #"{"keep": 60}"#)
            try await worker.finish(try await worker.claim())
            _ = try await worker.beat(kept: [run.id])
            #expect(try await kept(client)[0].lost == nil)

            time.advance(21)
            let silent = try await kept(client)[0]
            #expect(silent.state == .kept && silent.lost?.contains("worker w1 is offline (last heard from at") == true, "\(silent)")
            let tunnel = try await client.call(.get, "/api/v1/runs/\(run.id)/machines/default/ports/22/tunnel")
            #expect(tunnel.status == .conflict && String(buffer: tunnel.body).contains("w1 is offline"))
            let cookie = try await client.signIn(as: client.tokens.operator)
            let page = String(buffer: try await client.call(.get, "/machines", token: .some(nil), headers: cookie).body)
            #expect(page.contains(#"<span class="state lost">lost</span>"#), "\(page)")

            // Back with them before their time: no longer lost.
            _ = try await worker.beat(kept: [run.id])
            #expect(try await kept(client)[0].lost == nil)
            time.advance(61)
            let expired = try await kept(client)[0]
            #expect(expired.state == .destroyed && expired.reason?.contains("their time ran out") == true, "\(expired)")
            #expect(try await worker.beat(kept: [run.id]).destroy == [run.id], "told to destroy them when it comes back")
        }
    }

    @Test func theMachinesPageListsKeptMachinesAndExtendsAndDestroysThem() async throws {
        try await withWorker { client, worker in
            let run = try await client.trigger("dev", project: "lab")
            try await worker.finish(try await worker.claim())
            let cookie = try await client.signIn(as: client.tokens.operator)
            func page() async throws -> String { String(buffer: try await client.call(.get, "/machines", token: .some(nil), headers: cookie).body) }
            let before = try await page()
            #expect(before.contains("<a href=\"/runs/\(run.id)\">#\(run.id)</a>") && before.contains("default (ssh port 2222)"), "\(before)")
            #expect(before.contains("action=\"/kept/\(run.id)/extend\""))
            let until = try await kept(client)[0].until

            let extended = try await client.call(.post, "/kept/\(run.id)/extend", token: .some(nil), headers: cookie)
            #expect(extended.status == .seeOther && extended.headers[.location] == "/machines")
            #expect(try await kept(client)[0].until == until + 3600)
            let destroyed = try await client.call(.post, "/kept/\(run.id)/destroy", token: .some(nil), headers: cookie)
            #expect(destroyed.status == .seeOther)
            let after = try await page()
            #expect(after.contains("destroyed by o") && !after.contains("action=\"/kept/\(run.id)/destroy\""), "\(after)")
        }
    }

    /// A tunnel's request is checked before the upgrade: asked as a plain request, it says why not.
    @Test func aTunnelGoesOnlyToAKeptMachinesPortsForItsOwnerOrAnAdmin() async throws {
        try await withWorker { client, worker in
            let run = try await client.trigger("dev", project: "lab")
            try await worker.finish(try await worker.claim())
            let unkept = try await client.trigger("plain", project: "lab")
            func tunnel(_ path: String, token: String? = nil) async throws -> (HTTPResponse.Status, String) {
                let response = try await client.call(.get, "/api/v1/runs/\(path)/tunnel", token: token.map { .some($0) } ?? nil)
                return (response.status, String(buffer: response.body))
            }
            #expect(try await tunnel("\(run.id)/machines/default/ports/22").0 == .ok, "the owner may")
            #expect(try await tunnel("\(run.id)/machines/default/ports/22", token: client.tokens.admin).0 == .ok, "so may an admin")
            let cases: [(String, String?, HTTPResponse.Status, String)] = [
                ("\(unkept.id)/machines/default/ports/22", nil, .notFound, "run \(unkept.id) kept no machines"),
                ("\(run.id)/machines/web/ports/22", nil, .notFound, "kept no machine 'web' (it kept default)"),
                ("\(run.id)/machines/default/ports/80", nil, .badRequest, "does not forward port 80; a tunnel goes to 22"),
                ("\(run.id)/machines/default/ports/22", client.tokens.viewer, .forbidden, "operator"),
            ]
            for (path, token, status, said) in cases {
                let (got, body) = try await tunnel(path, token: token)
                #expect(got == status && body.contains(said), "\(path): \(got) \(body)")
            }
            #expect(try await client.call(.delete, "/api/v1/kept/\(run.id)").status == .ok)
            let (destroyed, body) = try await tunnel("\(run.id)/machines/default/ports/22")
            #expect(destroyed == .conflict && body.contains("were destroyed"), "\(body)")

            // A worker dials back only for a tunnel ordered for it.
            let dial = try await worker.send(.get, "/api/v1/workers/tunnels/nope", "")
            #expect(dial.status == .notFound)
        }
    }

    @Test func aTriggerThatCannotKeepSaysWhy() async throws {
        var options = ServerHarness.Options()
        options.embeddedWorker = false
        try await harness.run(options: options) { client in
            let cases: [(String, String, String)] = [
                ("host", #"{"keep": 60}"#, "boots no machine"),
                ("plain", #"{"keep": 0}"#, "at most a week"),
                ("plain", #"{"keep": 700000}"#, "at most a week"),
                ("plain", #"{"sshKey": "\#(Self.key)"}"#, "give a time to keep them"),
                ("plain", #"{"keep": 60, "sshKey": "not a key"}"#, "sshKey"),
            ]
            for (job, body, said) in cases {
                let response = try await client.call(.post, "/api/v1/projects/lab/jobs/\(job)/runs", body: body)
                #expect(response.status == .badRequest, "\(job) \(body)")
                #expect(String(buffer: response.body).contains(said), "\(job) \(body): \(String(buffer: response.body))")
            }
            #expect(try await client.json([API.Run].self, "/api/v1/runs").isEmpty)
        }
    }
}
