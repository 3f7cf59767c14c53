import ArgumentParser
import Foundation

/// Worker labels as `--labels` gives them: words (letters, digits, `._:=-`) separated by commas;
/// `big disk` is refused, not taken for a label with a space in it.
enum Labels {
    static func parse(_ text: String, option: String) throws -> [String] {
        let labels = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for label in labels where label.range(of: "^[A-Za-z0-9._:=-]+$", options: .regularExpression) == nil {
            throw ValidationError("\(option): '\(label)' is not a label: labels are words (letters, digits, . _ : = -), separated by commas")
        }
        return labels
    }
}
