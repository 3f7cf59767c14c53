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
}

extension RunStore {
    /// Creates a token and returns it with its secret, which is shown once: only its SHA-256 is
    /// stored. Tokens carry 256 random bits, so a plain hash is enough (no password stretching needed).
    public func createToken(name: String, role: Role) async throws -> (token: StoredToken, secret: String) {
        let secret = "hgr_" + (0..<32).map { _ in UInt8.random(in: 0...255) }.hexString
        let now = Date().timeIntervalSince1970
        let row = try await database.raw(
            """
            INSERT INTO tokens (name, role, hash, created_at)
            VALUES (\(bind: name), \(bind: role.rawValue), \(bind: Self.hash(secret)), \(bind: now)) RETURNING id
            """
        ).first()
        let id = try row?.decode(column: "id", as: Int.self) ?? 0
        return (StoredToken(id: id, name: name, role: role, createdAt: now), secret)
    }

    /// The role of the token whose secret is `secret`, or nil when there is no such token.
    public func role(ofToken secret: String) async throws -> Role? {
        try await database.raw("SELECT role FROM tokens WHERE hash = \(bind: Self.hash(secret))").first()
            .flatMap { Role(rawValue: try $0.decode(column: "role", as: String.self)) }
    }

    /// Every token, oldest first.
    public func tokens() async throws -> [StoredToken] {
        try await database.raw("SELECT id, name, role, created_at FROM tokens ORDER BY id").all().map { row in
            StoredToken(
                id: try row.decode(column: "id", as: Int.self),
                name: try row.decode(column: "name", as: String.self),
                role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .viewer,
                createdAt: try row.decode(column: "created_at", as: Double.self)
            )
        }
    }

    /// Deletes token `id`; false when there is none.
    public func revokeToken(_ id: Int) async throws -> Bool {
        try await database.raw("DELETE FROM tokens WHERE id = \(bind: id) RETURNING id").first() != nil
    }

    private static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
