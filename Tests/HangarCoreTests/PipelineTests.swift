import Foundation
import HangarCore
import Testing

/// `pipelines:` in hangar.yml: what each takes, the jobs it runs as their own triggers would, and
/// what is refused where.
@Suite struct PipelineTests {
    static let forge = "forge: { type: gitea, repository: team/app, url: https://gitea.example.org, secret-env: S }\n"
    static let jobs = "jobs:\n  test: { tasks: [{ host: 'true' }], triggers: [{ push: [main] }] }\n  publish: { tasks: [{ host: 'true' }] }\n"

    func parse(_ pipelines: String, forge: String = Self.forge) throws(HangarError) -> ProjectFile {
        try ProjectFile.parse(forge + Self.jobs + "pipelines:\n" + pipelines, path: "/p/hangar.yml", displayName: "hangar.yml")
    }

    func failure(_ pipelines: String, forge: String = Self.forge) -> HangarError? {
        do {
            _ = try parse(pipelines, forge: forge)
            return nil
        } catch {
            return error
        }
    }

    @Test func checkPostAndPeriodicPipelinesStartTheirJobsAsTriggersWould() throws {
        let project = try parse(
            """
              check: { on: pull-request, jobs: [test] }
              post: { on: push, branches: [main], jobs: [test, publish] }
              nightly: { on: periodic, cron: "0 3 * * *", timezone: Europe/Berlin, jobs: [publish] }
            """
        )
        #expect(project.pipelines.map(\.name) == ["check", "post", "nightly"])
        #expect(project.pipelines.map(\.trigger.name) == ["pull-request", "push", "periodic"])
        #expect(project.pipelines[1].branches == ["main"] && project.pipelines[0].merge == nil)
        let test = try project.job(named: "test")
        #expect(test.triggers == [.push(branches: ["main"]), .pullRequest(branches: [])], "its own push trigger is not added twice")
        let publish = try project.job(named: "publish")
        #expect(publish.triggers.count == 2 && publish.triggers[0] == .push(branches: ["main"]))
        guard case .cron = publish.triggers[1] else { throw HangarError(.configInvalid, "no schedule: \(publish.triggers)") }
    }

    @Test func aMistakeIsSaidWhereItIs() {
        let cases: [(String, String, String)] = [
            ("  check: { jobs: [test] }\n", "hangar.yml:6:10", "needs 'on:'"),
            ("  check: { on: pull-reqest, jobs: [test] }\n", "hangar.yml:6:16", "unknown event 'pull-reqest' (did you mean 'pull-request'?)"),
            ("  check: { on: pull-request, jobs: [tset] }\n", "hangar.yml:6:37", "runs job 'tset', which is not defined (did you mean 'test'?)"),
            ("  check: { on: pull-request }\n", "hangar.yml:6:10", "needs 'jobs:'"),
            ("  check: { on: push, merge: rebase, jobs: [test] }\n", "hangar.yml:6:29", "'merge:' is for the gate"),
            ("  nightly: { on: periodic, jobs: [test] }\n", "hangar.yml:6:18", "needs 'cron:'"),
            ("  nightly: { on: periodic, cron: 'nope', jobs: [test] }\n", "hangar.yml:6:34", "cron schedule 'nope'"),
            ("  gate: { on: approved, merge: fast, jobs: [test] }\n", "hangar.yml:6:32", "'merge:' takes merge, rebase or squash, not 'fast'"),
            ("  gate: { on: approved, jobs: [test] }\n", "hangar.yml:6:9", "the forge has no token"),
            ("  check: { on: pull-request, jobs: [test], when: always }\n", "hangar.yml:6:44", "unknown key 'when'"),
        ]
        for (text, place, said) in cases {
            let error = failure(text)
            #expect(error?.location == place && error?.message.contains(said) == true, "\(text): \(String(describing: error))")
        }
        let forgeless = failure("  check: { on: pull-request, jobs: [test] }\n", forge: "")
        #expect(forgeless?.message.contains("the file names no forge") == true && forgeless?.location == "hangar.yml:5:10")
        #expect(failure("  nightly: { on: periodic, cron: '0 3 * * *', jobs: [test] }\n", forge: "") == nil, "a schedule needs no forge")
        let withToken = Self.forge.replacingOccurrences(of: "secret-env: S", with: "secret-env: S, token-env: T")
        let gate = try? parse("  gate: { on: approved, jobs: [test], merge: squash, gate-label: merge }\n", forge: withToken).pipelines.first
        #expect(gate?.trigger == .approved && gate?.merge == .squash && gate?.gateLabel == "merge", "\(String(describing: gate))")
    }
}
