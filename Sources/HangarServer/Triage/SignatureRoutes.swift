import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// `/api/v1/signatures`: list, add or replace, remove.
struct SignatureRoutes {
    let triage: Triage
    let table: RouteTable

    var store: RunStore { triage.store }

    func add(to router: Router<ServerContext>) {
        router.on(Contract.signatures, table: table) { _, _, _ -> [API.SignatureInfo] in try await list() }
        router.on(Contract.saveSignature, table: table) { _, _, inputs -> API.SignatureSaved in
            let name: String = try inputs.required(Contract.signatureName.name)
            guard let body = try inputs.body(as: API.SignatureRequest.self) else { throw HTTPError(.badRequest, message: "this needs a JSON body") }
            let signature = body.signature(named: name)
            do {
                try signature.validate()
            } catch {
                throw HTTPError(.badRequest, message: "\(error)")
            }
            try await refuseFile(name)
            try await store.saveSignature(signature, source: "api")
            let runs = try await triage.reclassify(name)
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
