import Foundation
import HangarCore

/// Credentials for a private OBS project: `user:password` in the environment variable the image
/// names (`credentials-env:`), else osc's own configuration — the section of `~/.config/osc/oscrc`
/// (or `~/.oscrc`) whose URL has the API's host, its `user` and `pass` (osc's keyring and obfuscated
/// `passx` are not read). Nothing of them is ever printed.
enum OBSCredentials {
    /// The `Authorization` header for `image`'s API, or nil for none.
    static func authorization(for image: OBSImage, environment: [String: String]) throws(HangarError) -> String? {
        if let name = image.credentialsVariable {
            guard let value = environment[name], let colon = value.firstIndex(of: ":"), colon != value.startIndex else {
                throw HangarError.usage(
                    .imageObsCredentials,
                    "'credentials-env: \(name)' names a variable that is not set to user:password on this host",
                    hint: "set \(name)=USER:PASSWORD in the environment of the hangar that runs the job"
                )
            }
            return basic(String(value[..<colon]), String(value[value.index(after: colon)...]))
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let configHome = environment["XDG_CONFIG_HOME"] ?? "\(home)/.config"
        for file in ["\(configHome)/osc/oscrc", "\(home)/.oscrc"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            if let (user, password) = fromOscrc(text, api: image.api) { return basic(user, password) }
        }
        return nil
    }

    /// `user` and `pass` of the section whose URL has `api`'s host.
    static func fromOscrc(_ text: String, api: String) -> (String, String)? {
        let host = URL(string: api)?.host
        var section: String?
        var values: [String: [String: String]] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard let section, let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = line[..<separator].trimmingCharacters(in: .whitespaces)
            values[section, default: [:]][key] = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
        }
        for (name, fields) in values where name != "general" && URL(string: name)?.host == host {
            if let user = fields["user"], let password = fields["pass"] { return (user, password) }
        }
        return nil
    }

    private static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
