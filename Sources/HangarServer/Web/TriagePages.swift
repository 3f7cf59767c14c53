import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// The triage pages: the signatures with their health, and the failed runs no signature explains.
struct SignaturesPage {
    struct Row {
        var name: String
        var kind: String
        var pattern: String
        var scope: String
        var issue: String?
        var source: String
        var hits: Int
        var lastHit: Moment?
        /// No hit for `staleDays` days (or never, once that old).
        var stale: Bool
        /// Runs it explained on each of the last `chartDays` days, oldest first, as bars.
        var chart: [Bar]
    }
    struct Bar {
        var count: Int
        /// Its height in pixels (the day with most hits is 20).
        var height: Int
        var day: String
    }
    /// What the add form holds: empty, or what was last sent with it.
    struct Draft {
        var name = ""
        var pattern = ""
        var issue = ""
        var project = ""
        var job = ""
        var kinds: [HistoryPage.Option] = Signature.Kind.allCases.map { HistoryPage.Option(name: $0.rawValue, selected: $0 == .knownBug) }
    }
    /// A dry run's outcome, shown above the form.
    struct Trial {
        var failed: Int
        var checkedFailed: Int
        var passed: Int
        var checkedPassed: Int
        var runs: [Int]
        /// It matches passing runs: saving asks to confirm.
        var warn: Bool
    }
    var chrome: Chrome
    var rows: [Row]
    /// The signatures folder's wrong files (`hasProblems` shows their box).
    var problems: [API.SignatureProblem]
    var hasProblems: Bool
    var staleDays: Int
    /// Days shown in each signature's hit chart.
    var chartDays: Int
    var draft = Draft()
    var trial: Trial?
    var error: String?

    /// A signature that explained no run for this many days is listed as stale.
    static let staleAfter = 21

    init(chrome: Chrome, signatures: API.Signatures, perDay: [String: [Int]], chartDays: Int, now: Double) {
        self.chrome = chrome
        problems = signatures.problems
        hasProblems = !signatures.problems.isEmpty
        staleDays = Self.staleAfter
        self.chartDays = chartDays
        let today = (now / 86_400).rounded(.down) * 86_400
        rows = signatures.signatures.map { info in
            let signature = info.signature
            let scope = [
                ("project", signature.scope.project), ("job", signature.scope.job), ("task", signature.scope.task), ("test", signature.scope.test),
                ("image", signature.scope.image),
            ]
            .compactMap { name, glob in glob.map { "\(name): \($0)" } }.joined(separator: ", ")
            let since = info.lastHit ?? info.updatedAt
            return Row(
                name: signature.name,
                kind: signature.kind.rawValue,
                pattern: signature.pattern,
                scope: scope.isEmpty ? "everywhere" : scope,
                issue: signature.issue,
                source: info.source,
                hits: info.hits,
                lastHit: Moment(info.lastHit, now: now),
                stale: now - since > Double(Self.staleAfter) * 86_400,
                chart: Self.bars(perDay[signature.name] ?? Array(repeating: 0, count: chartDays), today: today)
            )
        }
    }
}

extension SignaturesPage {
    static func bars(_ counts: [Int], today: Double) -> [Bar] {
        let most = max(1, counts.max() ?? 1)
        return counts.enumerated().map { index, count in
            let day = Moment.formatted(today - Double(counts.count - 1 - index) * 86_400, "yyyy-MM-dd")
            return Bar(count: count, height: count == 0 ? 1 : max(3, count * 20 / most), day: day)
        }
    }
}

struct FlakyPage {
    var chrome: Chrome
    var tests: [API.FlakyTest]
}

struct UnclassifiedPage {
    struct Day {
        var day: String
        var failed: Int
        var classified: Int
        var rate: String
    }
    var chrome: Chrome
    var days: [Day]
    var list: RunList
}

extension WebUI {
    private func signaturesPage(_ context: ServerContext, _ signatures: SignatureRoutes) async throws -> SignaturesPage {
        let days = 14
        return SignaturesPage(
            chrome: Chrome("Signatures", context),
            signatures: API.Signatures(signatures: try await signatures.list(), problems: signatures.problems.current),
            perDay: try await store.signatureHitsPerDay(days: days),
            chartDays: days,
            now: store.time()
        )
    }

    func addTriagePages(to router: Router<ServerContext>, signatures: SignatureRoutes) {
        router.page(.get, "signatures", table: table) { _, context in
            try await render("signatures", try await signaturesPage(context, signatures))
        }
        // The add form: a dry run, or a save (which asks to confirm a signature that matches passing runs).
        router.page(.post, "signatures", table: table) { request, context in
            let form = try await Self.form(request, context)
            var page = try await signaturesPage(context, signatures)
            let kind = form["kind"].flatMap(Signature.Kind.init(rawValue:)) ?? .knownBug
            page.draft = SignaturesPage.Draft(
                name: form["name"] ?? "",
                pattern: form["pattern"] ?? "",
                issue: form["issue"] ?? "",
                project: form["project"] ?? "",
                job: form["job"] ?? "",
                kinds: Signature.Kind.allCases.map { HistoryPage.Option(name: $0.rawValue, selected: $0 == kind) }
            )
            let draft = page.draft
            let blank = { (text: String) in text.isEmpty ? nil : text }
            let signature = Signature(
                name: draft.name,
                kind: kind,
                pattern: draft.pattern,
                scope: Signature.Scope(project: blank(draft.project), job: blank(draft.job)),
                issue: blank(draft.issue)
            )
            do {
                try signature.validate()
                let trial = try await signatures.triage.dryRun(signature)
                page.trial = SignaturesPage.Trial(
                    failed: trial.failed.count,
                    checkedFailed: trial.checkedFailed,
                    passed: trial.passed.count,
                    checkedPassed: trial.checkedPassed,
                    runs: Array((trial.failed + trial.passed).sorted().reversed().prefix(20)),
                    warn: !trial.passed.isEmpty
                )
                if form["action"] == "save", trial.passed.isEmpty || form["confirm"] == "yes" {
                    _ = try await signatures.save(signature)
                    return Self.redirect("/signatures")
                }
            } catch let error as HangarError {
                page.error = error.description
            } catch let error as HTTPError {
                page.error = error.body ?? "\(error)"
            }
            return try await render("signatures", page)
        }
        router.page(.get, "flaky", table: table) { _, context in
            let tests = try await store.flakyTests(since: store.time() - 14 * 86_400).map(API.FlakyTest.init)
            return try await render("flaky", FlakyPage(chrome: Chrome("Flaky tests", context, refresh: 60), tests: tests))
        }
        router.page(.get, "unclassified", table: table) { _, context in
            let days = try await store.classificationRate(days: 14).map { day in
                UnclassifiedPage.Day(
                    day: day.day,
                    failed: day.failed,
                    classified: day.classified,
                    rate: "\(day.failed == 0 ? 100 : day.classified * 100 / day.failed)%"
                )
            }
            return try await render(
                "unclassified",
                UnclassifiedPage(
                    chrome: Chrome("Unclassified failures", context, refresh: 30),
                    days: days,
                    list: RunList(try await store.unclassifiedRuns(limit: 100), now: store.time())
                )
            )
        }
    }
}
