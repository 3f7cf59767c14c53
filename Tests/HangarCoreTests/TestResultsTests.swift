import HangarCore
import Testing

/// Results files as real runners write them, and the ways they can be wrong.
@Suite struct TestResultsTests {
    /// What `pytest --junitxml` wrote for a file with a passing, a failing, an erroring and a skipped test.
    static let pytest = """
        <?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.061">\
        <testcase classname="test_demo" name="test_ok" time="0.001" />\
        <testcase classname="test_demo" name="test_math" time="0.002"><failure message="assert 3 == 4">def test_math():
        &gt;       assert 1 + 2 == 4
        E       assert 3 == 4</failure></testcase>\
        <testcase classname="test_demo" name="test_setup" time="0.001"><error message="failed on setup with &quot;fixture 'db' not found&quot;">fixture 'db' not found</error></testcase>\
        <testcase classname="test_demo" name="test_later" time="0.000"><skipped type="pytest.skip" message="not yet">test_demo.py:12: not yet</skipped></testcase>\
        </testsuite></testsuites>
        """

    @Test func pytestJUnitXMLReadsEveryCaseWithItsStatusAndOutput() {
        var results = TestResults()
        results.add(Self.pytest, format: "junit", file: "report.xml")
        #expect(results.problems.isEmpty)
        #expect(results.tests.map(\.name) == ["test_demo.test_ok", "test_demo.test_math", "test_demo.test_setup", "test_demo.test_later"])
        #expect(results.tests.map(\.status) == [.pass, .fail, .error, .skip])
        #expect(results.tests[1].output?.contains("assert 3 == 4") == true)
        #expect(results.tests[1].duration == 0.002)
        // Worst first, as KCIDB orders statuses; file order within one.
        #expect(results.ordered.map(\.status) == [.fail, .error, .pass, .skip])
        #expect(results.count(.fail) == 1 && results.count(.pass) == 1)
    }

    @Test func tapAndPlainListsRead() {
        var results = TestResults()
        results.add(
            "1..4\nok 1 - boots\nnot ok 2 - network\n# ping: no route to host\nok 3 - disk # SKIP no second disk\nnot ok 4 later # TODO\n",
            format: "tap",
            file: "t.tap"
        )
        results.add("ok login\nnot ok logout\n", format: "tap", file: "plain.txt")
        #expect(results.problems.isEmpty)
        #expect(results.tests.map(\.name) == ["boots", "network", "disk", "later", "login", "logout"])
        #expect(results.tests.map(\.status) == [.pass, .fail, .skip, .skip, .pass, .fail])
        #expect(results.tests[1].output == "ping: no route to host")
    }

    @Test func unreadableFilesAreProblemsWithTheirPlaceNotCrashes() {
        var results = TestResults()
        results.add("<testsuite><testcase name=\"a\">\n<failure>\n</testsuite>", format: "junit", file: "broken.xml")
        results.add("<html><body>not a report</body></html>", format: "junit", file: "page.xml")
        results.add("all good!\n", format: "tap", file: "notes.txt")
        #expect(results.tests.isEmpty)
        #expect(results.problems.count == 3)
        #expect(results.problems[0].hasPrefix("broken.xml:3:"), "\(results.problems[0])")
        #expect(results.problems[0].contains("not well-formed XML"))
        #expect(results.problems[1].contains("page.xml:1: not JUnit XML: the root element is <html>"))
        #expect(results.problems[2].contains("notes.txt:1: no 'ok' or 'not ok' line"))
    }

    @Test func aTestIsFlakyWhenItBothPassedAndFailedAndFlipsCountTheChanges() {
        var flakiness = Flakiness()
        for status in [TestStatus.pass, .skip, .fail, .error, .pass, .miss] { flakiness.add(status) }
        #expect(flakiness.outcomes == [true, false, false, true])
        #expect(flakiness.isFlaky && flakiness.flips == 2 && flakiness.failures == 2)
        var steady = Flakiness()
        for status in [TestStatus.fail, .error, .fail] { steady.add(status) }
        #expect(!steady.isFlaky && steady.flips == 0)
    }
}
