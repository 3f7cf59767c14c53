import Foundation
import HangarCore
import HangarMachine
import HangarStore
import HangarTestSupport
import Testing

/// `--database` values that are wrong, and databases that cannot be used: each a clear error.
@Suite(.timeLimit(.minutes(1))) struct DatabaseLocationTests {
    @Test func filesAndURLsAreRead() throws {
        #expect(try DatabaseLocation(parsing: "/var/lib/hangar.db") == .sqlite(path: "/var/lib/hangar.db"))
        #expect(try DatabaseLocation(parsing: "sqlite:x.db") == .sqlite(path: "x.db"))
        let url = try DatabaseLocation(parsing: "postgresql://ci:s3cret@db.example:5433/hangar?sslmode=require")
        #expect(url == .postgres(.init(host: "db.example", port: 5433, user: "ci", password: "s3cret", database: "hangar", tls: .require)))
        #expect("\(url)" == "PostgreSQL ci@db.example:5433/hangar", "no password in messages")
        let fromEnvironment = try DatabaseLocation(parsing: "postgres://ci@db/hangar", environment: ["PGPASSWORD": "env"])
        #expect(fromEnvironment == .postgres(.init(host: "db", port: 5432, user: "ci", password: "env", database: "hangar", tls: .prefer)))
    }

    @Test(arguments: [
        ("mysql://u@h/d", "'mysql://' is not a database Hangar uses"),
        ("postgres://h/d", "needs a user and a database name"),
        ("postgres://u:secret@h", "needs a user and a database name"),
        ("postgres://u@h/d?sslmode=maybe", "sslmode 'maybe'"),
        ("postgres://u:secret@h:99999/d", "port 99999 is not from 1 to 65535"),
        ("postgres://u:secret@/d", "is not a URL Hangar can read"),
    ])
    func malformedURLsAreRefused(text: String, message: String) {
        #expect { _ = try DatabaseLocation(parsing: text) } throws: { error in
            let error = error as? HangarError
            return error?.kind == .usage && error?.description.contains(message) == true && error?.description.contains("secret") == false
        }
    }

    @Test func anUnreachableServerIsNamed() async throws {
        let port = PortPicker.freePort()
        await #expect { try await RunStore.open(try DatabaseLocation(parsing: "postgres://ci@127.0.0.1:\(port)/hangar")) } throws: { error in
            let error = error as? HangarError
            // In plain words, without the library's type names.
            return error?.code == .databaseUnreachable
                && error?.message == "cannot connect to PostgreSQL at 127.0.0.1:\(port): connection refused (nothing listens there)"
        }
    }

    @Test func aWrongPasswordAndAMissingDatabaseSayWhatToCheck() async throws {
        let url = try await TestPostgres.shared.newDatabase()
        let wrong = url.replacingOccurrences(of: TestPostgres.password, with: "wrong")
        await #expect { try await RunStore.open(try DatabaseLocation(parsing: wrong)) } throws: { error in
            (error as? HangarError)?.code == .databaseAuth && (error as? HangarError)?.hint?.contains("password") == true
        }
        let missing = url.replacingOccurrences(of: "/test_", with: "/nothing_")
        await #expect { try await RunStore.open(try DatabaseLocation(parsing: missing)) } throws: { error in
            (error as? HangarError)?.code == .databaseMissing && (error as? HangarError)?.hint?.contains("createdb") == true
        }
    }

    @Test func aDatabaseFromANewerHangarIsRefused() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-newer-\(UUID().uuidString.prefix(8)).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await RunStore.open(.sqlite(path: path)).close()
        try await Command.check([
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('INSERT INTO schema_migrations VALUES (999)'); c.commit()", path,
        ])
        await #expect { try await RunStore.open(.sqlite(path: path)) } throws: { error in
            (error as? HangarError)?.code == .databaseNewer && (error as? HangarError)?.message.contains("schema 999") == true
        }
    }
}
