public import Foundation
public import HangarCore

/// Where the store keeps its data, as `--database` names it: a file path (SQLite) or a
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]` URL. Without a
/// password in the URL, `PGPASSWORD` is used, so the secret need not be on the command line.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresAddress)

    /// A PostgreSQL server and database.
    public struct PostgresAddress: Sendable, Equatable {
        public enum TLS: String, Sendable { case disable, prefer, require }
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var tls: TLS

        public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLS = .prefer) {
            self.host = host
            self.port = port
            self.user = user
            self.password = password
            self.database = database
            self.tls = tls
        }
    }

    /// Reads `--database`; `environment` supplies `PGPASSWORD`.
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(HangarError) {
        guard let schemeEnd = text.range(of: "://") else {
            self = .sqlite(path: text.hasPrefix("sqlite:") ? String(text.dropFirst("sqlite:".count)) : text)
            return
        }
        let scheme = String(text[..<schemeEnd.lowerBound])
        let form = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or a file path for SQLite"
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw .usage(.databaseScheme, "--database: '\(scheme)://' is not a database Hangar uses", hint: "use \(form)")
        }
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw .usage(.databaseUrl, "--database: '\(Self.hidingPassword(text))' is not a URL Hangar can read", hint: "use \(form)")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard let user = url.user, !user.isEmpty, !database.isEmpty else {
            throw .usage(.databaseUrl, "--database: '\(Self.hidingPassword(text))' needs a user and a database name", hint: "use \(form)")
        }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard let tls = PostgresAddress.TLS(rawValue: mode) else {
            throw .usage(.databaseUrl, "--database: sslmode '\(mode)' is not one Hangar knows", hint: "use sslmode=disable, prefer or require")
        }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw .usage(.databaseUrl, "--database: port \(port) is not from 1 to 65535") }
        self = .postgres(
            PostgresAddress(
                host: host,
                port: port,
                user: user,
                password: url.password ?? environment["PGPASSWORD"],
                database: database,
                tls: tls
            )
        )
    }

    /// Where it is, never with the password: for messages.
    public var description: String {
        switch self {
        case .sqlite(let path): "SQLite \(path)"
        case .postgres(let address): "PostgreSQL \(address.user)@\(address.host):\(address.port)/\(address.database)"
        }
    }

    private static func hidingPassword(_ text: String) -> String {
        text.replacingOccurrences(of: ":[^:@/]*@", with: ":***@", options: .regularExpression)
    }
}
