public import Foundation

/// What a run asks of its machines when it ends (a job's `keep: 4h`, `hangar remote trigger --keep
/// 4h`): to stay up on their worker for `seconds`, whatever the run's outcome (a failure is what
/// one most wants to look at), unless the run was cancelled or its worker lost it. `sshKey` goes
/// into each guest's `authorized_keys`; `owner` is the token that asked (it may extend or destroy
/// them, and so may admins).
public struct KeepRequest: Sendable, Equatable, Codable {
    public var seconds: Double
    public var sshKey: String?
    public var owner: String?

    public init(seconds: Double, sshKey: String? = nil, owner: String? = nil) {
        self.seconds = seconds
        self.sshKey = sshKey
        self.owner = owner
    }

    /// The longest a machine is kept at a time (an extension counts from its moment): a week.
    public static let longest: Double = 7 * 86_400
}

/// Whether a run's kept machines are up.
public enum KeptState: String, Sendable, Codable, CaseIterable {
    /// Up on their worker until `until`.
    case kept
    /// Destroyed, or to be destroyed at the worker's next heartbeat: expired, destroyed by someone,
    /// or gone (their worker no longer has them).
    case destroyed
}

/// What the store knows of one run's kept machines.
public struct KeptRecord: Sendable, Equatable {
    public var state: KeptState
    /// When they were kept (the run's end) and until when (seconds since 1970).
    public var keptAt: Double
    public var until: Double
    /// Why they were destroyed.
    public var reason: String?

    public init(state: KeptState = .kept, keptAt: Double, until: Double, reason: String? = nil) {
        self.state = state
        self.keptAt = keptAt
        self.until = until
        self.reason = reason
    }
}

/// The life of a run's kept machines as a pure state machine, like `RunLifecycle`: each event
/// changes `record` and says what to write (with a notice for the run's log), and the store writes
/// it with a compare-and-set.
///
/// ```
/// kept ──extended──▶ kept
///   └──destroyed by someone | expired | gone──▶ destroyed
/// ```
public struct KeptLifecycle: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        /// Someone moved the end to `until`.
        case extended(until: Double, by: String)
        /// Someone destroyed them before their time.
        case destroyed(by: String)
        /// Their time ran out.
        case expired
        /// Their worker no longer has them (it restarted after their QEMU ended, or QEMU died).
        case gone
    }

    public enum Action: Sendable, Equatable {
        /// Write the record, and add `notice` to the run's log.
        case write(notice: String)
        /// Nothing changes, for this reason.
        case refuse(String)
    }

    /// How long after its run's end a kept machine may be missing from its worker's heartbeats
    /// before it counts as gone: a heartbeat sent before the worker kept it may arrive after the end.
    public static let grace: Double = 30

    public private(set) var record: KeptRecord

    public init(_ record: KeptRecord) { self.record = record }

    public mutating func apply(_ event: Event, at now: Double) -> Action {
        guard record.state == .kept else { return .refuse("the machines were already destroyed (\(record.reason ?? "destroyed"))") }
        switch event {
        case .extended(let until, let who):
            guard until > now else { return .refuse("the new end is in the past") }
            guard until - now <= KeepRequest.longest else { return .refuse("machines are kept for a week at most from now") }
            record.until = until
            return .write(notice: "kept machines extended until \(Self.text(until)) by \(who)")
        case .destroyed(let who): return end("destroyed by \(who)")
        case .expired:
            guard now >= record.until else { return .refuse("kept until \(Self.text(record.until))") }
            return end("their time ran out (kept until \(Self.text(record.until)))")
        case .gone:
            guard now - record.keptAt >= Self.grace else { return .refuse("kept only \(Int(now - record.keptAt)) s ago") }
            return end("their worker no longer has them (their QEMU ended, or the worker restarted without them)")
        }
    }

    private mutating func end(_ why: String) -> Action {
        record.state = .destroyed
        record.reason = why
        return .write(notice: "kept machines destroyed: \(why)")
    }

    /// What a worker's heartbeat means for its kept machines: it lists the runs whose machines it
    /// keeps (`listed`); the store keeps `rows` (the runs kept on it). A listed run the store does
    /// not keep (any more) is destroyed, and so is one whose time ran out (it expires); a run the
    /// store keeps and the worker does not list is gone once past `grace`, or expires first.
    /// `nextCheck`: when to look again though nothing changes (the next expiry or end of a grace).
    public static func reconcile(
        listed: Set<Int>,
        rows: [Int: KeptRecord],
        at now: Double
    ) -> (destroy: Set<Int>, events: [Int: Event], nextCheck: Double?) {
        var destroy = listed.filter { rows[$0]?.state != .kept }
        var events: [Int: Event] = [:]
        var next: Double?
        for (run, row) in rows where row.state == .kept {
            if now >= row.until {
                events[run] = .expired
                if listed.contains(run) { destroy.insert(run) }
            } else if !listed.contains(run), now - row.keptAt >= grace {
                events[run] = .gone
            } else {
                let due = listed.contains(run) ? row.until : min(row.until, row.keptAt + grace)
                next = min(next ?? due, due)
            }
        }
        return (destroy, events, next)
    }

    /// A time as people read it in a log: `2026-12-07 14:05:00 UTC`.
    public static func text(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}

/// A tunnel to a kept machine: `ordered` until the machine's worker takes the order (with its next
/// heartbeat) or the coordinator connects itself (the embedded worker's machines), `open` while
/// bytes flow, `closed` for good.
public enum TunnelState: String, Sendable, Codable, CaseIterable {
    case ordered, open, closed

    /// What a tunnel in this state becomes when it is handed over or opened (nil: refused, it is
    /// not waiting), and when it closes (nil: it was closed before).
    public var opened: TunnelState? { self == .ordered ? .open : nil }
    public var closed: TunnelState? { self == .closed ? nil : .closed }
}
