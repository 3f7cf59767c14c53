import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Logging
import ServiceLifecycle
import Synchronization

/// The server's signatures folder (`hangar serve --signatures DIR`), one YAML file per known issue,
/// kept in the store: read at start (a bad file stops the server, naming each bad file with
/// file:line), then read again whenever a file changes, is added or is removed. A file that is
/// wrong then is listed on the signatures page and in the API until it is fixed, and the
/// signature it defined stays as it last was good; changed signatures classify the recent failed
/// runs again.
struct SignatureFolder: Service {
    let folder: String
    let triage: Triage
    let problems: SignatureProblems
    /// What it waits on between looks at the folder.
    let clock: any Clock<Duration>
    let logger: Logger

    func run() async throws {
        // `serve` read the folder before it started; read it again here for servers started otherwise (tests).
        let before = fingerprint()
        let first = try await read(keeping: [:])
        await cancelWhenGracefulShutdown {
            var current = first
            var seen = before
            while !Task.isCancelled {
                try? await clock.sleep(for: .seconds(2))
                let now = fingerprint()
                guard now != seen else { continue }
                seen = now
                do {
                    let loaded = try await read(keeping: current)
                    let changed = Set(loaded.keys).union(current.keys).filter { loaded[$0] != current[$0] }
                    current = loaded
                    for name in changed.sorted() {
                        let runs = try await triage.reclassify(name)
                        logger.info(
                            "signature changed: recent failed runs classified again",
                            metadata: ["signature": "\(name)", "matches": "\(runs.count)"]
                        )
                    }
                } catch {
                    logger.error("the signatures folder was not read again; the signatures stay as they were", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Reads the folder into the store and notes its wrong files; a wrong file's signature stays as
    /// it is in `current` (its last good version), if it had one. Returns the signatures by name.
    private func read(keeping current: [String: Signature]) async throws -> [String: Signature] {
        let (good, wrong) = try Signature.readFolder(folder)
        var signatures = Dictionary(uniqueKeysWithValues: good.map { ($0.name, $0) })
        for problem in wrong where signatures[problem.signatureName] == nil {
            signatures[problem.signatureName] = current[problem.signatureName]
        }
        try await triage.store.replaceFileSignatures(signatures.values.sorted { $0.name < $1.name })
        let listed = wrong.map { problem in
            API.SignatureProblem(
                file: problem.file,
                location: problem.error.location,
                message: problem.error.message,
                hint: problem.error.hint,
                lastGoodKept: current[problem.signatureName] != nil && !good.contains { $0.name == problem.signatureName }
            )
        }
        for problem in problems.replace(with: listed) {
            logger.error(
                "a signature file is wrong: it is listed on the signatures page until it is fixed",
                metadata: ["file": "\(problem.location ?? problem.file)", "error": "\(problem.message)"]
            )
        }
        return signatures
    }

    /// The folder's files with their sizes and times, to notice a change.
    private func fingerprint() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().map { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(name)")
            let time = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(name) \(attributes?[.size] as? Int ?? -1) \(time)"
        }
    }
}

/// The signatures folder's wrong files as last read, shared by the folder's reader, the API and
/// the signatures page (each replica reads the folder itself).
final class SignatureProblems: Sendable {
    private let list = Mutex<[API.SignatureProblem]>([])

    var current: [API.SignatureProblem] { list.withLock { $0 } }

    /// Keeps `problems`; returns those that are new.
    func replace(with problems: [API.SignatureProblem]) -> [API.SignatureProblem] {
        list.withLock { list in
            let new = problems.filter { !list.contains($0) }
            list = problems
            return new
        }
    }
}
