public import ArgumentParser
import Foundation
public import HangarCore
import HangarStore

/// `hangar token create|list|revoke`: the server's API tokens, in its database.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the server's API tokens (stored hashed; a secret is shown once).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print its secret.")

        @Option(help: "viewer (read), operator (also trigger and cancel), admin (also manage tokens) or worker (for hangar worker only).")
        var role: Role = .viewer

        @Option(help: "A name to tell tokens apart.")
        var name = "\(ProcessInfo.processInfo.environment["USER"] ?? "user")@\(ProcessInfo.processInfo.hostName)"

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open()
            let (token, secret) = try await withStore(store) { try await store.createToken(name: name, role: role) }
            print(secret)
            Terminal.note(
                "token \(token.id) (\(token.role.rawValue), '\(token.name)') in \(store.location): keep the secret above, it is not shown again"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open()
            let tokens = try await withStore(store) { try await store.tokens() }
            for token in tokens { print("\(token.id)\t\(token.role.rawValue)\t\(token.name)") }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a token; requests with it get 401 from then on.")

        @Argument(help: "The token's id (see 'hangar token list').")
        var id: Int

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await database.open()
            let id = id
            guard try await withStore(store, { try await store.revokeToken(id) }) else { throw ValidationError("no token \(id)") }
        }
    }
}

extension Role: ExpressibleByArgument {}
