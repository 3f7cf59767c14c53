/// Where the notices of this host's machines go in server mode (a boot retried, a port changed, a
/// machine restored from its snapshot): into the log of the run whose task caused them, as `note:`
/// lines. `Workspace` sets the current run around each run's tasks; the notice handler reads it
/// (a task-local value, so the concurrent runs of a worker each get their own).
public enum RunNotices {
    @TaskLocal static var current: (@Sendable (String) -> Void)?

    /// A `Machines` notice handler writing into the current run's log (nothing outside a run).
    public static let toCurrentRun: @Sendable (String) -> Void = { current?($0) }
}
