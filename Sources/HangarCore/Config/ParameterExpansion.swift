import Foundation

extension ImageSource {
    /// The source with `${NAME}` filled in from `values`: a URL when the result has `://`, else a
    /// file relative to `directory`. Sources without `${` are returned as they are.
    public func expanding(_ values: [String: String], directory: String) throws(HangarError) -> ImageSource {
        guard case .url(let text, let sha256) = self, text.contains("${") else { return self }
        let result = try text.expandingParameters(values)
        return result.contains("://") ? .url(result, sha256: sha256) : .file(resolve(result, in: directory))
    }
}

extension String {
    /// The text with each `${NAME}` replaced by `values[NAME]`; a name the run does not have is an
    /// error saying how to declare it.
    public func expandingParameters(_ values: [String: String]) throws(HangarError) -> String {
        var result = ""
        var rest = Substring(self)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw .usage(.configExpansion, "'\(self)' has a '${' without its '}'")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = values[name] else {
                throw .usage(
                    .configExpansion,
                    "'\(self)' needs parameter '\(name)', which this run does not have",
                    hint: "declare it under the job's 'parameters:' (with a default, or give it with --param \(name)=...)"
                )
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

extension MachineSpec {
    /// The machine with `${NAME}` in its image, kernel and initrd filled in from a run's parameters.
    public func expanding(_ values: [String: String], directory: String) throws(HangarError) -> MachineSpec {
        var machine = self
        machine.image = try image?.expanding(values, directory: directory)
        machine.kernel = try kernel?.expanding(values, directory: directory)
        machine.initrd = try initrd?.expanding(values, directory: directory)
        return machine
    }
}
