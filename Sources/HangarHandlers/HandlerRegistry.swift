public import HangarCore

/// The built-in handlers, by name.
public enum HandlerRegistry {
    /// Every handler, in the order `hangar handlers` lists them.
    public static let all: [any Handler.Type] = [
        ImageFetch.self, MachineBoot.self, GuestRun.self, HostRun.self, Copy.self, Collect.self, Wait.self, MachineDestroy.self, Notify.self,
        SnapshotsPrune.self,
    ]

    /// True when a task of handler `name` needs the job's machine (unknown names count as needing it).
    public static func needsMachine(_ name: String) -> Bool { all.first { $0.name == name }?.needsMachine ?? true }

    /// Builds the handler a task names, checking its options; errors point at the task.
    public static func make(_ task: TaskSpec) throws(HangarError) -> any Handler {
        // Closures, not `\.name`: a key path on `any Handler.Type` crashes Swift 6.3's SILGen.
        guard let type = all.first(where: { $0.name == task.handler }) else {
            throw .usage(
                .configUnknownHandler,
                "unknown handler '\(task.handler)'\(Suggestion.phrase(for: task.handler, in: all.map { $0.name }))",
                hint: "'hangar handlers' lists them",
                at: task.location
            )
        }
        let reader = try OptionReader(task.options, docs: type.options, handler: type.name, location: task.location)
        return try type.make(reader)
    }
}
