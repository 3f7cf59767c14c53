import Foundation
import HangarCore
import Testing

@Suite struct TriggerTests {
    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func cronFiresAtTheNextMatchingMinuteInItsTimeZone() throws {
        let daily = try CronSchedule("0 3 * * *", timeZone: "Europe/Berlin")
        // 03:00 in Berlin is 02:00 UTC in winter.
        #expect(daily.next(after: date("2026-11-22T01:00:00Z")) == date("2026-11-22T02:00:00Z"))
        #expect(daily.next(after: date("2026-11-22T02:00:00Z")) == date("2026-11-23T02:00:00Z"))
        let steps = try CronSchedule("*/15 9-10 * * 1-5")
        // Sunday 2026-11-22 → Monday 09:00.
        #expect(steps.next(after: date("2026-11-22T12:00:00Z")) == date("2026-11-23T09:00:00Z"))
        #expect(steps.next(after: date("2026-11-23T10:50:00Z")) == date("2026-11-24T09:00:00Z"))
        let monthly = try CronSchedule("30 0 1 * *")
        #expect(monthly.next(after: date("2026-11-22T00:00:00Z")) == date("2026-12-01T00:30:00Z"))
    }

    @Test(arguments: [
        ("0 3 * *", "has 4 fields, not 5"),
        ("61 * * * *", "minute field '61'"),
        ("* * * * 1-9", "day of week field '1-9'"),
        ("*/0 * * * *", "minute field '*/0'"),
    ])
    func badSchedulesSayWhichField(expression: String, message: String) {
        #expect(throws: HangarError.self) { try CronSchedule(expression) }
        do { _ = try CronSchedule(expression) } catch { #expect(error.message.contains(message), "\(error.message)") }
    }

    @Test func triggersAndTheForgeParseFromHangarYml() throws {
        let project = try ProjectFile.parse(
            """
            machines:
              default: { image: ./a.qcow2 }
            forge: { type: gitea, repository: team/app, url: "http://127.0.0.1:3000/", token-env: GITEA_TOKEN }
            jobs:
              test:
                triggers:
                  - push: [main]
                  - pull-request
                  - { cron: "0 3 * * *", timezone: Europe/Berlin, when: image-changed }
                  - pull-request: [main, release]
                tasks: [{ run: "true" }]
            """,
            path: "/p/hangar.yml",
            displayName: "hangar.yml"
        )
        #expect(
            project.forge
                == ForgeSpec(
                    kind: .gitea,
                    repository: "team/app",
                    apiURL: "http://127.0.0.1:3000",
                    secretVariable: "HANGAR_WEBHOOK_SECRET",
                    tokenVariable: "GITEA_TOKEN"
                )
        )
        let triggers = project.jobs[0].triggers
        #expect(triggers.count == 4)
        #expect(triggers[3] == .pullRequest(branches: ["main", "release"]))
        #expect(triggers[0] == .push(branches: ["main"]))
        #expect(triggers[1] == .pullRequest(branches: []))
        #expect(triggers[2] == .cron(try CronSchedule("0 3 * * *", timeZone: "Europe/Berlin"), imageChanged: true))
        do {
            _ = try ProjectFile.parse(
                "machines:\n  default: { image: ./a }\njobs:\n  t:\n    triggers: [{ cron: \"0 3 * *\" }]\n    tasks: []\n",
                path: "/p/hangar.yml",
                displayName: "hangar.yml"
            )
            Issue.record("a bad schedule parsed")
        } catch {
            #expect(error.description.hasPrefix("hangar.yml:5:24: cron schedule '0 3 * *' has 4 fields"), "\(error.description)")
        }
    }
}

@Suite struct ParameterExpansionTests {
    let project = """
        machines:
          default:
            image: ${DISK}
            kernel: https://example.org/${FLAVOR}/vmlinuz
        """

    @Test func imagesAreFilledInFromTheRunsParameters() throws {
        let machine = try ProjectFile.parse(project, path: "/p/hangar.yml", displayName: "hangar.yml").machines[0]
        let local = try machine.expanding(["DISK": "images/a.qcow2", "FLAVOR": "cloud"], directory: "/p")
        #expect(local.image == .file("/p/images/a.qcow2"))
        #expect(local.kernel == .url("https://example.org/cloud/vmlinuz", sha256: nil))
        let remote = try machine.expanding(["DISK": "https://example.org/b.qcow2", "FLAVOR": "x"], directory: "/p")
        #expect(remote.image == .url("https://example.org/b.qcow2", sha256: nil))
        do {
            _ = try machine.expanding(["FLAVOR": "x"], directory: "/p")
            Issue.record("a missing parameter expanded")
        } catch {
            #expect(error.message == "'${DISK}' needs parameter 'DISK', which this run does not have")
        }
    }
}
