import HangarCore
import HangarEngine
import HangarHandlers
import HangarMachine
import HangarTestSupport
import Synchronization
import Testing

/// A job of several machines, on the fake hypervisor: they boot in one step, each task runs on its
/// machine, every machine joins the private network, and all are destroyed together whatever happens.
@Suite struct MultiMachineRunTests {
    let hypervisor = FakeHypervisor()
    /// Each machine's guest, by name.
    let guests = ["db": ScriptedGuest(), "web": ScriptedGuest()]

    static let project = """
        machines:
          db: { kernel: ./k }
          web: { kernel: ./k }
        jobs:
          test:
            machines: [db, web]
            tasks:
              - { on: db, run: start-db }
              - { run: smoke-test }
              - { on: web, use: machine.destroy }
        """

    func run(_ text: String = Self.project) async throws -> RunResult {
        let project = try ProjectFile.parse(text, path: "/p/hangar.yml", displayName: "hangar.yml")
        hypervisor.image("/p/k", .success(CachedImage(path: "/p/k", sha256: nil, source: .file("/p/k"))))
        let job = try project.job(named: "test")
        var machines = try job.machines.map { JobMachine(spec: try project.machine(named: $0), id: "run-\($0)") }
        let network = PrivateNetwork.plan(machines.map { ($0.spec.name, $0.id) })
        for index in machines.indices { machines[index].spec.network = network[machines[index].spec.name] }
        let context = TaskContext(
            project: project,
            jobMachines: machines,
            machines: hypervisor,
            keepMachine: false,
            offline: true,
            runFolder: "/nonexistent/run",
            guest: { [guests] record in guests[record.name]! },
            emit: { _ in }
        )
        return await JobRunner.run(try JobPlan(job), context: context)
    }

    @Test func theMachinesBootInOneStepAndEachTaskRunsOnItsOwn() async throws {
        let project = try ProjectFile.parse(Self.project, path: "/p/hangar.yml", displayName: "hangar.yml")
        let plan = try JobPlan(try project.job(named: "test"))
        #expect(plan.steps.map(\.title) == ["image.fetch: db, web", "machine.boot: db, web", "run: start-db", "run: smoke-test", "machine.destroy"])
        #expect(plan.steps.map(\.machines) == [["db", "web"], ["db", "web"], ["db"], ["db"], ["web"]])

        let result = try await run()
        #expect(result.status == .passed, "\(String(describing: result.error))")
        #expect(Set(hypervisor.boots.map(\.id)) == ["run-db", "run-web"])
        let db = guests["db"]!.commands
        let web = guests["web"]!.commands
        #expect(db.count == 3 && db[0].contains("ip addr add 10.76.0.1/24") && db[1].hasSuffix("start-db") && db[2].hasSuffix("smoke-test"))
        #expect(web.count == 1 && web[0].contains("ip addr add 10.76.0.2/24") && web[0].contains("10.76.0.1 db # hangar-network"))
        #expect(
            hypervisor.links == ["/fake/run-db/peer-2.sock": "/fake/run-web/net.sock", "/fake/run-web/peer.sock": "/fake/run-db/net-2.sock"],
            "the second machine to arrive wires both ends"
        )
        #expect(hypervisor.runningIDs.isEmpty && Set(hypervisor.destroyedIDs) == ["run-db", "run-web"] && hypervisor.destroyedIDs.first == "run-web")
    }

    @Test func oneMachineThatCannotBootTakesTheOthersWithIt() async throws {
        hypervisor.failNextBoot(HangarError(.machineSilent, "the guest stayed silent"))
        let result = try await run()
        #expect(result.status == .error && result.error?.code == .machineSilent && result.failedTask == 1)
        #expect(hypervisor.boots.count == 2 && hypervisor.runningIDs.isEmpty, "the machine that booted was destroyed")
    }

    @Test func aGuestThatCannotJoinTheNetworkFailsTheBootAndSaysWhy() async throws {
        guests["web"]!.answer("hangar-network", .init(status: 1, stderr: "ip: command not found"))
        let result = try await run()
        #expect(result.status == .error && result.error?.code == .machineNetwork)
        #expect(result.error?.message.contains("machine 'web' could not join the job's private network (status 1): ip: command not found") == true)
        #expect(hypervisor.runningIDs.isEmpty)
    }
}
