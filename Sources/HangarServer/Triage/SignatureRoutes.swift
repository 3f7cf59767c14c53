import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// `/api/v1/signatures`: list, add or replace, remove.
struct SignatureRoutes {
    let triage: Triage
    /// The signatures folder's wrong files.
    let problems: SignatureProblems
    let table: RouteTable

    var store: RunStore { triage.store }

    func add(to router: Router<ServerContext>) {
        router.on(Contract.signatures, table: table) { _, _, _ -> API.Signatures in
            API.Signatures(signatures: try await list(), problems: problems.current)
        }
        router.on(Contract.dryRunSignature, table: table) { _, _, inputs -> API.DryRun in
            let result = try await triage.dryRun(try draft(inputs))
            return API.DryRun(
                matchedFailed: result.failed,
                matchedPassed: result.passed,
                checkedFailed: result.checkedFailed,
                checkedPassed: result.checkedPassed
            )
        }
        router.on(Contract.saveSignature, table: table) { _, _, inputs -> API.SignatureSaved in
            let signature = try draft(inputs)
            let name = signature.name
            let runs = try await save(signature)
            guard let saved = try await list().first(where: { $0.signature.name == name }) else {
                throw HTTPError(.internalServerError, message: "signature '\(name)' was saved but is not there")
            }
            return API.SignatureSaved(signature: saved, matchedRuns: runs)
        }
        router.on(Contract.deleteSignature, table: table) { _, _, inputs -> Response in
            let name: String = try inputs.required(Contract.signatureName.name)
            try await refuseFile(name)
            guard try await store.deleteSignature(named: name) else { throw HTTPError(.notFound, message: "no signature '\(name)'") }
            try await triage.reclassify(name)
            return Response(status: .noContent)
        }
    }

    /// The signature a request names and describes; 400 when it is not usable.
    private func draft(_ inputs: Inputs) throws -> Signature {
        guard let body = try inputs.body(as: API.SignatureRequest.self) else { throw HTTPError(.badRequest, message: "this needs a JSON body") }
        let signature = body.signature(named: try inputs.required(Contract.signatureName.name))
        do {
            try signature.validate()
        } catch {
            throw HTTPError(.badRequest, message: "\(error)")
        }
        return signature
    }

    /// Every signature with its hits.
    func list() async throws -> [API.SignatureInfo] {
        let hits = try await store.signatureHits()
        return try await store.signatures().map { stored in
            API.SignatureInfo(
                signature: stored.signature,
                source: stored.source,
                updatedAt: stored.updatedAt,
                hits: hits[stored.signature.name]?.runs ?? 0,
                lastHit: hits[stored.signature.name]?.last
            )
        }
    }

    /// Saves `signature` (from the API or the UI) and classifies the recent failed runs against it;
    /// returns the runs it matches now. 409 for a signature from the signatures folder.
    func save(_ signature: Signature) async throws -> [Int] {
        try await refuseFile(signature.name)
        try await store.saveSignature(signature, source: "api")
        return try await triage.reclassify(signature.name)
    }

    /// 409 for a signature the signatures folder defines: the file is where it changes.
    private func refuseFile(_ name: String) async throws {
        if try await store.signature(named: name)?.source == "file" {
            throw HTTPError(
                .conflict,
                message: "signature '\(name)' comes from the server's signatures folder: change or remove its file, \(name).yml"
            )
        }
    }
}
