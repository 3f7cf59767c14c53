import Foundation
import HangarCore
import HangarStore
import Hummingbird
import NIOCore
import ServiceLifecycle

/// A run's log as Server-Sent Events: each line an event whose `id` is its line number (so a
/// reconnecting browser resumes with `Last-Event-ID`), then `event: end` with the run's final state
/// once the run has ended and every line was sent; then the stream ends. It reads the store every
/// 100 ms, so it follows runs of any replica or worker that writes there. A client that stops
/// reading for `LiveLog.stallLimit` is disconnected; when the server shuts down the stream ends
/// without `end`, and the client resumes elsewhere with `Last-Event-ID`.
enum LiveLog {
    /// How long a write may wait for a client that does not read.
    static let stallLimit: Duration = .seconds(30)

    static func response(
        store: RunStore,
        run id: Int,
        from start: Int,
        channel: any Channel,
        shutdown: ShutdownSignal,
        clock: any Clock<Duration> = ContinuousClock()
    ) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                var next = start
                while !Task.isCancelled {
                    var lines = try await store.log(run: id, from: next, limit: 1000)
                    if lines.isEmpty, let run = try await store.run(id), run.isFinished {
                        // Lines written just before the run ended are read once more after seeing the end.
                        lines = try await store.log(run: id, from: next, limit: 1000)
                        if lines.isEmpty {
                            try await guarding(channel, clock: clock) {
                                try await writer.write(ByteBuffer(string: "event: end\ndata: \(run.state.rawValue)\n\n"))
                            }
                            break
                        }
                    }
                    if lines.isEmpty {
                        try await clock.sleep(for: .milliseconds(100))
                        continue
                    }
                    var chunk = ""
                    for line in lines {
                        chunk += "id: \(next)\ndata: \(line.replacingOccurrences(of: "\r", with: ""))\n\n"
                        next += 1
                    }
                    try await guarding(channel, clock: clock) { try await writer.write(ByteBuffer(string: chunk)) }
                }
                try await writer.finish(nil)
            }
        )
    }

    /// Runs `write`, closing the connection if it has not completed within `stallLimit` (the
    /// client stopped reading), which ends the write with an error.
    static func guarding(_ channel: any Channel, clock: any Clock<Duration>, _ write: () async throws -> Void) async throws {
        let watchdog = Task {
            try await clock.sleep(for: stallLimit)
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        try await write()
    }
}
