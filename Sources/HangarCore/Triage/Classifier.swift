public import Foundation

/// A signature's match in one run: the first log line it matched.
public struct SignatureMatch: Sendable, Equatable, Codable {
    public var signature: String
    public var kind: Signature.Kind
    public var issue: String?
    /// 0-based line of the run's log.
    public var line: Int
    /// The line as the log has it (not normalised).
    public var text: String

    public init(signature: String, kind: Signature.Kind, issue: String?, line: Int, text: String) {
        self.signature = signature
        self.kind = kind
        self.issue = issue
        self.line = line
        self.text = text
    }
}

/// A signature ready to match: its regular expression compiled, and a piece of text every match
/// must contain, so most lines are passed over without running the expression.
public struct CompiledSignature: @unchecked Sendable {
    // `NSRegularExpression` is immutable and safe to share; it is not marked Sendable.
    public let signature: Signature
    let regex: NSRegularExpression
    /// Text every match contains (empty when the pattern has none that is certain).
    let literal: String
    /// Text every line it matches holds before it is normalised (`rawPiece`); empty when none.
    let raw: String

    public init(_ signature: Signature) throws(HangarError) {
        self.signature = signature
        regex = try Signature.compile(signature.pattern)
        literal = Self.requiredText(signature.pattern)
        raw = Self.rawPiece(of: literal)
    }

    /// The longest part of `literal` (text a normalised line holds) that the line held before it
    /// was normalised too: `LogNormaliser` cuts a path after a separator (space, tab, quote, `=`, `(`,
    /// comma), rewrites numbers, and lowers the `x` of `0X…`, so the parts between separators,
    /// slashes and digits (less an `x` after a digit) are left as they were. Empty when the longest is
    /// shorter than a `PieceFinder` takes.
    static func rawPiece(of literal: String) -> String {
        var pieces: [String] = []
        var current = ""
        var afterDigit = false
        for character in literal {
            let digit = character.isASCII && character.isNumber
            if digit || " \t'\"=(,/".contains(character) || (afterDigit && (character == "x" || character == "X")) {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
            afterDigit = digit
        }
        pieces.append(current)
        let longest = pieces.max { $0.utf8.count < $1.utf8.count } ?? ""
        return longest.utf8.count >= PieceFinder.shortest ? longest : ""
    }

    /// True when the normalised `line` matches the expression (whether it holds `literal` is checked before).
    func regexMatches(_ line: String) -> Bool {
        regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
    }

    /// The longest run of plain characters the pattern requires: none when it has alternatives or flags.
    static func requiredText(_ pattern: String) -> String {
        if pattern.contains("|") || pattern.contains("(?") { return "" }
        let characters = Array(pattern)
        var runs: [String] = []
        var current = ""
        var index = 0
        // Text inside a group is not certain: the group may be optional.
        var depth = 0
        func cut() {
            runs.append(current)
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            var literal: Character?
            if character == "\\", let escaped = next {
                literal = escaped.isLetter || escaped.isNumber ? nil : escaped
                index += 2
            } else if ".[]()^$*+?{}".contains(character) {
                if character == "(" || character == ")" {
                    depth += character == "(" ? 1 : -1
                    current = ""
                }
                if character == "[" { while index < characters.count, characters[index] != "]" { index += characters[index] == "\\" ? 2 : 1 } }
                index += 1
            } else {
                literal = character
                index += 1
            }
            guard let literal, depth == 0 else {
                cut()
                continue
            }
            // A character made optional or repeatable by what follows is not certain (or not alone).
            let quantifier = index < characters.count ? characters[index] : nil
            if quantifier == "?" || quantifier == "*" || quantifier == "{" {
                cut()
            } else if quantifier == "+" {
                current.append(literal)
                cut()
            } else {
                current.append(literal)
            }
        }
        cut()
        // Any part of a required text is required too: a short one keeps the matcher's table small.
        return String((runs.max { $0.count < $1.count } ?? "").prefix(24))
    }
}

/// Finds the first line of a log each signature matches. Feed it the log in order, a page at a
/// time (it keeps nothing of it but the matches, so a log of any size takes bounded memory).
///
/// A page is searched for the signatures' raw pieces (`CompiledSignature.raw`) all at once over its
/// bytes (`PieceFinder`); only a line holding one is normalised and matched, so a page of noise
/// costs a skim, as grep's does. (While a signature with no such piece is in scope, every line is.)
/// Task headers (`==> [1/3] run: make check`) are passed over: they show a task's command, not
/// what it printed, and a command often names the very error it checks for.
public struct LogClassifier: Sendable {
    private let set: SignatureSet
    /// The signatures in scope not matched yet, by position in the set.
    private var pending: Set<Int>
    /// Those of them without required text: their expression runs on every line.
    private let unfiltered: Set<Int>
    /// Those of them without a raw piece: every line is normalised while one is pending.
    private let unskimmed: Set<Int>
    public private(set) var matches: [SignatureMatch] = []

    /// For the signatures of `set` whose scope contains `run`.
    public init(_ set: SignatureSet, for run: FailedRun) {
        self.set = set
        pending = set.scoped.isEmpty ? set.all : set.all.filter { set.signatures[$0].signature.scope.contains(run) }
        unfiltered = set.unfiltered.isEmpty ? [] : pending.intersection(set.unfiltered)
        unskimmed = set.unskimmed.isEmpty ? [] : pending.intersection(set.unskimmed)
    }

    /// True when every signature has matched: the rest of the log need not be read.
    public var isDone: Bool { pending.isEmpty }

    /// The next page of the log: lines separated by newlines, the first of them line `firstLine`.
    public mutating func scan(page: String, firstLine: Int) {
        guard !pending.isEmpty else { return }
        var page = page
        page.withUTF8 { bytes in
            let newline = UInt8(ascii: "\n")
            var (position, line) = (0, firstLine)
            while position <= bytes.count, !pending.isEmpty {
                var start = position
                if unskimmed.isDisjoint(with: pending) {
                    guard let finder = set.finder, let hit = finder.next(in: bytes, from: position) else { return }
                    start = hit
                    while start > position, bytes[start - 1] != newline { start -= 1 }
                    for index in position..<start where bytes[index] == newline { line += 1 }
                }
                var end = start
                while end < bytes.count, bytes[end] != newline { end += 1 }
                scan(line: UnsafeBufferPointer(rebasing: bytes[start..<end]), number: line)
                (position, line) = (end + 1, line + 1)
            }
        }
    }

    private mutating func scan(line bytes: UnsafeBufferPointer<UInt8>, number: Int) {
        let line = String(decoding: bytes, as: UTF8.self)
        guard !line.hasPrefix("==> [") else { return }
        let normalised = LogNormaliser.normalise(line)
        let candidates = set.literals.occurring(in: normalised).intersection(pending).union(unfiltered.intersection(pending))
        for index in candidates.sorted() where set.signatures[index].regexMatches(normalised) {
            let signature = set.signatures[index].signature
            matches.append(SignatureMatch(signature: signature.name, kind: signature.kind, issue: signature.issue, line: number, text: line))
            pending.remove(index)
        }
    }
}

/// Signatures ready to classify any number of logs: compiled once, with one `LiteralMatcher` over
/// their required texts and one `PieceFinder` over their raw pieces.
public struct SignatureSet: Sendable {
    public let signatures: [CompiledSignature]
    let literals: LiteralMatcher
    /// Every signature, those with no required text, those with no raw piece, and those whose scope
    /// is not everything (by position): worked out once, not for each log.
    let all: Set<Int>
    let unfiltered: Set<Int>
    let unskimmed: Set<Int>
    let scoped: Set<Int>
    let finder: PieceFinder?

    public init(_ signatures: [CompiledSignature]) {
        self.signatures = signatures
        literals = LiteralMatcher(signatures.map(\.literal))
        all = Set(signatures.indices)
        unfiltered = all.filter { signatures[$0].literal.isEmpty }
        unskimmed = all.filter { signatures[$0].raw.isEmpty }
        scoped = all.filter { signatures[$0].signature.scope != Signature.Scope() }
        finder = PieceFinder(Set(signatures.map(\.raw)).filter { !$0.isEmpty }.sorted().map { Array($0.utf8) })
    }
}

/// What a failed run's matches ask for: another run, when a signature of kind infrastructure (first)
/// or flaky explains it and that signature's retries are not used up by the automatic retries
/// already made in its chain.
public enum AutomaticRetry {
    public static func signature(for matches: [SignatureMatch], among signatures: [Signature], retriesSoFar: Int) -> Signature? {
        let byName = Dictionary(signatures.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for kind in [Signature.Kind.infrastructure, .flaky] {
            for match in matches where match.kind == kind {
                if let signature = byName[match.signature], retriesSoFar < signature.retries { return signature }
            }
        }
        return nil
    }
}
