import HangarCore
import HangarStore
import Synchronization

/// Turns run events into log lines and task records and writes them to the store in order, as
/// the run's holder, batching what arrives while a write is under way (a chatty command costs one
/// statement per batch). A write that fails is retried (`retrying`); one that still fails, or is
/// refused because the run is no longer this holder's, stops the writer, and `flush()` reports it
/// so the run ends `error` rather than with a log that silently lost lines.
final class LogWriter: Sendable {
    private enum Record {
        case line(String)
        case taskStarted(Int, String)
        case taskFinished(Int, RunStatus, String?)
    }

    private struct State {
        var records: [Record] = []
        var closed = false
        var failure: HangarError?
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared = Shared()
    private let signal: AsyncStream<Void>.Continuation
    private let done: Task<Void, Never>

    init(store: RunStore, run: Int, holder: RunHolder) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        signal = continuation
        done = Task { [shared] in
            var count = 0
            for await _ in stream {
                let batch = shared.state.withLock { state in
                    defer { state.records = [] }
                    return state.records
                }
                do {
                    count = try await Self.write(batch, store: store, run: run, holder: holder, count: count)
                } catch {
                    let failure = error as? HangarError ?? HangarError("log.write", "the run's log could not be stored: \(error)")
                    shared.state.withLock { $0.failure = failure }
                    break
                }
                if shared.state.withLock({ $0.closed && $0.records.isEmpty }) { break }
            }
        }
    }

    private static func write(_ batch: [Record], store: RunStore, run: Int, holder: RunHolder, count: Int) async throws -> Int {
        var count = count
        var lines: [String] = []
        // Lines are written before the task record that follows them, so the order stays what happened.
        func flushLines() async throws {
            guard !lines.isEmpty else { return }
            let pending = lines
            let offset = count
            count = try await retrying { try await store.appendLog(run: run, by: holder, offset: offset, lines: pending) }
            lines = []
        }
        for record in batch {
            switch record {
            case .line(let text):
                lines.append(text)
            case .taskStarted(let position, let title):
                try await flushLines()
                try await retrying { try await store.taskStarted(run: run, by: holder, position: position, title: title) }
            case .taskFinished(let position, let status, let error):
                try await flushLines()
                try await retrying { try await store.taskFinished(run: run, by: holder, position: position, status: status, error: error) }
            }
        }
        try await flushLines()
        return count
    }

    func write(_ event: RunEvent) {
        switch event {
        case .taskStarted(let index, let count, let title):
            append([.taskStarted(index, title), .line("==> [\(index + 1)/\(count)] \(title)")])
        case .output(let line, _): append([.line(line)])
        case .notice(let text): append([.line("note: \(text)")])
        case .taskFinished(let index, let title, let status, _, let error):
            append([
                .line("<== \(title): \(status.rawValue)" + (error.map { ": \($0.message)" } ?? "")), .taskFinished(index, status, error?.message),
            ])
        }
    }

    private func append(_ records: [Record]) {
        let accepted = shared.state.withLock { state in
            guard state.failure == nil else { return false }
            state.records += records
            return true
        }
        if accepted { signal.yield() }
    }

    /// Waits until everything written is stored; the failure that stopped the writer, if any.
    func flush() async -> HangarError? {
        shared.state.withLock { $0.closed = true }
        signal.yield()
        await done.value
        return shared.state.withLock { $0.failure }
    }
}
