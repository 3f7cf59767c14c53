import Foundation
import HangarAPI
import HangarCore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HangarServer

/// The run page's log viewer on a long log: a window of it at a time, tasks folded under their
/// headers (a failed one unfolded), ANSI colours, search, and the raw log whole.
@Suite struct LogViewerTests {
    static let project = """
        jobs:
          long:
            tasks:
              - host: printf '\\033[1;31mred alert\\033[0m and <plain>\\n'; seq 1 12000
              - host: echo the second task fails; exit 1
        """

    @Test func aLongLogIsShownAWindowAtATimeWithFoldedTasksColoursAndSearch() async throws {
        try await ServerHarness(extra: ["logs": Self.project]).run { client in
            let run = try await client.waitForEnd(try await client.trigger("long", project: "logs").id)
            #expect(run.state == .failed)
            let raw = String(buffer: try await client.call(.get, "/api/v1/runs/\(run.id)/log").body)
            let total = raw.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            #expect(total > 12_000 && raw.contains("\n12000\n"))

            // The end of the log, where a failure is: its last 5,000 lines, and a way to the earlier ones.
            var page = String(buffer: try await client.call(.get, "/runs/\(run.id)").body)
            #expect(page.contains("lines \(total - 4_999)–\(total) of \(total)"))
            #expect(page.contains(#"href="/runs/\#(run.id)?from=\#(total - 9_999)">earlier</a>"#))
            #expect(page.contains(#"id="L\#(total)""#) && !page.contains(#"id="L\#(total - 5_000)""#))
            #expect(page.contains(#"<details class="task failed" id="task-2" open><summary>"#))
            #expect(page.components(separatedBy: #"class="line""#).count == 5_001)

            // The first window: the passed task folded, its colours rendered and its text escaped.
            page = String(buffer: try await client.call(.get, "/runs/\(run.id)?from=1").body)
            #expect(page.contains(#"<details class="task passed" id="task-1"><summary>"#))
            #expect(page.contains(#"<span class="a-bold a-fg31">red alert</span> and &lt;plain&gt;"#))
            #expect(page.contains(#"href="/runs/\#(run.id)?from=5001">later</a>"#) && page.contains(#"id="L1""#))

            // Search: every line with the text, each linking to the window around it.
            page = String(buffer: try await client.call(.get, "/runs/\(run.id)?q=RED+ALERT").body)
            #expect(page.contains(#"<a class="ln" href="/runs/\#(run.id)?from=2#L2">2</a>"#))
            page = String(buffer: try await client.call(.get, "/runs/\(run.id)?q=no+such+text").body)
            #expect(page.contains("Lines with “no such text”: none"))
        }
    }

    @Test func colourCodesBecomeClassesAndOtherEscapesAreDropped() {
        var state = ANSI.State()
        #expect(ANSI.html("\u{1B}[32mok\u{1B}[0m \u{1B}[2K\u{1B}[38;5;200mpink\u{1B}[39m", &state) == #"<span class="a-fg32">ok</span> pink"#)
        #expect(ANSI.html("\u{1B}[1mbold", &state) == #"<span class="a-bold">bold</span>"#)
        // Carried to the next line until reset.
        #expect(ANSI.html("still", &state) == #"<span class="a-bold">still</span>"#)
    }
}
