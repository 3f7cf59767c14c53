/// Why something with a broker failed: a code a program can act on, and a message people read.
public struct AMQPError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The URL is not one.
        public static let badURL = Code(name: "bad-url")
        /// Nothing answers at the address (or the connection was cut while opening).
        public static let unreachable = Code(name: "unreachable")
        /// The broker refused the user, the password or the virtual host.
        public static let refused = Code(name: "refused")
        /// The broker sent something this client does not understand.
        public static let protocolError = Code(name: "protocol")
        /// The broker (or this client) closed the connection or the channel; `reason` says why.
        public static let closed = Code(name: "closed")
        /// The broker stopped answering: no frame for two heartbeats, or no answer in time.
        public static let timeout = Code(name: "timeout")
    }

    public var code: Code
    public var message: String
    /// The broker's reply code and text, when it closed something.
    public var reason: AMQPCloseReason?

    public init(_ code: Code, _ message: String, reason: AMQPCloseReason? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
    }

    public var description: String { message }
}
