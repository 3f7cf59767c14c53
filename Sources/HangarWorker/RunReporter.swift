import Foundation
public import HangarAPI
public import HangarCore
public import Logging
import Synchronization

/// Reports one attempt to the coordinator: run events become journal records (log lines batched
/// while a delivery is under way, a chatty command costs one request per batch), and one task
/// delivers them in order, retrying while the coordinator does not answer. A refusal (the attempt
/// is no longer this worker's) stops it for good: nothing more is sent for that attempt.
public final class RunReporter: Sendable {
    /// How the reporting ended.
    public enum Ending: Sendable, Equatable {
        /// Everything, the result last, was delivered; the run as it ended.
        case delivered(API.Run)
        /// The coordinator refused: the attempt is not this worker's (any more).
        case lost(String)
        /// Stopped before everything was delivered (the journal keeps the rest).
        case stopped
    }

    private struct State {
        var pending: [Journal.Record] = []
        var lines: [String] = []
        var closed = false
        var ending: Ending?
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    public let journal: Journal
    private let shared = Shared()
    private let signal: AsyncStream<Void>.Continuation
    private let done: Task<Ending, Never>

    /// Starts delivering `journal`'s records (those already there first: after a restart).
    public init(journal: Journal, coordinator: any Coordinator, worker: String, clock: any Clock<Duration> = ContinuousClock(), logger: Logger) {
        self.journal = journal
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        signal = continuation
        done = Task { [shared] in
            var backoff = Backoff(first: .milliseconds(100))
            var iterator = stream.makeAsyncIterator()
            while true {
                let (batch, closed) = shared.state.withLock { state in
                    defer {
                        state.pending = []
                        state.lines = []
                    }
                    // Pending records already hold the lines written before them; the rest come last.
                    return (state.pending + Journal.Record.lines(chunking: state.lines), state.closed)
                }
                do {
                    try journal.append(batch)
                    if let ended = try await Self.deliver(journal, coordinator: coordinator, worker: worker) {
                        return .delivered(ended)
                    }
                    backoff.reset()
                } catch let error as HangarError where error.isStale {
                    return .lost(error.message)
                } catch {
                    if Task.isCancelled { return .stopped }
                    logger.warning("cannot report run \(journal.run.id) to the coordinator; retrying", metadata: ["error": "\(error)"])
                    await backoff.wait(on: clock)
                    continue
                }
                if Task.isCancelled { return .stopped }
                if closed, shared.state.withLock({ $0.pending.isEmpty && $0.lines.isEmpty }) {
                    // Closed without a result (the run was lost): everything else is delivered.
                    return .stopped
                }
                if await iterator.next() == nil { return .stopped }
            }
        }
    }

    /// Delivers the records not yet delivered, log lines and task events together in one report;
    /// the run as it ended once the result is delivered.
    static func deliver(_ journal: Journal, coordinator: any Coordinator, worker: String) async throws -> API.Run? {
        let records = journal.records()
        var delivered = journal.delivered
        var offset = records.prefix(delivered).reduce(0) { count, record in
            if case .lines(let lines) = record { return count + lines.count }
            return count
        }
        while delivered < records.count {
            switch records[delivered] {
            case .lines, .task:
                // As many records as one report takes; each record is already small (`lines(chunking:)`).
                var batch: [API.Report.Record] = []
                var lines = 0
                var bytes = 0
                var end = delivered
                loop: while end < records.count, batch.count < API.Report.maxRecords, bytes < API.Report.maxBytes {
                    switch records[end] {
                    case .lines(let text):
                        batch.append(.lines(text))
                        lines += text.count
                        bytes += text.reduce(0) { $0 + $1.utf8.count + 4 }
                    case .task(let event):
                        batch.append(.task(event))
                    default:
                        break loop
                    }
                    end += 1
                }
                do {
                    _ = try await coordinator.report(journal.run, worker: worker, API.Report(offset: offset, records: batch))
                } catch let error as HangarError where error.code == .logGap {
                    // The coordinator has fewer lines than were delivered (its database was restored):
                    // everything is sent again from the start, and it keeps what it lacks.
                    try journal.markDelivered(0)
                    return try await deliver(journal, coordinator: coordinator, worker: worker)
                }
                offset += lines
                delivered = end
            case .artifacts(let folder):
                let files = (try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []
                for name in files.sorted() {
                    var isFolder: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: "\(folder)/\(name)", isDirectory: &isFolder), !isFolder.boolValue else { continue }
                    try await coordinator.upload(journal.run, worker: worker, artifact: name, file: "\(folder)/\(name)")
                }
                delivered += 1
            case .finish(let outcome):
                let run = try await coordinator.finish(journal.run, worker: worker, outcome)
                try journal.markDelivered(delivered + 1)
                return run
            }
        }
        // Noted once a pass: a crash before it makes this pass go again, which is harmless.
        try journal.markDelivered(delivered)
        return nil
    }

    /// Takes one event of the run.
    public func write(_ event: RunEvent) {
        shared.state.withLock { state in
            if case .taskStarted(let index, _, let title) = event {
                flushLines(&state)
                state.pending.append(.task(API.TaskEvent(position: index, title: title, status: nil, error: nil)))
            }
            state.lines.append(event.logLine)
            if case .taskFinished(let index, let title, let status, _, let error) = event {
                flushLines(&state)
                state.pending.append(.task(API.TaskEvent(position: index, title: title, status: status, error: error?.message, code: error?.code)))
            }
        }
        signal.yield()
    }

    /// Moves the lines gathered so far into the pending records, before a record that follows them.
    private func flushLines(_ state: inout State) {
        state.pending += Journal.Record.lines(chunking: state.lines)
        state.lines = []
    }

    /// Adds the collected files and the result, and waits until all is delivered (or refused).
    public func finish(_ outcome: API.Outcome, artifacts folder: String?) async -> Ending {
        shared.state.withLock { state in
            flushLines(&state)
            if let folder { state.pending.append(.artifacts(folder: folder)) }
            state.pending.append(.finish(outcome))
            state.closed = true
        }
        signal.yield()
        return await done.value
    }

    /// Stops delivering (the run was lost, or the worker is stopping); waits for the delivery task.
    public func stop() async -> Ending {
        shared.state.withLock { $0.closed = true }
        signal.finish()
        done.cancel()
        return await done.value
    }
}
