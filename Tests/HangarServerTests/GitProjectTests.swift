import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarServer
import HangarStore
import Hummingbird
import HummingbirdTesting
import Testing

/// A project whose hangar.yml lives in a real git repository: each run reads it at its own commit.
@Suite(.timeLimit(.minutes(2))) struct GitProjectTests {
    let repository = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-repo-\(UUID().uuidString.prefix(8))").path

    /// Commits a hangar.yml whose job prints `version` and returns the commit.
    func commit(_ version: Int) async throws -> String {
        try "machines:\n  default: { image: ./none.qcow2 }\njobs:\n  test: { tasks: [{ host: 'echo version \(version); cat notes.txt' }] }\n"
            .write(toFile: "\(repository)/hangar.yml", atomically: true, encoding: .utf8)
        try "notes of version \(version)\n".write(toFile: "\(repository)/notes.txt", atomically: true, encoding: .utf8)
        for arguments in [["add", "."], ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "v\(version)"]] {
            #expect(try await Command.run(["git", "-C", repository] + arguments).status == 0)
        }
        return try await Command.run(["git", "-C", repository, "rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func eachRunReadsHangarYmlAtItsCommit() async throws {
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: repository) }
        #expect(try await Command.run(["git", "init", "-q", "-b", "main", repository]).status == 0)
        let first = try await commit(1)
        let server = ServerHarness()
        try FileManager.default.createDirectory(atPath: "\(server.projects)/app", withIntermediateDirectories: true)
        try "git: \(repository)\nbranch: main\n".write(toFile: "\(server.projects)/app/source.yml", atomically: true, encoding: .utf8)
        try await server.run { client in
            struct Project: Decodable {
                var error: String?
                var jobs: [Job]
            }
            struct Job: Decodable { var name: String }
            while try await client.json(Project.self, "/api/v1/projects/app").jobs.isEmpty { try await Task.sleep(for: .milliseconds(100)) }

            let pinned = try await client.json(API.Run.self, "/api/v1/projects/app/jobs/test/runs", method: .post)
            #expect(pinned.parameters["HANGAR_COMMIT"] == first, "a manual run is pinned to the branch head")
            #expect(try await client.waitForEnd(pinned.id).state == .passed)
            #expect(String(buffer: try await client.call(.get, "/api/v1/runs/\(pinned.id)/log").body).contains("version 1\nnotes of version 1\n"))

            let second = try await commit(2)
            let newer = try await client.trigger("test", project: "app", body: #"{"parameters": {"HANGAR_COMMIT": "\#(second)"}}"#)
            #expect(try await client.waitForEnd(newer.id).state == .passed)
            #expect(String(buffer: try await client.call(.get, "/api/v1/runs/\(newer.id)/log").body).contains("version 2\nnotes of version 2\n"))
            let older = try await client.trigger("test", project: "app", body: #"{"parameters": {"HANGAR_COMMIT": "\#(first)"}}"#)
            #expect(try await client.waitForEnd(older.id).state == .passed)
            #expect(String(buffer: try await client.call(.get, "/api/v1/runs/\(older.id)/log").body).contains("version 1\n"))
            #expect(!FileManager.default.fileExists(atPath: "\(client.runs)/\(older.id)/source"), "the checkout is removed after the run")

            let unknown = try await client.trigger(
                "test",
                project: "app",
                body: #"{"parameters": {"HANGAR_COMMIT": "0000000000000000000000000000000000000000"}}"#
            )
            let failed = try await client.waitForEnd(unknown.id)
            #expect(failed.state == .error)
            #expect(failed.reason?.contains("git checkout failed") == true, "\(failed.reason ?? "")")
        }
    }
}
