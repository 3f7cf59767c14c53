public import HangarCore

/// One route of the server: what it takes, who may call it and what it answers. The server
/// registers its routes from these and checks every request against them; the OpenAPI document
/// is made from them, so the two cannot drift.
public struct Endpoint: Sendable {
    /// The HTTP methods the server uses.
    public enum Method: String, Sendable, CaseIterable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case delete = "DELETE"
    }

    /// Who may call it.
    public enum Access: Sendable, Equatable {
        /// Anyone (probes, the document).
        case open
        /// A forge, proving itself with the project's webhook secret instead of a token.
        case webhook
        /// A token with at least this role (`viewer` reads may be open with `--anonymous-read`).
        case role(Role)
    }

    /// A value in the path, the query or a header.
    public struct Parameter: Sendable {
        public enum Location: String, Sendable {
            case path, query, header
        }

        public var name: String
        public var location: Location
        public var schema: Schema
        public var required: Bool
        public var description: String

        public init(_ name: String, in location: Location, _ schema: Schema, required: Bool? = nil, _ description: String) {
            self.name = name
            self.location = location
            self.schema = schema
            self.required = required ?? (location == .path)
            self.description = description
        }
    }

    /// An answer's content: its media type and, for JSON, its schema.
    public struct Content: Sendable {
        public var mediaType: String
        public var schema: Schema
        /// Other media types the same answer may come as, with the same schema.
        public var alternatives: [String] = []

        public static func json(_ schema: Schema) -> Content { Content(mediaType: "application/json", schema: schema) }
        public static let text = Content(mediaType: "text/plain", schema: .string())
        /// Server-Sent Events, each with its line number as `id` and the line as `data`; the last is `event: end`.
        public static let events = Content(
            mediaType: "text/event-stream",
            schema: .object(
                ["id": .string(pattern: "^[0-9]+$"), "event": .string(choices: ["message", "end"]), "data": .string()],
                required: ["data"]
            )
        )
        public static let bytes = Content(mediaType: "application/octet-stream", schema: .string())
        /// A file: UTF-8 text as `text/plain` (so a browser shows it), anything else as bytes.
        public static let file = Content(mediaType: "application/octet-stream", schema: .string(), alternatives: ["text/plain; charset=utf-8"])
    }

    /// A body its route reads itself, as bytes, streamed: at most `limit` of them, in one of `media`
    /// (a media type and the schema the document shows for it).
    public struct RawBody: Sendable {
        public var limit: Int
        public var media: [String: Schema]

        public init(limit: Int, media: [String: Schema]) {
            self.limit = limit
            self.media = media
        }

        /// Any bytes (`application/octet-stream`): an upload.
        public static func bytes(_ limit: Int) -> RawBody { RawBody(limit: limit, media: ["application/octet-stream": .binary]) }
    }

    /// One answer it may give.
    public struct Response: Sendable {
        public var status: Int
        public var description: String
        public var content: Content?

        public init(_ status: Int, _ description: String, _ content: Content? = nil) {
            self.status = status
            self.description = description
            self.content = content
        }
    }

    /// A stable name (`listRuns`).
    public var id: String
    public var method: Method
    /// OpenAPI style: `/api/v1/runs/{id}`. A parameter named `path` takes the rest of the path, slashes included.
    public var path: String
    public var summary: String
    public var access: Access
    public var parameters: [Parameter]
    /// The JSON body it takes, if any, and whether it may be left out.
    public var body: (schema: Schema, required: Bool)?
    /// Takes the body as bytes, read by its route, instead of JSON.
    public var rawBody: RawBody?
    /// The answers when it succeeds; the error answers are added from the rest of its description.
    public var responses: [Response]

    public init(
        _ id: String,
        _ method: Method,
        _ path: String,
        _ summary: String,
        access: Access,
        parameters: [Parameter] = [],
        body: (schema: Schema, required: Bool)? = nil,
        rawBody: RawBody? = nil,
        responses: [Response]
    ) {
        self.rawBody = rawBody
        self.id = id
        self.method = method
        self.path = path
        self.summary = summary
        self.access = access
        self.parameters = parameters
        self.body = body
        self.responses = responses
    }

    /// Every answer: the successes, then the errors its parameters, body and access can cause.
    public var allResponses: [Response] {
        var all = responses
        let error = Content.json(API.ErrorBody.reference)
        if !parameters.isEmpty || body != nil {
            all.append(Response(400, "A parameter or the body is not what this takes; the message names it.", error))
        }
        if case .role = access {
            all.append(Response(401, "No token, or one that is not valid.", error))
            all.append(Response(403, "The token's role is too low.", error))
        }
        if parameters.contains(where: { $0.location == .path }) { all.append(Response(404, "Nothing by that name or id.", error)) }
        if body != nil { all.append(Response(413, "The body is larger than \(Limits.bodyBytes) bytes.", error)) }
        if let rawBody { all.append(Response(413, "The body is larger than \(rawBody.limit) bytes.", error)) }
        return all.sorted { $0.status < $1.status }
    }
}
