import Foundation
import HangarCore
import HangarMachine

/// The statements a PostgreSQL database was sent, from its cluster's log: `log_statement = all` is
/// set for the database (through psql, as the superuser its URL names), so sessions opened after
/// `enable` are logged, each line prefixed with the database's name.
public struct StatementLog: Sendable {
    /// The database's name.
    public let database: String
    /// The cluster's log file.
    public let file: String

    /// Logs every statement sent to the database at `url` into `file` from now on.
    public static func enable(url: String, log file: String) async throws -> StatementLog {
        let database = String(url.split(separator: "/").last!.prefix { $0 != "?" })
        for sql in ["ALTER SYSTEM SET log_line_prefix = '%d|'", "ALTER DATABASE \(database) SET log_statement = 'all'", "SELECT pg_reload_conf()"] {
            let result = try await Command.run(["psql", url, "-q", "-c", sql])
            guard result.status == 0 else { throw HangarError(.benchSetUp, "psql: \(result.stderr)") }
        }
        return StatementLog(database: database, file: file)
    }

    /// The statements logged since `offset` bytes into the log, and where the log ends now.
    public func statements(after offset: Int) throws -> (all: [String], end: Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let text = String(decoding: data.dropFirst(offset), as: UTF8.self)
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("\(database)|") }.compactMap { line -> String? in
            guard let range = line.range(of: "LOG:  statement: ") ?? line.range(of: "LOG:  execute <unnamed>: ") else { return nil }
            return String(line[range.upperBound...])
        }
        return (lines, data.count)
    }

    /// The kinds of `statements` (numbers and quoted values taken out, cut to 60 characters), each
    /// with how many there were per `unit`, most first.
    public static func kinds(_ statements: [String], per unit: Double) -> String {
        var kinds: [String: Int] = [:]
        for statement in statements {
            kinds[String(statement.replacing(/'[^']*'|\$\d+|\b\d+(\.\d+)?\b/, with: "?").prefix(60)), default: 0] += 1
        }
        return kinds.sorted { $0.value > $1.value }.prefix(24).map { String(format: "  %6.2f  ", Double($0.value) / unit) + $0.key }
            .joined(separator: "\n")
    }
}
