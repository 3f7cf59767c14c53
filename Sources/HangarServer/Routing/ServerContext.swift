public import HangarAPI
public import HangarCore
public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore

/// The request context of every route: who is asking (set by `AuthMiddleware`) and the connection.
public struct ServerContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's role: from its token, or `viewer` for anonymous reads when the server allows them.
    public var role: Role?
    /// The name of the caller's token (nil for anonymous readers).
    public var caller: String?
    /// True when the caller showed a valid token (anonymous readers did not).
    public var signedIn = false
    /// The client's connection, closed when it stops reading a stream (`StalledWriteGuard`).
    public let channel: any Channel
    /// The tunnel a WebSocket upgrade of this request opens (`TunnelRoutes`).
    public let webSocket = WebSocketHandlerReference<Self>()

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Request bodies above this get 413 (webhook payloads are the largest expected).
    public var maxUploadSize: Int { Limits.bodyBytes }
}
