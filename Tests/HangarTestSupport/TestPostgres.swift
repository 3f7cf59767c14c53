import Foundation
import HangarCore
import HangarMachine

/// A throwaway PostgreSQL 15 cluster for the tests (Debian's `postgresql`, which the README's test
/// command installs): `initdb` into a temporary folder as the `postgres` user when the tests run as
/// root (PostgreSQL refuses root), listening on a free loopback port with password authentication.
/// A watchdog stops it and removes its folder when the test process ends, however it ends.
public actor TestPostgres {
    /// One cluster for the whole test process.
    public static let shared = TestPostgres()

    /// The password of the `postgres` user over TCP.
    public static let password = "hangar-test"

    private var starting: Task<(folder: String, port: Int), any Error>?
    private var databases = 0

    /// A cluster of its own (for a test that stops it); most tests use `shared`.
    public init() {}

    /// The cluster's folder and port, starting it the first time (once, however many tests ask at once).
    public func cluster() async throws -> (folder: String, port: Int) {
        if let starting { return try await starting.value }
        let task = Task { try await Self.create() }
        starting = task
        return try await task.value
    }

    private static func create() async throws -> (folder: String, port: Int) {
        let binaries = try Self.binaries()
        let folder = try await Self.asPostgres(["mktemp", "-d", "/tmp/hangar-pg-XXXXXX"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = PortPicker.freePort()
        let passwordFile = "\(folder)/password"
        try await Self.asPostgres(["sh", "-c", "printf %s \"$1\" > \"$2\"", "sh", Self.password, passwordFile])
        try await Self.asPostgres([
            "\(binaries)/initdb", "-D", "\(folder)/data", "-U", "postgres", "--auth-local=trust",
            "--auth-host=scram-sha-256", "--pwfile=\(passwordFile)", "-E", "UTF8", "--no-sync",
        ])
        let watchdog = """
            while [ -e /proc/\(getpid())/stat ] && [ "$(cut -d' ' -f3 /proc/\(getpid())/stat)" != Z ]; do sleep 1; done
            "\(binaries)/pg_ctl" -D "\(folder)/data" stop -m immediate >/dev/null 2>&1; rm -rf "\(folder)"
            """
        _ = try await Command.start(Self.prefix + ["sh", "-c", watchdog], log: "/dev/null")
        try await start(folder: folder, port: port)
        return (folder, port)
    }

    /// Starts the cluster again, after `stop()`.
    public func start() async throws {
        let (folder, port) = try await cluster()
        try await Self.start(folder: folder, port: port)
    }

    private static func start(folder: String, port: Int) async throws {
        try await Self.asPostgres([
            "\(try Self.binaries())/pg_ctl", "-D", "\(folder)/data", "-l", "\(folder)/log", "-w", "-t", "60",
            "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start",
        ])
    }

    /// Stops the cluster, as an administrator restarting it would (fast shutdown).
    public func stop() async throws {
        let (folder, _) = try await cluster()
        try await Self.asPostgres(["\(try Self.binaries())/pg_ctl", "-D", "\(folder)/data", "-w", "-m", "fast", "stop"])
    }

    /// Stops the cluster and removes its folder.
    public func destroy() async throws {
        let (folder, _) = try await cluster()
        try await Self.asPostgres([
            "sh", "-c", "\"$1\"/pg_ctl -D \"$2\"/data -m immediate stop >/dev/null 2>&1; rm -rf \"$2\"", "sh", try Self.binaries(), folder,
        ])
    }

    /// A new, empty database's URL (user `postgres` with its password).
    public func newDatabase() async throws -> String {
        let (folder, port) = try await cluster()
        databases += 1
        let name = "test_\(getpid())_\(databases)"
        try await Self.asPostgres(["psql", "-h", folder, "-p", "\(port)", "-U", "postgres", "-q", "-c", "CREATE DATABASE \(name)"])
        return "postgres://postgres:\(Self.password)@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// Runs a program as the `postgres` user (as root) or as this user.
    @discardableResult
    private static func asPostgres(_ arguments: [String]) async throws -> String {
        try await Command.check(prefix + arguments, code: .testPostgres)
    }

    private static var prefix: [String] { getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : [] }

    private static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted() ?? []
        guard let version = versions.last(where: { FileManager.default.fileExists(atPath: "\(root)/\($0)/bin/initdb") }) else {
            throw HangarError(.testPostgres, "PostgreSQL is not installed", hint: "apt-get install postgresql (scripts/setup.sh does)")
        }
        return "\(root)/\(version)/bin"
    }
}
