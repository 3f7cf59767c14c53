/// What a token may do; each role may do what the ones before it may.
public enum Role: String, Sendable, Codable, Comparable, CaseIterable {
    /// Read runs, logs, projects and machines.
    case viewer
    /// Also trigger, cancel and retrigger runs.
    case `operator`
    /// Everything, including the server's own settings.
    case admin

    public static func < (left: Role, right: Role) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }
}
