/// Finds which of many pieces of text occur in a line, in one pass over its bytes (Aho–Corasick),
/// so classifying a line against 500 signatures costs about as much as against one: only the
/// signatures whose required text occurs run their regular expression.
struct LiteralMatcher: Sendable {
    /// State × byte → next state, dense (256 entries per state).
    private var next: [Int32]
    /// For each state, the literals that end there (itself or through its failure links).
    private var found: [[Int]]

    init(_ literals: [String]) {
        next = Array(repeating: -1, count: 256)
        found = [[]]
        // The trie.
        for (id, literal) in literals.enumerated() where !literal.isEmpty {
            var state = 0
            for byte in literal.utf8 {
                let slot = state * 256 + Int(byte)
                if next[slot] < 0 {
                    next[slot] = Int32(found.count)
                    found.append([])
                    next.append(contentsOf: repeatElement(-1, count: 256))
                }
                state = Int(next[slot])
            }
            found[state].append(id)
        }
        // Failure links, breadth first, folded into the table so each byte is one lookup.
        var failure = Array(repeating: 0, count: found.count)
        var queue: [Int] = []
        for byte in 0..<256 {
            if next[byte] < 0 {
                next[byte] = 0
            } else {
                queue.append(Int(next[byte]))
            }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            found[state] += found[failure[state]]
            for byte in 0..<256 {
                let slot = state * 256 + byte
                let fallback = next[failure[state] * 256 + byte]
                if next[slot] < 0 {
                    next[slot] = fallback
                } else {
                    failure[Int(next[slot])] = Int(fallback)
                    queue.append(Int(next[slot]))
                }
            }
        }
    }

    /// The ids (positions in the list it was made from) of the literals that occur in `text`.
    func occurring(in text: String) -> Set<Int> {
        var ids = Set<Int>()
        var text = text
        text.withUTF8 { bytes in
            next.withUnsafeBufferPointer { next in
                var state = 0
                for byte in bytes {
                    state = Int(next[state &* 256 &+ Int(byte)])
                    // Most lines hold no literal at all: nothing is allocated for them.
                    if !found[state].isEmpty { ids.formUnion(found[state]) }
                }
            }
        }
        return ids
    }
}
