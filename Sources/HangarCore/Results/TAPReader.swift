import Foundation

/// Reads TAP (`ok 1 - name`, `not ok 2 - name # SKIP why`, `# diagnostics` after a failure) and the
/// plain lists many scripts print (`ok name`, `not ok name`). Lines that are neither are ignored,
/// as TAP says; a file with no test line at all is an error.
enum TAPReader {
    static func read(_ text: String, file: String) throws(HangarError) -> [TestCase] {
        var tests: [TestCase] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map({ String($0) }) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#"), let last = tests.indices.last, tests[last].status.isFailing {
                // Diagnostics belong to the failure before them.
                let note = String(trimmed.dropFirst()).trimmingCharacters(in: .whitespaces)
                tests[last].output = [tests[last].output, note].compactMap { $0 }.joined(separator: "\n")
                continue
            }
            let failed = trimmed.hasPrefix("not ok")
            guard failed || trimmed.hasPrefix("ok") else { continue }
            var rest = Substring(trimmed.dropFirst(failed ? 6 : 2))
            guard rest.isEmpty || rest.first == " " else { continue }
            rest = rest.drop { $0 == " " }
            rest = rest.drop { $0.isNumber }.drop { $0 == " " }
            if rest.hasPrefix("-") { rest = rest.dropFirst().drop { $0 == " " } }
            var name = String(rest)
            var status: TestStatus = failed ? .fail : .pass
            if let hash = name.range(of: " # ") ?? name.range(of: "# ") {
                let directive = name[hash.upperBound...].uppercased()
                if directive.hasPrefix("SKIP") { status = .skip }
                // A TODO test that fails is expected to fail: it does not make the run red.
                if directive.hasPrefix("TODO"), failed { status = .skip }
                name = String(name[..<hash.lowerBound])
            }
            tests.append(TestCase(name: name.isEmpty ? "test \(tests.count + 1)" : name, status: status, file: file))
        }
        guard !tests.isEmpty else {
            throw HangarError(
                .resultsEmpty,
                "\(file):1: no 'ok' or 'not ok' line: not TAP",
                hint: "collect it with 'format: junit' if it is JUnit XML"
            )
        }
        return tests
    }
}
