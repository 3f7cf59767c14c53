import ArgumentParser

/// `--param NAME=VALUE` options as a dictionary.
enum ParameterArguments {
    static func parse(_ arguments: [String]) throws -> [String: String] {
        var values: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--param takes NAME=VALUE, not '\(argument)'")
            }
            values[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        return values
    }
}
