import HangarCore
import Testing

/// What a bus message starts, decided without a broker: OBS's build and publish events against
/// `obs:` triggers, and any message against `amqp:` triggers.
@Suite struct BusRouterTests {
    let router = BusRouter(prefix: "opensuse.obs")

    func projects() throws -> [(name: String, file: ProjectFile)] {
        let text = """
            machines:
              default:
                image: { obs: { project: "devel:kanku:images", package: JeOS, repository: images_leap, arch: x86_64 } }
            jobs:
              test:
                triggers: [{ obs: default }]
                tasks: [{ run: "true" }]
              early:
                triggers: [{ obs: default, wait-for: build }]
                tasks: [{ run: "true" }]
              kernel:
                parameters: { owner: { default: nobody }, id: { required: true } }
                triggers: [{ amqp: { routing-key: "org.fedoraproject.*.buildsys.#", match: { owner: kernel, new: "1" } } }]
                tasks: [{ host: "true" }]
            """
        return [("demo", try ProjectFile.parse(text, path: "/p/demo/hangar.yml", displayName: "hangar.yml"))]
    }

    func build(_ package: String = "JeOS", project: String = "devel:kanku:images") -> BusMessage {
        BusMessage(
            routingKey: "opensuse.obs.package.build_success",
            fields: ["project": project, "package": package, "repository": "images_leap", "arch": "x86_64", "bcnt": "3"]
        )
    }

    @Test func aBuildQueuesWhatWaitsForTheBuildAndParksWhatWaitsForThePublication() throws {
        let outcome = router.route(build(), projects: try projects())
        #expect(outcome.runs.map(\.job) == ["early"])
        #expect(outcome.runs.first?.parameters["HANGAR_OBS_PACKAGE"] == "JeOS" && outcome.runs.first?.parameters["HANGAR_EVENT"] == "obs")
        #expect(outcome.runs.first?.cause == "OBS build of JeOS in devel:kanku:images (images_leap/x86_64)")
        #expect(outcome.park.map(\.run.job) == ["test"])
        #expect(outcome.park.first?.repository == OBSRepository(project: "devel:kanku:images", repository: "images_leap"))
        let published = router.route(
            BusMessage(routingKey: "opensuse.obs.repo.published", fields: ["project": "devel:kanku:images", "repo": "images_leap"]),
            projects: try projects()
        )
        #expect(published.published == OBSRepository(project: "devel:kanku:images", repository: "images_leap") && published.runs.isEmpty)
    }

    @Test func otherPackagesOtherKeysAndUnreadableBodiesComeToNothingAndSaySo() throws {
        #expect(router.route(build("other"), projects: try projects()).ignored?.contains("no obs: trigger watches other") == true)
        #expect(router.route(build(project: "home:me"), projects: try projects()).ignored != nil)
        #expect(router.route(BusMessage(routingKey: "opensuse.obs.package.build_success", fields: nil), projects: try projects()).invalid != nil)
        #expect(
            router.route(BusMessage(routingKey: "opensuse.obs.package.build_success", fields: ["project": "p"]), projects: try projects()).invalid
                != nil
        )
        #expect(router.route(BusMessage(routingKey: "opensuse.obs.repo.published", fields: ["repo": "r"]), projects: try projects()).invalid != nil)
        #expect(router.route(BusMessage(routingKey: "never.bound", fields: [:]), projects: try projects()).ignored != nil)
    }

    /// The generic form: a routing-key pattern, fields that must match, the job's parameters from the message.
    @Test func aGenericTriggerMatchesItsFieldsAndTakesItsParameters() throws {
        let key = "org.fedoraproject.prod.buildsys.build.state.change"
        let matching = router.route(
            BusMessage(routingKey: key, fields: ["owner": "kernel", "new": "1", "id": "42", "other": "x"]),
            projects: try projects()
        )
        #expect(matching.runs.map(\.job) == ["kernel"])
        #expect(matching.runs.first?.parameters == ["HANGAR_EVENT": "amqp", "HANGAR_ROUTING_KEY": key, "owner": "kernel", "id": "42"])
        #expect(router.route(BusMessage(routingKey: key, fields: ["owner": "kernel", "new": "0"]), projects: try projects()).runs.isEmpty)
        #expect(
            router.routingKeys(try projects()) == [
                "opensuse.obs.package.build_success", "opensuse.obs.repo.published", "org.fedoraproject.*.buildsys.#",
            ]
        )
    }

    @Test(arguments: [
        ("a.b.c", "a.b.c", true), ("a.*.c", "a.b.c", true), ("a.*.c", "a.b.b.c", false), ("a.#", "a", true), ("a.#", "a.b.c", true),
        ("#.c", "a.b.c", true), ("a.#.c", "a.c", true), ("*", "a.b", false), ("a.b", "a.b.c", false),
    ])
    func topicsMatchAsRabbitMQMatchesThem(pattern: String, key: String, matches: Bool) {
        #expect(BusRouter.topic(pattern, matches: key) == matches)
    }

    @Test func anOBSTriggerMustNameAMachineWithAnOBSImage() {
        do {
            _ = try ProjectFile.parse(
                "machines:\n  default: { image: ./disk.qcow2 }\njobs:\n  t:\n    triggers: [{ obs: default }]\n    tasks: []\n",
                path: "/p/hangar.yml",
                displayName: "hangar.yml"
            )
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("machine 'default' has no 'obs:' image") && error.location == "hangar.yml:5:5", "\(error)")
        }
    }
}
