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
    }
    var chrome: Chrome
    var rows: [Row]
    var staleDays: Int { SignaturesPage.staleAfter }

    /// A signature that explained no run for this many days is listed as stale.
    static let staleAfter = 21

    init(chrome: Chrome, signatures: [API.SignatureInfo], now: Double) {
        self.chrome = chrome
        rows = signatures.map { info in
            let signature = info.signature
            let scope = [
                ("project", signature.scope.project), ("job", signature.scope.job), ("task", signature.scope.task), ("test", signature.scope.test),
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
                stale: now - since > Double(Self.staleAfter) * 86_400
            )
        }
    }
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
    func addTriagePages(to router: Router<ServerContext>, signatures: SignatureRoutes) {
        router.page(.get, "signatures", table: table) { _, context in
            let now = store.time()
            return try await render(
                "signatures",
                SignaturesPage(chrome: Chrome("Signatures", context), signatures: try await signatures.list(), now: now)
            )
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
