import HangarCore
import HangarMachine
import HangarTestSupport
import Synchronization
import Testing

/// The warm pool on the fake hypervisor: it fills only once a snapshot is saved, hands out only
/// machines that answer (destroying the others), says a restore it cannot do, and drains to nothing.
@Suite struct WarmPoolLogicTests {
    let hypervisor = FakeHypervisor()
    let folder = "/fake/snapshots/web-0"
    var spec: MachineSpec {
        var spec = MachineSpec(name: "web")
        spec.pool = 2
        return spec
    }

    func ready(_ pool: WarmPool) -> Int { pool.readyCount.withLock { $0 } }

    @Test func fillsOnlyOnceTheSnapshotIsSaved() async throws {
        let pool = WarmPool(machines: hypervisor)
        await pool.refill(spec, from: folder, count: 2)
        await pool.settled()
        #expect(ready(pool) == 0 && hypervisor.runningIDs.isEmpty)
        #expect(await pool.take(spec, from: folder) == nil)
        try await hypervisor.saveSnapshot(of: .scripted(folder: "/m", name: "web"), in: folder)
        await pool.refill(spec, from: folder, count: 2)
        await pool.settled()
        #expect(ready(pool) == 2 && hypervisor.runningIDs.count == 2)
        #expect(hypervisor.notices.filter { $0.hasPrefix("pool: machine pool-web-") && $0.hasSuffix(" is ready") }.count == 2)
        let taken = try #require(await pool.take(spec, from: folder))
        #expect(taken.restoredFrom == folder && taken.name == "web" && ready(pool) == 1)
        await pool.drain()
        #expect(hypervisor.runningIDs == [taken.id] && hypervisor.destroyedIDs.count == 1)
        await pool.refill(spec, from: folder, count: 2)
        await pool.settled()
        #expect(ready(pool) == 0, "a drained pool does not fill again")
    }

    @Test func handsOutOnlyMachinesThatAnswer() async throws {
        let pool = WarmPool(machines: hypervisor)
        try await hypervisor.saveSnapshot(of: .scripted(folder: "/m", name: "web"), in: folder)
        await pool.refill(spec, from: folder, count: 2)
        await pool.settled()
        let silent = hypervisor.runningIDs
        for id in silent { hypervisor.silence(id) }
        #expect(await pool.take(spec, from: folder) == nil)
        #expect(Set(hypervisor.destroyedIDs) == silent && ready(pool) == 0)
        #expect(Set(hypervisor.notices.filter { $0.hasSuffix("failed its health check; destroying it") }).count == 2)
        await pool.refill(spec, from: folder, count: 2)
        await pool.settled()
        let taken = try #require(await pool.take(spec, from: folder))
        #expect(!silent.contains(taken.id) && hypervisor.destroyedIDs.count == 2)
        await pool.drain()
    }

    @Test func saysARestoreItCannotDo() async throws {
        let pool = WarmPool(machines: hypervisor)
        try await hypervisor.saveSnapshot(of: .scripted(folder: "/m", name: "web"), in: folder)
        hypervisor.failRestores(HangarError(.machineRestore, "QEMU did not read the saved state"))
        await pool.refill(spec, from: folder, count: 2)
        await pool.settled()
        #expect(ready(pool) == 0 && hypervisor.runningIDs.isEmpty)
        #expect(hypervisor.notices == ["pool: cannot restore machine 'web' from its snapshot: QEMU did not read the saved state"])
    }

    /// A machine of a job's private network is restored with that network's shape: it goes only
    /// to a run that wants a machine of the same place and links.
    @Test func keepsMachinesOfEachNetworkShapeApart() async throws {
        let pool = WarmPool(machines: hypervisor)
        try await hypervisor.saveSnapshot(of: .scripted(folder: "/m", name: "web"), in: folder)
        var ofTwo = spec
        ofTwo.network = PrivateNetwork.plan([("db", "a"), ("web", "b")])["web"]
        var hubOfThree = spec
        hubOfThree.network = PrivateNetwork.plan([("web", "a"), ("db", "b"), ("cache", "c")])["web"]
        await pool.refill(ofTwo, from: folder, count: 1)
        await pool.settled()
        #expect(ready(pool) == 1)
        #expect(await pool.take(spec, from: folder) == nil, "a machine without the network")
        #expect(await pool.take(hubOfThree, from: folder) == nil, "the hub of three machines")
        #expect(await pool.take(ofTwo, from: folder) != nil)
        await pool.drain()
    }
}
