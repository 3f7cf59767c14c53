/// A gate pipeline's queue of approved changes as a pure state machine (Zuul's dependent pipeline):
/// each change is tested on top of the target branch and every change ahead of it that is not
/// failing — its speculative merge — so many are tested at once, and the head merges when its jobs
/// passed. No I/O: the caller applies an event, gets what to do (start, cancel, merge, report), and
/// stores the queue with a compare-and-set, as runs are stored.
///
/// - **Nearest non-failing item**: a change whose jobs fail is `failing`; every change behind it
///   that was tested with it is restarted without it (its old runs cancelled). A failing change
///   leaves the queue when it reaches the head — only then is its failure its own: if a change
///   ahead of it fails too, it is restarted without that one instead.
/// - **Window**: at most `window` changes from the head are tested at once; it starts at 20, grows by
///   one per merge, halves when a change leaves failed, and never goes under 3 (Zuul's defaults).
///   `serial` makes a queue that tests only its head (the baseline a benchmark compares with).
///
/// ```
/// queued ──in the window──▶ testing ──passed──▶ passed ──at the head──▶ merging ──merged──▶ (gone)
///                              │  ▲                │                       └──refused──▶ (gone, reported)
///                              ▼  └──restarted (a change it was tested with fails or leaves)
///                           failing ──at the head──▶ (gone, reported)
/// ```
public struct GateQueue: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for the window.
        case queued
        /// Its jobs run on top of `base`.
        case testing
        /// Its jobs passed; it merges when it reaches the head.
        case passed
        /// Its jobs failed on top of `base`; it leaves when it reaches the head, unless restarted.
        case failing
        /// At the head and passed: the merge was asked for.
        case merging
    }

    public struct Item: Sendable, Equatable, Codable {
        /// The change, as the forge names it (`team/app#12`).
        public var change: String
        public var state: State
        /// The changes ahead of it it is tested on top of, head first (empty: the branch alone).
        public var base: [String]
        /// Its testing's number: each (re)start adds one, so a late result of older runs is ignored.
        public var attempt: Int
        /// The head commit that was approved: what is tested and merged.
        public var commit: String
        /// The changes it depends on (`Depends-On:`) that are in this queue: it leaves when one of
        /// them leaves without merging.
        public var dependsOn: [String]

        public init(change: String, state: State = .queued, base: [String] = [], attempt: Int = 0, commit: String = "", dependsOn: [String] = []) {
            self.change = change
            self.state = state
            self.base = base
            self.attempt = attempt
            self.commit = commit
            self.dependsOn = dependsOn
        }

        public init(from decoder: any Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            change = try values.decode(String.self, forKey: .change)
            state = try values.decode(State.self, forKey: .state)
            base = try values.decode([String].self, forKey: .base)
            attempt = try values.decode(Int.self, forKey: .attempt)
            commit = try values.decodeIfPresent(String.self, forKey: .commit) ?? ""
            dependsOn = try values.decodeIfPresent([String].self, forKey: .dependsOn) ?? []
        }
    }

    public enum Event: Sendable, Equatable {
        /// A change was approved at `commit`: it joins the end of the queue, behind the changes in it
        /// that it depends on (`dependsOn`).
        case enqueued(String, commit: String = "", dependsOn: [String] = [])
        /// The jobs of `attempt` of a change ended.
        case passed(String, attempt: Int)
        case failed(String, attempt: Int, reason: String)
        /// The forge merged the head change.
        case merged(String)
        /// The forge would not merge it (a conflict, a refusal): it leaves, reported.
        case mergeRefused(String, reason: String)
        /// It leaves for another reason (a new push, closed): no report.
        case removed(String)
    }

    public enum Action: Sendable, Equatable {
        /// Run the change's jobs on the branch with `base` merged, then the change.
        case test(String, attempt: Int, base: [String])
        /// Stop the runs of that attempt: their result no longer counts.
        case cancel(String, attempt: Int)
        /// Ask the forge to merge the change.
        case merge(String)
        /// Tell the change's author why it left the queue.
        case report(String, String)
    }

    public static let initialWindow = 20
    public static let smallestWindow = 3

    public private(set) var items: [Item] = []
    public private(set) var window: Int
    /// A queue that tests only its head: no speculation.
    public let serial: Bool

    public init(serial: Bool = false) {
        self.serial = serial
        window = serial ? 1 : Self.initialWindow
    }

    /// Why each change that left failed (by change), kept until the change is queued again.
    public private(set) var reasons: [String: String] = [:]

    /// Applies `event`; what to do, in order. An event about a change not in the queue, or about an
    /// old attempt, changes nothing.
    public mutating func apply(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .enqueued(let change, let commit, let dependsOn):
            guard !items.contains(where: { $0.change == change }) else { return [] }
            let queued = Set(items.map(\.change))
            items.append(Item(change: change, commit: commit, dependsOn: dependsOn.filter(queued.contains)))
            reasons[change] = nil
        case .passed(let change, let attempt):
            guard let index = current(change, attempt), items[index].state == .testing else { return [] }
            items[index].state = .passed
        case .failed(let change, let attempt, let reason):
            guard let index = current(change, attempt), items[index].state == .testing else { return [] }
            items[index].state = .failing
            reasons[change] = reason
            actions += restart(behind: change)
        case .merged(let change):
            guard items.first?.change == change, items[0].state == .merging else { return [] }
            items.removeFirst()
            if !serial { window += 1 }
        case .mergeRefused(let change, let reason):
            guard items.first?.change == change, items[0].state == .merging else { return [] }
            items.removeFirst()
            actions.append(.report(change, "the merge was refused: \(reason)"))
            reasons[change] = reason
            shrink()
            actions += restart(behind: change) + dropDependents(of: change)
        case .removed(let change):
            guard let index = items.firstIndex(where: { $0.change == change }) else { return [] }
            if items[index].state == .testing { actions.append(.cancel(change, attempt: items[index].attempt)) }
            items.remove(at: index)
            actions += restart(behind: change) + dropDependents(of: change)
        }
        return actions + advance()
    }

    /// The index of `change` when `attempt` is its current one.
    private func current(_ change: String, _ attempt: Int) -> Int? {
        items.firstIndex { $0.change == change && $0.attempt == attempt }
    }

    /// Restarts every change tested with `change` (it fails or left): without it, on the changes
    /// ahead that are not failing; their old runs are cancelled.
    private mutating func restart(behind change: String) -> [Action] {
        var actions: [Action] = []
        for index in items.indices where items[index].base.contains(change) && items[index].state != .queued {
            if items[index].state == .testing { actions.append(.cancel(items[index].change, attempt: items[index].attempt)) }
            if items[index].state == .failing { reasons[items[index].change] = nil }
            items[index].state = .queued
        }
        return actions
    }

    /// What follows on from the queue's state: the head merges or leaves, and changes in the window
    /// start testing.
    private mutating func advance() -> [Action] {
        var actions: [Action] = []
        while let head = items.first {
            if head.state == .passed {
                items[0].state = .merging
                actions.append(.merge(head.change))
            } else if head.state == .failing {
                items.removeFirst()
                actions.append(.report(head.change, "its jobs failed: \(reasons[head.change] ?? "")"))
                shrink()
                actions += dropDependents(of: head.change)
                continue
            }
            break
        }
        for index in items.indices.prefix(window) where items[index].state == .queued {
            items[index].base = items[..<index].filter { $0.state != .failing }.map(\.change)
            items[index].attempt += 1
            items[index].state = .testing
            actions.append(.test(items[index].change, attempt: items[index].attempt, base: items[index].base))
        }
        return actions
    }

    /// Takes out every change that depends on `change`, which left without merging (and the ones
    /// depending on those), each reported; their runs are cancelled and the changes tested with them restart.
    private mutating func dropDependents(of change: String) -> [Action] {
        var actions: [Action] = []
        while let index = items.firstIndex(where: { $0.dependsOn.contains(change) }) {
            let dependent = items.remove(at: index)
            if dependent.state == .testing { actions.append(.cancel(dependent.change, attempt: dependent.attempt)) }
            actions.append(.report(dependent.change, "it depends on \(change), which left the gate"))
            actions += restart(behind: dependent.change) + dropDependents(of: dependent.change)
        }
        return actions
    }

    private mutating func shrink() {
        if !serial { window = max(Self.smallestWindow, window / 2) }
    }
}
