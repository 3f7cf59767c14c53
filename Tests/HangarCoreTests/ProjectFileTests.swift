import HangarCore
import Testing

@Suite struct ProjectFileTests {
    func parse(_ text: String) throws(HangarError) -> ProjectFile {
        try ProjectFile.parse(text, path: "/work/project/hangar.yml", displayName: "hangar.yml")
    }

    func failure(_ text: String) -> HangarError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func aJobKeepsItsMachinesForADurationOfAtMostAWeek() throws {
        let project = try parse("machines:\n  default: { image: ./a.qcow2 }\njobs:\n  dev: { keep: 4h, tasks: [{ run: make }] }\n")
        #expect(project.jobs[0].keep == .seconds(4 * 3600))
        for (value, said) in [("0s", "more than 0"), ("8d", "at most a week"), ("soon", "'soon' is not a duration")] {
            let error = try #require(failure("jobs:\n  dev:\n    keep: \(value)\n    tasks: [{ run: make }]\n"))
            #expect(error.location == "hangar.yml:3:11", "\(value): \(error)")
            #expect(error.message.contains(said), "\(value): \(error)")
        }
    }

    /// As yamllint does: the mistake is the key's second place, not its first.
    @Test func aDuplicateKeyIsReportedWhereItAppearsAgain() throws {
        let error = try #require(
            failure(
                """
                machines:
                  default:
                    kernel: ./vmlinuz
                    memory: 1G
                    # a comment
                    memory: 2G
                jobs: {}
                """
            )
        )
        #expect(error.code == .configDuplicateKey)
        #expect(error.location == "hangar.yml:6:5", "\(error)")
        #expect(error.message.contains("'memory' (first at line 4)"))
    }

    @Test func anOBSImageIsNamedByItsCoordinatesAndNeverByItsCredentials() throws {
        let project = try parse(
            """
            machines:
              default:
                image:
                  obs: { project: "devel:kanku:images", package: JeOS, repository: images_leap, arch: x86_64, prefer: qcow2, download: none }
            jobs: {}
            """
        )
        guard case .obs(let image)? = project.machines.first?.image else {
            Issue.record("not an OBS image")
            return
        }
        #expect(image.project == "devel:kanku:images" && image.api == OBSImage.defaultAPI && image.download == nil && image.prefer == "qcow2")
        #expect(image.displayName == "obs:devel:kanku:images/JeOS (images_leap/x86_64)")
        #expect(image.buildLink == "https://build.opensuse.org/package/show/devel:kanku:images/JeOS")
        let secret = failure(
            "machines:\n  default:\n    image:\n      obs: { project: p, package: q, repository: r, arch: a, password: x }\njobs: {}\n"
        )
        #expect(
            secret?.message == "credentials do not belong in hangar.yml" && secret?.location == "hangar.yml:4:72",
            "\(String(describing: secret))"
        )
        let kind = failure(
            "machines:\n  default:\n    image:\n      obs: { project: p, package: q, repository: r, arch: a, prefer: qcow }\njobs: {}\n"
        )
        #expect(kind?.message.contains("unknown image kind 'qcow' (did you mean 'qcow2'?)") == true, "\(String(describing: kind))")
        let missing = failure("machines:\n  default:\n    image:\n      obs: { project: p, package: q }\njobs: {}\n")
        #expect(missing?.message == "'obs:' needs 'repository:'")
    }

    @Test func aFullFileParses() throws {
        let project = try parse(
            """
            machines:
              default:
                image: { url: https://example.org/leap.qcow2, sha256: \(String(repeating: "ab", count: 32)) }
                memory: 2G
                cpus: 4
                disk: 20G
                ports: ["8080:80", "0:443"]
                share: .
              tiny:
                kernel: ./vmlinuz
                initrd: ./initrd.img
                append: console=ttyS0
                ssh: { identity: ./id_ed25519 }
                accel: tcg
                boot-timeout: 30s
            jobs:
              test:
                timeout: 30m
                tasks:
                  - run: make check
                  - use: collect
                    with: { paths: ["/hangar/results/*.xml"], format: junit }
                    timeout: 1m
              nightly:
                machine: tiny
                triggers: [{ cron: "0 3 * * *" }]
                tasks: [{ host: "true" }]
            """
        )
        let machine = try project.machine(named: "default")
        #expect(machine.image == .url("https://example.org/leap.qcow2", sha256: String(repeating: "ab", count: 32)))
        #expect(machine.memory.bytes == 2 << 30)
        #expect(machine.cpus == 4)
        #expect(machine.ports == [PortForward(host: 8080, guest: 80), PortForward(host: 0, guest: 443)])
        #expect(machine.share == "/work/project")
        #expect(machine.ssh.user == "hangar")
        let tiny = try project.machine(named: "tiny")
        #expect(tiny.kernel == .file("/work/project/vmlinuz"))
        #expect(tiny.ssh == SSHSpec(user: "root", identity: "/work/project/id_ed25519"))
        #expect(tiny.accel == .tcg)
        #expect(tiny.bootTimeout == .seconds(30))
        let test = try project.job(named: "test")
        #expect(test.timeout == .seconds(1800))
        #expect(test.tasks.map(\.handler) == ["run", "collect"])
        #expect(test.tasks[0].title == "run: make check")
        #expect(test.tasks[1].timeout == .seconds(60))
        #expect(try project.job(named: "nightly").machine == "tiny")
    }

    @Test func unknownKeysSayWhereAndSuggest() throws {
        let error = try #require(failure("machines:\n  default:\n    image: ./a.qcow2\n    memroy: 2G\n"))
        #expect(error.description.hasPrefix("hangar.yml:4:5: unknown key 'memroy' (did you mean 'memory'?)"))
    }

    @Test func syntaxErrorsSayWhere() throws {
        let error = try #require(failure("machines:\n  default:\n    image: [unclosed\n"))
        #expect(error.location?.hasPrefix("hangar.yml:") == true)
        #expect(error.code == .configSyntax)
    }

    @Test(arguments: [
        ("machines:\n  default:\n    image: ./a.qcow2\n    memory: lots\n", "hangar.yml:4:13: 'lots' is not a size"),
        ("machines:\n  default:\n    image: ./a.qcow2\n    ports: [\"80:x\"]\n", "hangar.yml:4:13: '80:x' is not a port forward"),
        ("machines:\n  default:\n    memory: 1G\n", "hangar.yml:3:5: machine 'default' has no 'image:'"),
        (
            "machines:\n  default:\n    image: ./a\njobs:\n  t:\n    tasks:\n      - run: a\n        use: b\n",
            "hangar.yml:7:9: a task needs exactly one"
        ),
        ("machines:\n  default:\n    image: { url: http://x, sha256: abc }\n", "hangar.yml:3:37: sha256 must be 64"),
        ("jobs:\n  t:\n    status: sumary\n    tasks: [{ host: x }]\n", "hangar.yml:3:13: unknown status 'sumary' (did you mean 'summary'?)"),
    ])
    func badValuesSayWhatAndWhere(text: String, message: String) throws {
        let error = try #require(failure(text))
        #expect(error.description.hasPrefix(message), "got: \(error.description)")
        #expect(error.kind == .usage)
    }

    @Test func unknownJobsAndMachinesSuggest() throws {
        let project = try parse("machines:\n  default:\n    image: ./a\njobs:\n  test:\n    tasks: []\n")
        #expect(throws: HangarError.self) { try project.job(named: "tset") }
        do {
            _ = try project.job(named: "tset")
        } catch {
            #expect(error.message.contains("did you mean 'test'?"))
        }
    }
}

extension ProjectFileTests {
    @Test func notifyTellsFailuresAndFixesByDefault() throws {
        let project = try parse("notify: { webhook: 'https://chat.example.org/h', email: a@example.org }\njobs: {}\n")
        let spec = try #require(project.notify)
        #expect(spec.when == [.failed, .fixed] && spec.email == ["a@example.org"])
        #expect(spec.tells(.failed, previous: nil) && spec.tells(.failed, previous: .failed))
        #expect(spec.tells(.passed, previous: .failed))
        #expect(!spec.tells(.passed, previous: .passed) && !spec.tells(.passed, previous: nil))
        let changes = NotifySpec(when: [.changed], webhook: "https://x")
        #expect(changes.tells(.passed, previous: .failed) && changes.tells(.failed, previous: .passed))
        #expect(!changes.tells(.failed, previous: .failed) && !changes.tells(.failed, previous: nil))
        #expect(NotifySpec(when: [.ended]).tells(.passed, previous: .passed))
    }

    @Test func aBadNotifySaysWhatAndWhere() {
        #expect(failure("notify: { when: [failed, fixd], webhook: 'https://x' }\n")?.description.contains("did you mean 'fixed'") == true)
        #expect(failure("notify: { webhook: 'chat.example.org' }\n")?.description.contains("hangar.yml:1:20") == true)
        #expect(failure("notify: { email: [not-an-address] }\n")?.description.contains("is not an e-mail address") == true)
        #expect(failure("notify: { when: [failed] }\n")?.description.contains("needs 'webhook:' or 'email:'") == true)
    }
}

extension ProjectFileTests {
    @Test func aSnapshotIsNotTakenOfAMachineWithASharedFolder() throws {
        #expect(try parse("machines:\n  default: { image: ./d.qcow2, snapshot: true }\n").machines.first?.snapshot == true)
        let error = failure("machines:\n  default: { image: ./d.qcow2, snapshot: true, share: . }\n")
        #expect(error?.description.contains("cannot have 'snapshot: true'") == true)
    }

    @Test func aFreshSnapshotGivesEachCloneItsOwnIdentity() throws {
        let fresh = try #require(try parse("machines:\n  default: { image: ./d.qcow2, snapshot: fresh }\n").machines.first)
        #expect(fresh.snapshot && fresh.freshIdentity)
        let plain = try #require(try parse("machines:\n  default: { image: ./d.qcow2, snapshot: true }\n").machines.first)
        #expect(plain.snapshot && !plain.freshIdentity)
        let error = failure("machines:\n  default:\n    image: ./d.qcow2\n    snapshot: new\n")
        #expect(error?.description.hasPrefix("hangar.yml:4:15: expected true, false or fresh, got 'new'") == true, "\(String(describing: error))")
    }

    @Test func aPoolIsRestoredFromTheSnapshot() throws {
        #expect(try parse("machines:\n  default: { image: ./d.qcow2, snapshot: true, pool: 2 }\n").machines.first?.pool == 2)
        let error = failure("machines:\n  default:\n    image: ./d.qcow2\n    pool: 2\n")
        #expect(error?.description.hasPrefix("hangar.yml:4:11: 'pool: 2' needs 'snapshot: true'") == true, "\(String(describing: error))")
        #expect(
            failure("machines:\n  default: { image: ./d.qcow2, snapshot: true, pool: -1 }\n")?.description.contains("pool must be 0 or more") == true
        )
    }

    @Test func prepareTasksAreParsedInOrder() throws {
        let project = try parse(
            "machines:\n  default: { image: ./d.qcow2 }\njobs:\n  j:\n    prepare:\n      - run: a\n      - run: b\n    tasks: []\n"
        )
        #expect(project.jobs.first?.prepare.map(\.title) == ["run: a", "run: b"])
        #expect(project.jobs.first?.preparation.contains("a") == true)
    }
}
