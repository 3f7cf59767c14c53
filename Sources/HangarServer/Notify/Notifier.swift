import Foundation
import HangarAPI
import HangarCore
import HangarEngine
import HangarStore
import Logging

/// Decides, when a run ends, whom its project's `notify:` tells, and queues the messages in the
/// store: a webhook's JSON and an e-mail's text, each with the outcome, the change from the job's
/// previous run, the failed tests and the known issues the failure matched. `NotificationSender`
/// sends them, retrying until they get through; the run is never held up by them.
struct Notifier: Sendable {
    let store: RunStore
    let catalog: ProjectCatalog
    /// The server's address as people reach it, for links.
    let publicURL: String

    /// The webhook's body.
    struct Message: Codable, Equatable {
        /// `run.passed` or `run.failed`.
        var event: String
        /// `demo/test #12 failed (it passed before)`.
        var summary: String
        var url: String
        var run: API.Run
        /// The outcome of the job's previous run (`passed` or `failed`), if any.
        var previous: String?
        var failedTests: [String]
        var knownIssues: [SignatureMatch]
        /// For `run.regressed`: the measurements that moved, `latency moved up (t = 9.3)`.
        var moved: [String]? = nil
    }

    /// Queues what `run`, which just ended, is to tell: its outcome, and (with `when: [regressed]`)
    /// the measurements it moved.
    func runEnded(_ run: StoredRun, matches: [SignatureMatch]) async throws {
        // A shadow run tries a change to hangar.yml: it tells no one.
        guard run.trigger != .shadow, let spec = catalog.entry(run.project)?.workspace?.project.notify, let outcome = NotifySpec.Outcome(run.state)
        else { return }
        let previous = try await store.previousOutcome(project: run.project, job: run.job, before: run.id).flatMap(NotifySpec.Outcome.init)
        if spec.tells(outcome, previous: previous) {
            let message = Message(
                event: "run.\(outcome.rawValue)",
                summary: Self.summary(run, outcome: outcome, previous: previous),
                url: "\(publicURL)/runs/\(run.id)",
                run: API.Run(run),
                previous: previous?.rawValue,
                failedTests: try await store.failedTests(run: run.id),
                knownIssues: matches
            )
            try await queue(message, to: spec, run: run.id)
        }
        guard spec.when.contains(.regressed) else { return }
        let said = try await store.measureSeries(project: run.project, job: run.job).compactMap { series -> String? in
            guard series.cell == (run.cell ?? ""), series.points.last?.run == run.id else { return nil }
            return ChangePoint.move(series.points.map(\.value)).map { "\(series.name) \($0)" }
        }
        guard !said.isEmpty else { return }
        let message = Message(
            event: "run.regressed",
            summary: "\(run.project)/\(run.job) #\(run.id)\(run.cell.map { " (\($0))" } ?? ""): \(said.joined(separator: ", "))",
            url: "\(publicURL)/runs/\(run.id)",
            run: API.Run(run),
            previous: previous?.rawValue,
            failedTests: [],
            knownIssues: [],
            moved: said
        )
        try await queue(message, to: spec, run: run.id)
    }

    /// Queues `message` to `spec`'s webhook and addresses.
    private func queue(_ message: Message, to spec: NotifySpec, run: Int) async throws {
        var messages: [NewNotification] = []
        if let webhook = spec.webhook {
            let body = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
            messages.append(NewNotification(run: run, channel: .webhook, target: webhook, subject: message.summary, body: body))
        }
        for address in spec.email {
            messages.append(
                NewNotification(run: run, channel: .email, target: address, subject: "[hangar] \(message.summary)", body: Self.text(message))
            )
        }
        try await store.queue(messages)
    }

    static func summary(_ run: StoredRun, outcome: NotifySpec.Outcome, previous: NotifySpec.Outcome?) -> String {
        let what = outcome == .passed ? "passed" : run.state.rawValue
        let change =
            switch (previous, outcome) {
            case (.failed, .passed): " (fixed: it failed before)"
            case (.passed, .failed): " (it passed before)"
            default: ""
            }
        return "\(run.project)/\(run.job) #\(run.id) \(what)\(change)"
    }

    /// The e-mail's text.
    static func text(_ message: Message) -> String {
        var lines = ["\(message.summary).", message.url, ""]
        if let reason = message.run.reason, message.event == "run.failed" { lines.append("Why: \(reason)") }
        if !message.failedTests.isEmpty { lines.append("Failed tests: \(message.failedTests.joined(separator: ", "))") }
        for match in message.knownIssues {
            lines.append(
                "Known issue: \(match.kind.rawValue) '\(match.signature)'\(match.issue.map { " \($0)" } ?? "") (line \(match.line + 1): \(match.text))"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
