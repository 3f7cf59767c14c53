public import HangarCore
import HangarMachine

/// `wait`: waits a fixed time, or until a guest command succeeds (polled every second).
public struct Wait: Handler {
    public static let name = "wait"
    public static let summary = "Wait a fixed time, or until a guest command succeeds."
    public static let options = [
        OptionDoc("duration", "duration", default: "0s", "How long to wait; with 'until', the longest to wait."),
        OptionDoc("until", "text", default: "none", "A guest command polled every second until it exits 0."),
    ]

    let duration: Duration
    let until: String?

    public init(options: OptionReader) throws(HangarError) {
        duration = try options["duration"]?.duration() ?? (options["until"] == nil ? .zero : .seconds(300))
        until = try options["until"]?.string()
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        guard let until else {
            try? await Task.sleep(for: duration)
            return
        }
        let guest = GuestSSH(try context.machine())
        let deadline = ContinuousClock.now + duration
        while try await guest.run(until).status != 0 {
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                throw HangarError("wait.timeout", "'\(until)' did not succeed within \(DurationText.format(duration))", kind: .test)
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
