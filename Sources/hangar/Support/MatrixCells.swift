import HangarCore

/// Which cells of a job's matrix a command runs.
enum MatrixCells {
    /// The cells to run: one with no parameters for a job without a matrix; else the matrix's cells
    /// with the values `given` names, or the one named `only`.
    static func pick(of job: JobSpec, given: [String: String], only: String?) throws(HangarError) -> [JobMatrix.Cell] {
        guard let matrix = job.matrix else {
            if let only { throw .usage(.jobUnknownCell, "job '\(job.name)' has no matrix, so no cell '\(only)'") }
            return [JobMatrix.Cell(name: "", parameters: [:])]
        }
        let names = matrix.cells.map(\.name)
        var cells = matrix.cells(matching: given)
        if let only { cells = cells.filter { $0.name == only } }
        guard cells.isEmpty else { return cells }
        throw .usage(
            .jobUnknownCell,
            only.map { "job '\(job.name)' has no cell '\($0)'\(Suggestion.phrase(for: $0, in: names))" }
                ?? "no cell of job '\(job.name)' has the values given",
            hint: "its cells: \(names.joined(separator: ", "))"
        )
    }
}
