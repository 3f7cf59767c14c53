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
            try? await context.clock.sleep(for: duration)
            return
        }
        let guest = try context.shell()
        // Time is counted on the context's clock: the commands' own time and the pauses between them.
        var waited = Duration.zero
        while true {
            var status: Int32 = 0
            do {
                waited += try await context.clock.measure { status = try await guest.run(until).status }
            } catch {
                throw error as? HangarError ?? HangarError(.waitGuest, "\(error)", cause: error)
            }
            if status == 0 { return }
            guard waited < duration, !Task.isCancelled else {
                throw HangarError(.waitTimeout, "'\(until)' did not succeed within \(DurationText.format(duration))", kind: .test)
            }
            try? await context.clock.sleep(for: .seconds(1))
            waited += .seconds(1)
        }
    }
}
