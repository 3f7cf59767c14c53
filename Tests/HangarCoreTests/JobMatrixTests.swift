import HangarCore
import Testing

/// `matrix:`: its cells, their names, and each mistake said where it is.
@Suite struct JobMatrixTests {
    func job(_ matrix: String) throws -> JobSpec {
        let yaml =
            "jobs:\n  test:\n    matrix:\n" + matrix.split(separator: "\n").map { "      \($0)\n" }.joined() + "    tasks: [{ host: 'true' }]\n"
        return try ProjectFile.parse(yaml, path: "/p/hangar.yml", displayName: "hangar.yml").jobs[0]
    }

    func mistake(_ matrix: String) -> String {
        do {
            _ = try job(matrix)
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func cellsAreEveryCombinationNamedByTheirValuesLessTheExcludedPlusTheIncluded() throws {
        let spec = try job(
            """
            IMAGE: [https://x.org/leap-15.6.qcow2, https://x.org/debian-12.qcow2, { value: /srv/f41.img, name: fedora-41 }]
            SCENARIO: [default, selinux]
            exclude: [{ IMAGE: debian-12, SCENARIO: selinux }]
            include: [{ IMAGE: tumbleweed.qcow2, SCENARIO: default }]
            """
        )
        let matrix = try #require(spec.matrix)
        #expect(
            matrix.cells.map(\.name) == [
                "leap-15.6/default", "leap-15.6/selinux", "debian-12/default", "fedora-41/default", "fedora-41/selinux",
                "tumbleweed/default",
            ]
        )
        #expect(matrix.cells[3].parameters == ["IMAGE": "/srv/f41.img", "SCENARIO": "default"])
        #expect(spec.parameters.map(\.name) == ["IMAGE", "SCENARIO"], "its parameters are the job's")
        // --param picks cells, by value or by the value's name.
        #expect(matrix.cells(matching: ["IMAGE": "fedora-41"]).map(\.name) == ["fedora-41/default", "fedora-41/selinux"])
        #expect(matrix.cells(matching: ["SCENARIO": "selinux", "IMAGE": "https://x.org/leap-15.6.qcow2"]).map(\.name) == ["leap-15.6/selinux"])
        #expect(matrix.cells(matching: ["OTHER": "x"]).count == 6)
    }

    @Test func mistakesAreSaidWhereTheyAre() {
        #expect(mistake("IMAGE: [a/x.qcow2, b/x.img]").hasPrefix("hangar.yml:4:26: two values of IMAGE are both named 'x'"))
        #expect(mistake("IMAGE: [a, b]\nexclude: [{ IMAGES: a }]").contains("the matrix has no parameter 'IMAGES' (did you mean 'IMAGE'?)"))
        #expect(mistake("IMAGE: [a, b]\nexclude: [{ IMAGE: c }]").contains("IMAGE has no value 'c'"))
        #expect(mistake("IMAGE: [a, b]\nexclude: [{ IMAGE: a }, { IMAGE: b }]").contains("no cells left"))
        #expect(mistake("A: [a]\nB: [b]\ninclude: [{ A: x }]").contains("needs a value for every matrix parameter; it has none for B"))
        #expect(mistake("IMAGE: []").contains("matrix parameter IMAGE has no values"))
        #expect(mistake("image-url: [a]").contains("is not a shell variable name"))
        #expect(mistake("exclude: []").contains("a matrix needs at least one parameter"))
        let many = (0..<5).map { "P\($0): [a, b, c, d]" }.joined(separator: "\n")
        #expect(mistake(many).contains("the matrix has 1024 cells; at most 256"))
    }

    @Test func theWorstOutcomeOfTheCellsIsTheMatrixs() {
        #expect(RunStatus.worst(of: [.passed, .failed, .passed]) == .failed)
        #expect(RunStatus.worst(of: [.failed, .error, .timedOut]) == .error)
        #expect(RunStatus.worst(of: [.skipped, .passed]) == .skipped)
        #expect(RunStatus.worst(of: [.error, .cancelled]) == .cancelled)
        #expect(RunStatus.worst(of: []) == .passed)
    }
}
