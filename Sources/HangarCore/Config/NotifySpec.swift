/// Whom a project tells when its runs end (`notify:` in hangar.yml):
///
/// ```yaml
/// notify:
///   when: [failed, fixed]       # ended | failed | fixed | changed | regressed (default: failed, fixed)
///   webhook: https://chat.example.org/hooks/ci     # POSTed a JSON body
///   email: [team@example.org]                       # sent through the server's --smtp
/// ```
public struct NotifySpec: Sendable, Equatable {
    /// Which ends of a run are told.
    public enum When: String, Sendable, CaseIterable {
        /// Every run that passed or ended badly.
        case ended
        /// A run that ended badly (failed, error, timed-out).
        case failed
        /// A run that passed after the job's previous run ended badly.
        case fixed
        /// A run whose outcome differs from the job's previous run (passed → failed or failed → passed).
        case changed
        /// A run after which one of the numbers its job measures moved (`ChangePoint`), told apart
        /// from its outcome.
        case regressed
    }

    public var when: Set<When> = [.failed, .fixed]
    public var webhook: String?
    public var email: [String] = []

    public init(when: Set<When> = [.failed, .fixed], webhook: String? = nil, email: [String] = []) {
        self.when = when
        self.webhook = webhook
        self.email = email
    }

    /// A run's outcome, as notifications see it.
    public enum Outcome: String, Sendable {
        case passed, failed

        /// Passed, or ended badly; nil for a run that was cancelled or skipped (nobody is told of those).
        public init?(_ state: RunState) {
            switch state {
            case .passed: self = .passed
            case .failed, .error, .timedOut: self = .failed
            default: return nil
            }
        }
    }

    /// True when a run that ended `outcome`, after a previous run of its job that ended `previous`
    /// (nil: none), is to be told.
    public func tells(_ outcome: Outcome, previous: Outcome?) -> Bool {
        when.contains { rule in
            switch rule {
            case .ended: true
            case .failed: outcome == .failed
            case .fixed: outcome == .passed && previous == .failed
            case .changed: previous != nil && previous != outcome
            case .regressed: false
            }
        }
    }

    static func parse(_ value: YAMLValue) throws(HangarError) -> NotifySpec {
        var spec = NotifySpec()
        for (key, field) in try value.entries(allowed: ["when", "webhook", "email"]) {
            switch key {
            case "when":
                spec.when = []
                for item in try field.strings() {
                    guard let rule = When(rawValue: item) else {
                        throw field.error(
                            "unknown 'when:' value '\(item)'\(Suggestion.phrase(for: item, in: When.allCases.map(\.rawValue)))",
                            hint: "any of: \(When.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    spec.when.insert(rule)
                }
            case "webhook":
                let url = try field.string()
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw field.error("'\(url)' is not an http(s) URL", hint: "such as https://chat.example.org/hooks/ci")
                }
                spec.webhook = url
            default:
                spec.email = try field.strings()
                for address in spec.email where !address.contains("@") || address.contains(where: \.isWhitespace) {
                    throw field.error("'\(address)' is not an e-mail address")
                }
            }
        }
        if spec.webhook == nil && spec.email.isEmpty { throw value.error("'notify:' needs 'webhook:' or 'email:' (or both)") }
        return spec
    }
}
