/// Where a regular expression that does not compile goes wrong, for an error people can act on
/// (ICU, under `NSRegularExpression`, says only "the value is invalid").
struct RegexProblem: Equatable {
    var message: String
    /// 0-based, in characters.
    var offset: Int

    /// The first unbalanced bracket, else the first quantifier with nothing to repeat or a bad
    /// count, else the pattern's end.
    static func find(in pattern: String) -> RegexProblem {
        let characters = Array(pattern)
        var groups: [Int] = []
        var classStart: Int?
        var index = 0
        var previousRepeatable = false
        while index < characters.count {
            let character = characters[index]
            defer { index += 1 }
            if character == "\\" {
                if index + 1 == characters.count { return RegexProblem(message: "a \\ ends the pattern", offset: index) }
                index += 1
                previousRepeatable = true
                continue
            }
            if let start = classStart {
                if character == "]" && index > start + 1 { classStart = nil }
                previousRepeatable = true
                continue
            }
            switch character {
            case "[": classStart = index
            case "(": groups.append(index)
            case ")":
                if groups.popLast() == nil { return RegexProblem(message: "')' closes no group", offset: index) }
            case "*", "+", "?":
                let lazyOrPossessive = index > 0 && "*+?}".contains(characters[index - 1]) && character != "*"
                if !previousRepeatable && !lazyOrPossessive && !(character == "?" && index > 0 && characters[index - 1] == "(") {
                    return RegexProblem(message: "'\(character)' has nothing to repeat", offset: index)
                }
            case "{":
                guard let close = characters[index...].firstIndex(of: "}") else { break }
                let bounds = String(characters[(index + 1)..<close]).split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
                if bounds.count == 2, let low = bounds[0], let high = bounds[1], low > high {
                    return RegexProblem(message: "the count {\(low),\(high)} goes down", offset: index)
                }
            default: break
            }
            previousRepeatable = !"(|^".contains(character)
        }
        if let start = classStart { return RegexProblem(message: "'[' is never closed", offset: start) }
        if let open = groups.last { return RegexProblem(message: "'(' is never closed", offset: open) }
        return RegexProblem(message: "ICU cannot read it", offset: max(0, characters.count - 1))
    }
}
