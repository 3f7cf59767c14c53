import Testing

@testable import HangarServer

/// How pages say durations, without a server.
@Suite struct PageViewsTests {
    @Test func aDurationReadsAsAPersonSaysIt() {
        #expect(RunRow.took(from: 100, to: 100.4, now: 0) == "0.4s", "below ten seconds, to a tenth")
        #expect(RunRow.took(from: 100, to: 112.7, now: 0) == "12s")
        #expect(RunRow.took(from: 100, to: 165, now: 0) == "1m 5s")
        #expect(RunRow.took(from: 100, to: 100 + 7260, now: 0) == "2h 1m")
        #expect(RunRow.took(from: 100, to: nil, now: 112) == "running for 12s")
        #expect(RunRow.took(from: nil, to: nil, now: 112) == "")
    }
}
