import Foundation
import HangarAPI
import HangarCore
import Testing

/// The contract and its OpenAPI document, without a server: every reference resolves, names are
/// unique, and the wire types encode to what their schemas allow (and are refused when they do not).
@Suite struct ContractTests {
    /// Every `$ref` in the document, anywhere.
    func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            return (members["$ref"].flatMap { if case .string(let text) = $0 { [text] } else { nil } } ?? [])
                + members.values.flatMap(references)
        case .array(let values): return values.flatMap(references)
        default: return []
        }
    }

    @Test func everyReferenceNamesADocumentedSchema() throws {
        let schemas = try #require(OpenAPI.document.members?["components"]?.members?["schemas"]?.members)
        let named = Set(references(in: OpenAPI.document))
        #expect(named.count > 20)
        for reference in named {
            #expect(reference.hasPrefix("#/components/schemas/"), "\(reference)")
            #expect(schemas[String(reference.dropFirst("#/components/schemas/".count))] != nil, "\(reference) is not documented")
        }
        #expect(Set(Contract.schemas.map { $0.schemaName }).count == Contract.schemas.count, "two schemas share a name")
    }

    @Test func operationsHaveUniqueNamesAndRoutes() {
        let ids = Contract.endpoints.map(\.id)
        #expect(Set(ids).count == ids.count)
        let routes = Contract.endpoints.map { "\($0.method.rawValue) \($0.path)" }
        #expect(Set(routes).count == routes.count)
    }

    /// A value as the server sends it, checked against its schema.
    func problem<T: Documented>(_ value: T) throws -> String? {
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
        return T.schema.problem(with: json, at: "")
    }

    @Test func wireTypesEncodeToWhatTheirSchemasAllow() throws {
        let problem = API.SignatureProblem(
            file: "slab.yml",
            location: "/srv/signatures/slab.yml:2:10",
            message: "a quote is never closed",
            hint: nil,
            lastGoodKept: true
        )
        #expect(try self.problem(API.Signatures(signatures: [], problems: [problem])) == nil)
        let error = API.ErrorBody(message: "this run is held by another worker", code: .runStale)
        #expect(try self.problem(error) == nil)
        #expect(String(decoding: try JSONEncoder().encode(error), as: UTF8.self).contains(#""code":"run.stale""#))
        // And the checks refuse what breaks them, saying where.
        let missing: JSONValue = ["signatures": [], "problems": [["file": "x.yml", "message": "m"]]]
        #expect(API.Signatures.schema.problem(with: missing, at: "") == "'problems[0]' needs 'problems[0].lastGoodKept'")
    }
}
