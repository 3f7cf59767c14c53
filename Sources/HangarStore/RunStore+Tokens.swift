import Crypto
import Foundation
public import HangarCore
import SQLKit

/// A token as listed (the secret itself is never stored).
public struct StoredToken: Sendable, Codable, Equatable {
    public var id: Int
    public var name: String
    public var role: Role
    public var createdAt: Double

    init(_ row: any SQLRow) throws {
        id = try row.decode(column: "id", as: Int.self)
        name = try row.decode(column: "name", as: String.self)
        let role = try row.decode(column: "role", as: String.self)
        guard let known = Role(rawValue: role) else { throw HangarError(.storeRole, "token \(id) has an unknown role '\(role)'") }
        self.role = known
        createdAt = try row.decode(column: "created_at", as: Double.self)
    }

    init(id: Int, name: String, role: Role, createdAt: Double) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}

extension RunStore {
    /// Creates a token and returns it with its secret, which is shown once: only its SHA-256 is
    /// stored. Tokens carry 256 random bits, so a plain hash is enough (no password stretching needed).
    public func createToken(name: String, role: Role) async throws -> (token: StoredToken, secret: String) {
        let secret = "hgr_" + (0..<32).map { _ in UInt8.random(in: 0...255) }.hexString
        let now = now()
        let id = try await connections.withDatabase { database in
            let row = try await database.raw(
                """
                INSERT INTO tokens (name, role, hash, created_at)
                VALUES (\(bind: name), \(bind: role.rawValue), \(bind: Self.hash(secret)), \(bind: now)) RETURNING id
                """
            ).first()
            guard let row else { throw HangarError(.storeInsert, "the new token got no id") }
            return try row.decode(column: "id", as: Int.self)
        }
        return (StoredToken(id: id, name: name, role: role, createdAt: now), secret)
    }

    /// The token whose secret is `secret`, or nil when there is no such token.
    public func token(secret: String) async throws -> StoredToken? {
        try await connections.withDatabase { database in
            try await database.raw("SELECT id, name, role, created_at FROM tokens WHERE hash = \(bind: Self.hash(secret))").first().map(
                StoredToken.init
            )
        }
    }

    /// Every token, oldest first.
    public func tokens() async throws -> [StoredToken] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT id, name, role, created_at FROM tokens ORDER BY id").all().map(StoredToken.init)
        }
    }

    /// Deletes token `id`; false when there is none.
    public func revokeToken(_ id: Int) async throws -> Bool {
        try await connections.withDatabase { database in
            try await database.raw("DELETE FROM tokens WHERE id = \(bind: id) RETURNING id").first() != nil
        }
    }

    private static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
