public import Foundation

/// An error a user can act on: what went wrong, where, and what to do about it.
///
/// `kind` separates infrastructure failures (image, boot, SSH, host) from failures the job's own
/// tests reported, so a run can end `error` rather than `failed` (DESIGN.md decision 7).
public struct HangarError: LocalizedError, CustomStringConvertible, CustomDebugStringConvertible, Sendable, Equatable {
    /// Who is to blame for a failure.
    public enum Kind: String, Sendable, Codable {
        /// The user's input: a file, a flag, a name.
        case usage
        /// Images, machines, SSH, the host: not the job's tests.
        case infrastructure
        /// The job's own commands failed.
        case test
    }

    /// A stable, machine-readable code such as `image.checksum` or `config.unknown-key`.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
    }

    /// What went wrong, for programs: one of `Code`'s static members (ErrorCodes.swift).
    public var code: Code
    /// What went wrong, in one sentence.
    public var message: String
    /// What the user can do about it, if anything.
    public var hint: String?
    /// Where the problem is, such as `hangar.yml:12:5`.
    public var location: String?
    /// Who is to blame.
    public var kind: Kind
    /// The error this one explains, if it wraps one (a network error, a failed decode).
    public var cause: (any Error)?
    /// Where in Hangar's source it was made (`HangarMachine/Image/Download.swift:58`), for the
    /// people who maintain it; never part of what a user reads.
    public var thrownAt: String

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        hint: String? = nil,
        location: String? = nil,
        kind: Kind = .infrastructure,
        cause: (any Error)? = nil,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.location = location
        self.kind = kind
        self.cause = cause
        thrownAt = "\(fileID):\(line)"
    }

    /// Errors are the same when a user would read the same: code, message, hint, place and kind.
    public static func == (left: HangarError, right: HangarError) -> Bool {
        (left.code, left.message, left.hint, left.location, left.kind) == (right.code, right.message, right.hint, right.location, right.kind)
    }

    /// The same as `description`, so the error reads well wherever it is printed.
    public var errorDescription: String? { description }

    /// `location: message` followed by the hint on its own line.
    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }

    /// The description, then the code, where it was thrown and its cause: for logs and maintainers.
    public var debugDescription: String {
        "\(description) [\(code) at \(thrownAt)\(cause.map { "; cause: \(String(reflecting: $0))" } ?? "")]"
    }
}

extension HangarError {
    /// An error in the user's input (a file, a flag, a name).
    public static func usage(
        _ code: Code,
        _ message: String,
        hint: String? = nil,
        at location: String? = nil,
        fileID: String = #fileID,
        line: Int = #line
    ) -> HangarError {
        HangarError(code, message, hint: hint, location: location, kind: .usage, fileID: fileID, line: line)
    }
}
