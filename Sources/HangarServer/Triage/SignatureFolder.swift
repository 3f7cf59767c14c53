import Foundation
import HangarCore
import HangarStore
import Logging
import ServiceLifecycle

/// The server's signatures folder (`hangar serve --signatures DIR`), one YAML file per known issue,
/// kept in the store: read at start (a bad file stops the server, naming file:line), then read
/// again whenever a file changes, is added or is removed. A bad file then is logged and the
/// signatures stay as they were; changed signatures classify the recent failed runs again.
struct SignatureFolder: Service {
    let folder: String
    let triage: Triage
    let logger: Logger

    /// Reads the folder into the store; returns its signatures.
    @discardableResult
    static func load(_ folder: String, into store: RunStore) async throws -> [Signature] {
        let signatures = try Signature.loadFolder(folder)
        try await store.replaceFileSignatures(signatures)
        return signatures
    }

    func run() async throws {
        // `serve` read the folder before it started; read it again here for servers started otherwise (tests).
        let stored = try await Self.load(folder, into: triage.store)
        await cancelWhenGracefulShutdown {
            var seen = fingerprint()
            var current = Dictionary(uniqueKeysWithValues: stored.map { ($0.name, $0) })
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                let now = fingerprint()
                guard now != seen else { continue }
                seen = now
                do {
                    let loaded = Dictionary(uniqueKeysWithValues: try await Self.load(folder, into: triage.store).map { ($0.name, $0) })
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
