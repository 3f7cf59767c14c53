import Foundation
import HTTPTypes
import HangarAPI
import HangarCore
import Hummingbird

/// A request's parameters and body, read once and checked against its operation's contract: every
/// number parsed and range-checked before any code uses it, every text within its limit. What
/// breaks the contract is refused with a 400 that names it (413 for a body too large).
struct Inputs: Sendable {
    private let texts: [String: String]
    /// The body as it came, once it was checked (webhooks verify their signature over these bytes).
    let rawBody: Data?

    /// The checked inputs of `request` for `operation`.
    init(_ operation: Endpoint, _ request: Request, _ context: ServerContext) async throws {
        texts = try Self.texts(operation.parameters, request, context)
        rawBody = try await Self.body(of: request, for: operation, context)
    }

    /// The checked `parameters` of a request with no body (a web page); a web form's empty field
    /// counts as not given when `emptyMeansAbsent`.
    init(_ parameters: [Endpoint.Parameter], _ request: Request, _ context: ServerContext, emptyMeansAbsent: Bool = false) throws {
        texts = try Self.texts(parameters, request, context, emptyMeansAbsent: emptyMeansAbsent)
        rawBody = nil
    }

    private static func texts(
        _ parameters: [Endpoint.Parameter],
        _ request: Request,
        _ context: ServerContext,
        emptyMeansAbsent: Bool = false
    ) throws -> [String: String] {
        var texts: [String: String] = [:]
        for parameter in parameters {
            let text: String?
            switch parameter.location {
            case .path:
                text = parameter.name == "path" ? context.parameters.getCatchAll().joined(separator: "/") : context.parameters.get(parameter.name)
            case .query:
                text = request.uri.queryParameters.get(parameter.name)
            case .header:
                text = HTTPField.Name(parameter.name).flatMap { request.headers[$0] }
            }
            if emptyMeansAbsent, text?.isEmpty == true { continue }
            let name = "\(parameter.location == .header ? "header" : parameter.location.rawValue + " parameter") '\(parameter.name)'"
            guard let text else {
                if parameter.required { throw HTTPError(.badRequest, message: "\(name) is missing") }
                continue
            }
            if let problem = parameter.schema.problem(withText: text, name: name) { throw HTTPError(.badRequest, message: problem) }
            texts[parameter.name] = text
        }
        return texts
    }

    /// The integer parameter `name`, checked against its range; nil when it was not given.
    func integer(_ name: String) -> Int? { texts[name].flatMap { Int($0) } }

    /// The text parameter `name`, within its limits; nil when it was not given.
    func text(_ name: String) -> String? { texts[name] }

    /// The text parameter `name` that the contract requires (path parameters are).
    func required(_ name: String) throws -> String {
        guard let text = texts[name] else { throw HTTPError(.badRequest, message: "'\(name)' is missing") }
        return text
    }

    /// The checked body as `T`, or nil when the operation allows leaving it out and it was.
    func body<T: Decodable>(as type: T.Type) throws -> T? {
        guard let rawBody else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: rawBody)
        } catch {
            throw HTTPError(.badRequest, message: "the body is not what this takes")
        }
    }

    /// The checked body as `T`, which the operation requires.
    func require<T: Decodable>(_ type: T.Type) throws -> T {
        guard let body = try body(as: T.self) else { throw HTTPError(.badRequest, message: "this needs a JSON body") }
        return body
    }

    /// The body, checked against the operation's schema.
    private static func body(of request: Request, for operation: Endpoint, _ context: ServerContext) async throws -> Data? {
        // A body of bytes (an upload) is read by its route, as a stream.
        guard let expected = operation.body else { return nil }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the body is larger than \(context.maxUploadSize) bytes")
        }
        guard buffer.readableBytes > 0 else {
            if expected.required { throw HTTPError(.badRequest, message: "this needs a JSON body") }
            return nil
        }
        let data = Data(buffer.readableBytesView)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw HTTPError(.badRequest, message: "the body is not JSON")
        }
        if let problem = expected.schema.problem(with: value, at: "") { throw HTTPError(.badRequest, message: problem) }
        return data
    }
}
