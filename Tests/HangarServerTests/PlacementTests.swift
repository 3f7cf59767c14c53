import HangarCore
import Testing

@testable import HangarServer

/// What a worker needs to take a run: labels, and the memory of every machine the job boots at once.
@Suite struct PlacementTests {
    static let project = """
        machines:
          db: { kernel: ./k, memory: 1G, requires: [kvm] }
          web: { kernel: ./k, memory: 512M }
          spare: { kernel: ./k, memory: 4G }
        jobs:
          pair: { machines: [db, web], requires: [big], tasks: [{ on: web, run: smoke }] }
          one: { machine: web, tasks: [{ run: smoke }] }
          lint: { tasks: [{ host: make lint }] }
        """

    @Test func aJobOfSeveralMachinesNeedsTheMemoryOfAllOfThem() throws {
        let project = try ProjectFile.parse(Self.project, path: "/p/hangar.yml", displayName: "hangar.yml")
        let pair = RunControl.placement(of: try project.job(named: "pair"), in: project)
        #expect(pair.memory == 1024 + 256 + 512 + 256 && pair.requires == ["big", "kvm"])
        #expect(RunControl.placement(of: try project.job(named: "one"), in: project).memory == 768)
        let lint = RunControl.placement(of: try project.job(named: "lint"), in: project)
        #expect(lint.memory == 0 && lint.requires.isEmpty, "a job of host tasks boots nothing")
    }
}
