import HangarAPI
import Testing

@testable import HangarWorker

/// A worker's reports stay within what the coordinator takes, however much a job logs while the
/// coordinator is away: the journal's records are cut to the document's limits.
@Suite struct ReportLimitsTests {
    @Test func manyLinesBecomeRecordsWithinTheLimits() {
        let lines = (0..<1_234).map { "line \($0)" }
        let records = Journal.Record.lines(chunking: lines)
        var rejoined: [String] = []
        for record in records {
            guard case .lines(let chunk) = record else {
                Issue.record("not a lines record")
                continue
            }
            #expect(chunk.count <= API.Report.maxLines)
            rejoined += chunk
        }
        #expect(records.count == 3)
        #expect(rejoined == lines, "nothing lost, nothing reordered")
    }

    @Test func longLinesAreCutAndBigOnesStartNewRecords() {
        let long = String(repeating: "x", count: 200_000)
        let records = Journal.Record.lines(chunking: [long, "short", long], maxBytes: 100_000, maxLineBytes: 65_536)
        // The second cut line would take the first record past 100,000 bytes: it starts another.
        #expect(records.count == 2)
        guard case .lines(let first) = records[0] else { return #expect(Bool(false)) }
        #expect(first.count == 2)
        #expect(first[0].hasSuffix(" [line cut at 65536 bytes]"))
        #expect(first[0].utf8.count == 65_536 + " [line cut at 65536 bytes]".utf8.count)
        #expect(Journal.Record.lines(chunking: []).isEmpty)
    }

    @Test func theDocumentRefusesARecordOfBothKinds() {
        let both: JSONValue = ["offset": 0, "records": [["lines": ["a"], "task": ["position": 0, "title": "t"]]]]
        #expect(API.Report.schema.problem(with: both, at: "") == "'records[0]' must be a record of either 'lines' or a 'task' event")
        let neither: JSONValue = ["offset": 0, "records": [[:]]]
        #expect(API.Report.schema.problem(with: neither, at: "") != nil)
        let fine: JSONValue = ["offset": 0, "records": [["lines": ["a"]], ["task": ["position": 0, "title": "t"]]]]
        #expect(API.Report.schema.problem(with: fine, at: "") == nil)
    }
}
