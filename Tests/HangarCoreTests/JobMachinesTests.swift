import HangarCore
import Testing

/// Which machines a job boots (`machine:`, `machines:`, its tasks' `on:`), and the private network
/// they share.
@Suite struct JobMachinesTests {
    static let machines = "machines:\n  db: { kernel: ./k }\n  web: { kernel: ./k }\n  cache: { kernel: ./k }\n"

    func job(_ text: String, machines: String = Self.machines) throws(HangarError) -> JobSpec {
        try ProjectFile.parse(machines + "jobs:\n  test:\n" + text, path: "/p/hangar.yml", displayName: "hangar.yml").jobs[0]
    }

    @Test func aJobBootsTheMachinesItListsAndItsTasksRunOnTheFirstUnlessTheySayWhere() throws {
        let job = try job("    machines: [web, db]\n    tasks:\n      - run: a\n      - on: db\n        run: b\n")
        #expect(job.machines == ["web", "db"] && job.machine == "web")
        #expect(job.tasks.map(\.on) == [nil, "db"])
    }

    @Test func withoutAListTheMachinesItsTasksNameInOrder() throws {
        let job = try job(
            "    tasks:\n      - { on: cache, run: a }\n      - { run: b }\n      - { on: db, run: c }\n      - { on: cache, run: d }\n"
        )
        #expect(job.machines == ["cache", "db"])
    }

    @Test func withoutEitherDefaultOrTheFilesOnlyMachine() throws {
        #expect(try job("    tasks: [{ run: a }]\n", machines: "machines:\n  box: { kernel: ./k }\n").machines == ["box"])
        #expect(try job("    tasks: [{ run: a }]\n").machines == ["default"], "several machines and none named default: validation says so")
        #expect(
            try job("    tasks: [{ run: a }]\n", machines: "machines:\n  default: { kernel: ./k }\n  b: { kernel: ./k }\n").machines == ["default"]
        )
    }

    @Test(
        arguments: [
            (
                "    machines: [db, web]\n    tasks:\n      - { on: cahce, run: a }\n",
                "hangar.yml:9:9: this task runs on 'cahce', which job 'test' does not boot", "add 'cahce' to its 'machines:'"
            ),
            (
                "    machine: db\n    machines: [db, web]\n    tasks: []\n",
                "hangar.yml:8:15: give 'machine:' for one machine or 'machines:' for several", nil
            ),
            ("    machines: [db, web, db]\n    tasks: []\n", "hangar.yml:7:25: machine 'db' is listed twice", nil),
            ("    machines: []\n    tasks: []\n", "hangar.yml:7:15: 'machines:' lists no machine", "name the machines"),
            (
                "    tasks:\n      - { on: db, run: a }\n      - { on: web_2, run: b }\n",
                "hangar.yml:7:5: machine 'web_2' cannot be a host name on the job's private network", "letters, digits and '-'"
            ),
        ] as [(String, String, String?)]
    )
    func aMistakeInWhichMachinesSaysWhere(text: String, message: String, hint: String?) {
        #expect { try job(text) } throws: { error in
            let error = error as? HangarError
            return error?.description.hasPrefix(message) == true && (hint.map { error?.hint?.contains($0) == true } ?? true)
                && error?.kind == .usage
        }
    }

    @Test func machinesBootedTogetherCannotForwardOneFixedHostPort() throws {
        let ports = "machines:\n  db: { kernel: ./k, ports: [\"8080:80\"] }\n  web: { kernel: ./k, ports: [\"0:80\", \"8080:8080\"] }\n"
        #expect(try job("    machine: db\n    tasks: []\n", machines: ports).machines == ["db"], "one at a time they may")
        #expect { try job("    machines: [db, web]\n    tasks: []\n", machines: ports) } throws: { error in
            (error as? HangarError)?.description.hasPrefix(
                "hangar.yml:3:30: machines 'db' and 'web' both forward host port 8080, and job 'test' boots them together"
            ) == true
        }
    }

    @Test func theFirstMachineIsTheHubEveryOtherLinksToByAPairOfSockets() throws {
        let nics = PrivateNetwork.plan([("db", "id-db"), ("web", "id-web"), ("cache", "id-cache")])
        let (db, web, cache) = (try #require(nics["db"]), try #require(nics["web"]), try #require(nics["cache"]))
        #expect(db.hub && !web.hub && !cache.hub)
        #expect([db.address, web.address, cache.address] == ["10.76.0.1", "10.76.0.2", "10.76.0.3"])
        #expect(cache.mac == "52:54:00:76:00:03")
        #expect(web.links == [PrivateNIC.Link(local: "net.sock", remote: "peer.sock", peer: "db", peerSocket: "net-2.sock")])
        #expect(db.links.map(\.local) == ["net-2.sock", "net-3.sock"])
        #expect(db.links.map(\.peer) == ["web", "cache"] && db.links.map(\.peerSocket) == ["net.sock", "net.sock"])
        #expect(web.peers == ["id-db", "id-cache"])
        #expect(PrivateNetwork.plan([("db", "id-db")]).isEmpty, "one machine needs no network")
    }

    /// Each end sends to a link in its own folder, made once the other end's folder is known
    /// (a pool machine's is its own, not the planned one).
    @Test func theWiresJoinTheMachinesThatAreThere() throws {
        let nics = PrivateNetwork.plan([("db", "a"), ("web", "b"), ("cache", "c")])
        #expect(PrivateNetwork.wiring(nics, folders: ["web": "/s/b"]).isEmpty, "alone, nothing to link")
        let two = PrivateNetwork.wiring(nics, folders: ["web": "/s/b", "db": "/s/pool-db-1"])
        #expect(two.map(\.link) == ["/s/pool-db-1/peer-2.sock", "/s/b/peer.sock"])
        #expect(two.map(\.target) == ["/s/b/net.sock", "/s/pool-db-1/net-2.sock"])
        let all = PrivateNetwork.wiring(nics, folders: ["web": "/s/b", "db": "/s/a", "cache": "/s/c"])
        #expect(all.count == 4 && all.contains { $0 == ("/s/c/peer.sock", "/s/a/net-3.sock") })
    }

    @Test func theHubsQEMUJoinsItsNICAndEveryLinkOnOneHub() throws {
        let nics = PrivateNetwork.plan([("db", "a"), ("web", "b"), ("cache", "c")])
        let hub = try #require(nics["db"]).qemuArguments(folder: "/s/a").joined(separator: " ")
        #expect(
            hub
                == "-netdev hubport,id=private,hubid=0 -device virtio-net-pci,netdev=private,mac=52:54:00:76:00:01"
                + " -netdev dgram,id=link0,local.type=unix,local.path=/s/a/net-2.sock,remote.type=unix,remote.path=/s/a/peer-2.sock"
                + " -netdev hubport,id=port0,hubid=0,netdev=link0"
                + " -netdev dgram,id=link1,local.type=unix,local.path=/s/a/net-3.sock,remote.type=unix,remote.path=/s/a/peer-3.sock"
                + " -netdev hubport,id=port1,hubid=0,netdev=link1"
        )
        #expect(
            try #require(nics["web"]).qemuArguments(folder: "/s/b")
                == [
                    "-netdev", "dgram,id=private,local.type=unix,local.path=/s/b/net.sock,remote.type=unix,remote.path=/s/b/peer.sock",
                    "-device", "virtio-net-pci,netdev=private,mac=52:54:00:76:00:02",
                ]
        )
        let script = try #require(nics["web"]).setupScript
        #expect(script.contains("ip addr add 10.76.0.2/24 dev \"$nic\""))
        #expect(script.contains("10.76.0.1 db # hangar-network\n10.76.0.2 web # hangar-network\n10.76.0.3 cache # hangar-network"))
        #expect(script.contains(#"= 52:54:00:76:00:02 ]"#))
    }
}
