/// `matrix:` — parameters and the values each takes: a job with one runs once for every
/// combination (a cell), as Cockpit runs every image × scenario of its testmap. Each value names
/// itself (the last part of its path without the extension: `https://…/debian-12.qcow2` is
/// `debian-12`, or its `name:`), and a cell is named by its values' names (`debian-12/selinux`).
/// `exclude:` drops the cells that have all the values an entry gives (by value or name);
/// `include:` adds whole cells (a value for every parameter).
public struct JobMatrix: Sendable, Equatable {
    /// One value of a parameter, with its name.
    public struct Value: Sendable, Equatable {
        public var value: String
        public var name: String
    }

    /// A parameter and its values, in the order written.
    public struct Axis: Sendable, Equatable {
        public var parameter: String
        public var values: [Value]

        /// Its value that `wanted` is, or names.
        func value(_ wanted: String) -> Value? { values.first { $0.value == wanted || $0.name == wanted } }
    }

    /// One combination: its name and the parameters it gives the run.
    public struct Cell: Sendable, Equatable {
        public var name: String
        public var parameters: [String: String]

        public init(name: String, parameters: [String: String]) {
            self.name = name
            self.parameters = parameters
        }
    }

    public var axes: [Axis]
    /// Every cell, in order: the combinations of the axes (the last axis changing fastest) without
    /// the excluded ones, then the included ones.
    public var cells: [Cell]

    /// Most cells one matrix may have.
    public static let maxCells = 256

    /// The name a value gets when it has none: the last part of its path, without the extension.
    public static func name(of value: String) -> String {
        let last = value.split(separator: "/").last.map(String.init) ?? value
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return last }
        return String(last[..<dot])
    }

    /// The cells whose parameters have every value of `given` that names an axis (`--param
    /// IMAGE=debian-12` picks the debian-12 cells; by value or by the value's name).
    public func cells(matching given: [String: String]) -> [Cell] {
        cells.filter { cell in
            axes.allSatisfy { axis in
                guard let wanted = given[axis.parameter] else { return true }
                return cell.parameters[axis.parameter] == (axis.value(wanted)?.value ?? wanted)
            }
        }
    }
}

extension JobMatrix {
    static func parse(_ yaml: YAMLValue) throws(HangarError) -> JobMatrix {
        var axes: [Axis] = []
        var exclude: [(YAMLValue, [String: String])] = []
        var include: [(YAMLValue, [String: String])] = []
        for (key, value) in try yaml.entries(what: "matrix parameter") {
            switch key {
            case "exclude": for item in try value.items() { exclude.append((item, try Self.choice(item))) }
            case "include": for item in try value.items() { include.append((item, try Self.choice(item))) }
            default:
                guard JobParameter.isValidName(key) else {
                    throw value.error("matrix parameter '\(key)' is not a shell variable name", hint: "use letters, digits and '_', such as IMAGE")
                }
                var values: [Value] = []
                for item in try value.items() {
                    let parsed = try Self.value(item)
                    if let same = values.first(where: { $0.name == parsed.name }) {
                        throw item.error(
                            "two values of \(key) are both named '\(parsed.name)' ('\(same.value)' and '\(parsed.value)')",
                            hint: "give one a name: { value: ..., name: ... }"
                        )
                    }
                    values.append(parsed)
                }
                if values.isEmpty { throw value.error("matrix parameter \(key) has no values") }
                axes.append(Axis(parameter: key, values: values))
            }
        }
        if axes.isEmpty { throw yaml.error("a matrix needs at least one parameter with its values", hint: "such as IMAGE: [a.qcow2, b.qcow2]") }
        var cells = Self.combinations(axes)
        for (item, choice) in exclude {
            let wanted = try Self.resolve(choice, in: axes, at: item, whole: false)
            cells.removeAll { cell in wanted.allSatisfy { cell.parameters[$0.key] == $0.value } }
        }
        for (item, choice) in include {
            let parameters = try Self.resolve(choice, in: axes, at: item, whole: true)
            guard !cells.contains(where: { $0.parameters == parameters }) else { continue }
            cells.append(Cell(name: Self.cellName(parameters, axes: axes), parameters: parameters))
        }
        if cells.isEmpty { throw yaml.error("the matrix has no cells left: 'exclude:' drops them all") }
        if cells.count > maxCells { throw yaml.error("the matrix has \(cells.count) cells; at most \(maxCells)") }
        return JobMatrix(axes: axes, cells: cells)
    }

    /// `VALUE` or `{ value: VALUE, name: NAME }`.
    private static func value(_ item: YAMLValue) throws(HangarError) -> Value {
        guard item.isMapping else {
            let text = try item.string()
            return Value(value: text, name: name(of: text))
        }
        var value: String?
        var name: String?
        for (key, field) in try item.entries(allowed: ["value", "name"]) {
            if key == "value" { value = try field.string() } else { name = try field.string() }
        }
        guard let value else { throw item.error("a matrix value needs 'value:'") }
        if let name, name.isEmpty || name.contains("/") { throw item.error("a value's name is a word without '/', not '\(name)'") }
        return Value(value: value, name: name ?? Self.name(of: value))
    }

    /// An `exclude:` or `include:` entry: parameter to value (or value's name).
    private static func choice(_ item: YAMLValue) throws(HangarError) -> [String: String] {
        var choice: [String: String] = [:]
        for (key, value) in try item.entries(what: "matrix parameter") { choice[key] = try value.string() }
        return choice
    }

    /// `choice` with each value's name turned into its value; every parameter named when `whole`.
    private static func resolve(_ choice: [String: String], in axes: [Axis], at item: YAMLValue, whole: Bool) throws(HangarError) -> [String: String]
    {
        let names = axes.map(\.parameter)
        var resolved: [String: String] = [:]
        for (parameter, wanted) in choice.sorted(by: { $0.key < $1.key }) {
            guard let axis = axes.first(where: { $0.parameter == parameter }) else {
                throw item.error(
                    "the matrix has no parameter '\(parameter)'\(Suggestion.phrase(for: parameter, in: names))",
                    hint: "its parameters: \(names.joined(separator: ", "))"
                )
            }
            if let known = axis.value(wanted) {
                resolved[parameter] = known.value
            } else if whole {
                resolved[parameter] = wanted  // an included cell may bring a value of its own
            } else {
                throw item.error(
                    "\(parameter) has no value '\(wanted)'",
                    hint: "its values: \(axis.values.map(\.name).joined(separator: ", "))"
                )
            }
        }
        if whole, let missing = names.first(where: { resolved[$0] == nil }) {
            throw item.error("an included cell needs a value for every matrix parameter; it has none for \(missing)")
        }
        return resolved
    }

    private static func combinations(_ axes: [Axis]) -> [Cell] {
        var cells = [Cell(name: "", parameters: [:])]
        for axis in axes {
            cells = cells.flatMap { cell in
                axis.values.map { value in
                    Cell(
                        name: cell.name.isEmpty ? value.name : "\(cell.name)/\(value.name)",
                        parameters: cell.parameters.merging([axis.parameter: value.value]) { $1 }
                    )
                }
            }
        }
        return cells
    }

    private static func cellName(_ parameters: [String: String], axes: [Axis]) -> String {
        axes.map { axis in
            let value = parameters[axis.parameter] ?? ""
            return axis.value(value)?.name ?? name(of: value)
        }
        .joined(separator: "/")
    }
}

extension JobSpec {
    /// The cells a trigger of this job runs, wherever it is run (`hangar run`, `hangar up`, the
    /// server): one with no parameters for a job without a matrix; else the matrix's cells with the
    /// values `given` names (a value or its name), or the one named `only`.
    public func cells(given: [String: String], only: String? = nil) throws(HangarError) -> [JobMatrix.Cell] {
        guard let matrix else {
            if let only { throw .usage(.jobUnknownCell, "job '\(name)' has no matrix, so no cell '\(only)'") }
            return [JobMatrix.Cell(name: "", parameters: [:])]
        }
        let names = matrix.cells.map(\.name)
        var cells = matrix.cells(matching: given)
        if let only { cells = cells.filter { $0.name == only } }
        guard cells.isEmpty else { return cells }
        throw .usage(
            .jobUnknownCell,
            only.map { "job '\(name)' has no cell '\($0)'\(Suggestion.phrase(for: $0, in: names))" }
                ?? "no cell of job '\(name)' has the values given",
            hint: "its cells: \(names.joined(separator: ", "))"
        )
    }
}
