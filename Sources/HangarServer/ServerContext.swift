public import Hummingbird
public import HangarStore

/// The request context of every route: who is asking (set by `AuthMiddleware`).
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's role: from its token, or `viewer` for anonymous reads when the server allows them.
    public var role: Role?
    /// True when the caller showed a valid token (anonymous readers did not).
    public var signedIn = false

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Request bodies above this get 413 (webhook payloads are the largest expected).
    public var maxUploadSize: Int { 5 * 1024 * 1024 }
}
