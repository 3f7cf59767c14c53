import Foundation

/// `Depends-On: URL` lines in a pull request's description (Zuul's footer), read as the changes
/// they name: GitHub's `https://github.com/OWNER/NAME/pull/12`, Gitea's `…/OWNER/NAME/pulls/12`
/// and GitLab's `…/GROUP/PROJECT/-/merge_requests/12` become `OWNER/NAME#12` (GitLab: the full path).
enum DependsOn {
    static func changes(in description: String) -> [String] {
        description.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.lowercased().hasPrefix("depends-on:") else { return nil }
            return change(at: text.dropFirst("depends-on:".count).trimmingCharacters(in: .whitespaces))
        }
    }

    /// The change a pull or merge request's URL names; nil for anything else.
    static func change(at url: String) -> String? {
        guard let components = URL(string: url)?.pathComponents.filter({ $0 != "/" }), let last = components.last, Int(last) != nil else {
            return nil
        }
        let kind = components[components.count - 2]
        if kind == "merge_requests", components.count >= 4, components[components.count - 3] == "-" {
            return components.dropLast(3).joined(separator: "/") + "#" + last
        }
        guard ["pull", "pulls"].contains(kind), components.count >= 4 else { return nil }
        return "\(components[components.count - 4])/\(components[components.count - 3])#\(last)"
    }
}
