/// Finds where any of a set of byte strings occurs in a page of text, skipping ahead as grep's
/// literal search does (Wu–Manber, with blocks of two bytes): the window is as long as the shortest
/// piece, and a pair of bytes at its end that ends none of the pieces' first bytes moves it on by up
/// to its whole length, so most of a page is never looked at byte by byte.
struct PieceFinder: Sendable {
    /// The shortest a piece may be: a pair.
    static let shortest = 2

    /// The length of the shortest piece: the window.
    private let window: Int
    /// How far the window may move when this pair is at its end, by `key(first, second)`.
    private let shift: [UInt8]
    /// The pieces whose window-long start ends with this pair: checked whole where the shift is 0.
    private let endingWith: [Int: [Int]]
    private let pieces: [[UInt8]]

    /// For `pieces` (each at least `shortest` bytes long); nil when there are none.
    init?(_ pieces: [[UInt8]]) {
        guard let window = pieces.map(\.count).min(), window >= Self.shortest else { return nil }
        // A shift is at most the window less one: bytes are 8 bits, and a piece of the log's is short.
        let longest = min(window - 1, Int(UInt8.max))
        var shift = [UInt8](repeating: UInt8(longest), count: 1 << 16)
        var endingWith: [Int: [Int]] = [:]
        for (id, piece) in pieces.enumerated() {
            for index in 1..<window {
                let pair = Self.key(piece[index - 1], piece[index])
                shift[pair] = min(shift[pair], UInt8(min(window - 1 - index, longest)))
            }
            endingWith[Self.key(piece[window - 2], piece[window - 1]), default: []].append(id)
        }
        self.window = window
        self.shift = shift
        self.endingWith = endingWith
        self.pieces = pieces
    }

    /// The first position at or after `start` where a piece begins, or nil. The page's two halves
    /// are searched side by side: each window's move waits on the load before it, so two
    /// independent searches take about as long as one.
    func next(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        let raw = UnsafeRawPointer(base)
        return shift.withUnsafeBufferPointer { shift in
            // The first half's windows end before `middle` + the window; the second's start at `middle`.
            let middle = start + (bytes.count - start) / 2
            var (first, second) = (start + window - 1, middle + window - 1)
            let firstEnd = min(middle + window - 1, bytes.count)
            var found: Int?
            while first < firstEnd, second < bytes.count {
                let a = Int(shift[Int(raw.loadUnaligned(fromByteOffset: first - 1, as: UInt16.self))])
                let b = Int(shift[Int(raw.loadUnaligned(fromByteOffset: second - 1, as: UInt16.self))])
                if a > 0, b > 0 {
                    (first, second) = (first + a, second + b)
                    continue
                }
                if a == 0 {
                    if let hit = check(first, raw, bytes) { return hit }
                    first += 1
                } else {
                    first += a
                }
                if b == 0 {
                    if found == nil, let hit = check(second, raw, bytes) { found = hit }
                    second += found == nil ? 1 : bytes.count
                } else {
                    second += b
                }
            }
            // What is left of the first half, alone; then the second's hit, or what is left of it.
            while first < firstEnd {
                let step = Int(shift[Int(raw.loadUnaligned(fromByteOffset: first - 1, as: UInt16.self))])
                if step == 0, let hit = check(first, raw, bytes) { return hit }
                first += max(step, 1)
            }
            if let found { return found }
            while second < bytes.count {
                let step = Int(shift[Int(raw.loadUnaligned(fromByteOffset: second - 1, as: UInt16.self))])
                if step == 0, let hit = check(second, raw, bytes) { return hit }
                second += max(step, 1)
            }
            return nil
        }
    }

    /// The start of a piece whose window ends at `end`, if one does.
    private func check(_ end: Int, _ raw: UnsafeRawPointer, _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let begin = end - window + 1
        let pair = Int(raw.loadUnaligned(fromByteOffset: end - 1, as: UInt16.self))
        for id in endingWith[pair] ?? [] where occurs(pieces[id], in: bytes, at: begin) { return begin }
        return nil
    }

    /// A pair's place in `shift`: its two bytes as a 16-bit load from memory reads them.
    private static func key(_ first: UInt8, _ second: UInt8) -> Int {
        Int(UInt16(littleEndian: UInt16(first) | UInt16(second) << 8))
    }

    private func occurs(_ piece: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, at begin: Int) -> Bool {
        guard begin + piece.count <= bytes.count else { return false }
        for index in piece.indices where bytes[begin + index] != piece[index] { return false }
        return true
    }
}
