import Foundation

/// Where a broker is and who logs in: `amqp://USER:PASSWORD@HOST[:PORT][/VHOST]` or `amqps://…`
/// (TLS; port 5671 unless given, else 5672). The virtual host is the path, percent-decoded
/// (`/%2F` is `/`); without a path it is `/`. User and password default to `guest`.
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String

    public init(tls: Bool = false, host: String, port: Int? = nil, user: String = "guest", password: String = "guest", virtualHost: String = "/") {
        self.tls = tls
        self.host = host
        self.port = port ?? (tls ? 5671 : 5672)
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
    }

    /// Parses `text`; the error says what is wrong with it.
    public init(parsing text: String) throws(AMQPError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["amqp", "amqps"].contains(scheme) else {
            throw AMQPError(.badURL, "'\(Self.hidingPassword(text))' is not an AMQP URL: use amqp://USER:PASSWORD@HOST[:PORT][/VHOST] or amqps://…")
        }
        guard let host = components.host, !host.isEmpty else { throw AMQPError(.badURL, "'\(Self.hidingPassword(text))' names no host") }
        if let port = components.port, !(1...65535).contains(port) { throw AMQPError(.badURL, "port \(port) is not a port: use 1 to 65535") }
        let path = components.percentEncodedPath
        let vhost = path.isEmpty || path == "/" ? "/" : (String(path.dropFirst()).removingPercentEncoding ?? String(path.dropFirst()))
        self.init(
            tls: scheme == "amqps",
            host: host,
            port: components.port,
            user: components.user ?? "guest",
            password: components.password ?? "guest",
            virtualHost: vhost
        )
    }

    /// The URL without its password, for messages and logs.
    public var description: String {
        let vhost = virtualHost == "/" ? "" : "/" + (virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? virtualHost)
        return "\(tls ? "amqps" : "amqp")://\(user)@\(host):\(port)\(vhost)"
    }

    /// `text` with a password in it replaced by `***`.
    static func hidingPassword(_ text: String) -> String {
        text.replacingOccurrences(of: #"(//[^:/@]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
    }
}
