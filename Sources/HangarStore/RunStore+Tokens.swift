import Crypto
import Foundation
public import HangarCore
import SQLKit
import Synchronization

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

    /// The token whose secret is `secret`, or nil when there is no such token. An answer is kept for
    /// `TokenCache.lifetime` (a second): a token revoked elsewhere (another replica, the CLI) stops
    /// working within it; one revoked through this store at once.
    public func token(secret: String) async throws -> StoredToken? {
        let hash = Self.hash(secret)
        let now = now()
        if let known = tokenCache.lookup(hash, at: now) { return known }
        let token = try await connections.withDatabase { database in
            try await database.raw("SELECT id, name, role, created_at FROM tokens WHERE hash = \(bind: hash)").first().map(StoredToken.init)
        }
        tokenCache.keep(token, for: hash, at: now)
        return token
    }

    /// Every token, oldest first.
    public func tokens() async throws -> [StoredToken] {
        try await connections.withDatabase { database in
            try await database.raw("SELECT id, name, role, created_at FROM tokens ORDER BY id").all().map(StoredToken.init)
        }
    }

    /// Deletes token `id`; false when there is none.
    public func revokeToken(_ id: Int) async throws -> Bool {
        defer { tokenCache.forget() }
        return try await connections.withDatabase { database in
            try await database.raw("DELETE FROM tokens WHERE id = \(bind: id) RETURNING id").first() != nil
        }
    }

    private static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}

/// Token lookups of the last second, by the secret's hash (an unknown secret too, so a flood of
/// wrong tokens costs one query a second each).
final class TokenCache: Sendable {
    /// How long an answer is kept.
    static let lifetime = 1.0
    /// Most answers kept; past it the cache starts again.
    static let capacity = 10_000
    private let answers = Mutex<[String: (token: StoredToken?, at: Double)]>([:])

    /// The answer kept for `hash`, if it is less than a second old: `.some(nil)` is "no such token".
    func lookup(_ hash: String, at now: Double) -> StoredToken?? {
        answers.withLock { answers in
            guard let kept = answers[hash], now - kept.at < Self.lifetime, now >= kept.at else { return nil }
            return .some(kept.token)
        }
    }

    func keep(_ token: StoredToken?, for hash: String, at now: Double) {
        answers.withLock { answers in
            if answers.count >= Self.capacity { answers.removeAll() }
            answers[hash] = (token, now)
        }
    }

    /// Forgets every answer (a token was revoked here).
    func forget() { answers.withLock { $0.removeAll() } }
}
