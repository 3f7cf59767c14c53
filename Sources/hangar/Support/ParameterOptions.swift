import ArgumentParser

/// `--param NAME=VALUE`, for `run` and `remote trigger`.
struct ParameterOptions: ParsableArguments {
    @Option(
        name: .customLong("param"),
        help: ArgumentHelp("A job parameter, given to its tasks as an environment variable.", valueName: "NAME=VALUE")
    )
    var parameters: [String] = []

    /// The options as a dictionary.
    func values() throws -> [String: String] {
        var values: [String: String] = [:]
        for argument in parameters {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--param takes NAME=VALUE, not '\(argument)'")
            }
            values[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        return values
    }
}
