public import HangarCore

extension API {
    /// A token as listed (the secret itself is never stored).
    public struct Token: Documented, Equatable {
        public var id: Int
        public var name: String
        public var role: Role
        public var createdAt: Double

        public init(id: Int, name: String, role: Role, createdAt: Double) {
            self.id = id
            self.name = name
            self.role = role
            self.createdAt = createdAt
        }

        public static let schema = Schema.object(
            ["id": .integer(Limits.ids), "name": .string(), "role": Role.schema, "createdAt": .number],
            required: ["id", "name", "role", "createdAt"]
        )
    }

    /// `POST /api/v1/tokens`: what to create.
    public struct TokenRequest: Documented, Equatable {
        public var name: String
        public var role: Role

        public init(name: String, role: Role) {
            self.name = name
            self.role = role
        }

        public static let schema = Schema.object(
            ["name": .string(maxLength: Limits.tokenNameLength, pattern: "^[^\\u0000-\\u001f]+$"), "role": Role.schema],
            required: ["name", "role"]
        )
    }

    /// A new token with its secret, which is shown this once.
    public struct NewToken: Documented, Equatable {
        public var id: Int
        public var token: String
        public var role: Role

        public init(id: Int, token: String, role: Role) {
            self.id = id
            self.token = token
            self.role = role
        }

        public static let schema = Schema.object(
            ["id": .integer(Limits.ids), "token": .string(), "role": Role.schema],
            required: ["id", "token", "role"]
        )
    }
}

extension Role {
    /// A role, by name.
    static let schema = Schema.string(choices: Role.allCases.map(\.rawValue))
}
