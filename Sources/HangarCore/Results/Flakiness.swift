/// A test is flaky when it both passed and failed on the same code and image: its results in the
/// runs of one job with the same parameters (which hold the commit, `HANGAR_COMMIT`, and the image's
/// URL when a parameter chooses it). How flaky is how often it flips between passing and failing.
public struct Flakiness: Sendable, Equatable {
    /// Passes and failures in run order (skipped and missing results are left out).
    public private(set) var outcomes: [Bool] = []

    public init() {}

    public mutating func add(_ status: TestStatus) {
        switch status {
        case .pass: outcomes.append(true)
        case .fail, .error: outcomes.append(false)
        case .miss, .skip: break
        }
    }

    /// Changes between passing and failing from one run to the next.
    public var flips: Int { zip(outcomes, outcomes.dropFirst()).filter { $0 != $1 }.count }
    public var isFlaky: Bool { outcomes.contains(true) && outcomes.contains(false) }
    public var failures: Int { outcomes.filter { !$0 }.count }
}
