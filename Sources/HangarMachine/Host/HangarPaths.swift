import Foundation

/// Where Hangar keeps its files on this host.
///
/// Images are cached per user (`$HANGAR_CACHE_DIR`, else `$XDG_CACHE_HOME/hangar`, else `~/.cache/hangar`);
/// machine state folders hold sockets, so they live under a short path (`$HANGAR_STATE_DIR`, else
/// `$XDG_STATE_HOME/hangar`, else `~/.local/state/hangar`).
public struct HangarPaths: Sendable {
    /// The image cache.
    public var cache: String
    /// Machine state folders.
    public var state: String

    /// Creates explicit paths (tests use temporary folders).
    public init(cache: String, state: String) {
        self.cache = cache
        self.state = state
    }

    /// The paths from the environment, as documented above.
    public static func fromEnvironment() -> HangarPaths {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        let cache = environment["HANGAR_CACHE_DIR"] ?? "\(environment["XDG_CACHE_HOME"] ?? "\(home)/.cache")/hangar"
        let state = environment["HANGAR_STATE_DIR"] ?? "\(environment["XDG_STATE_HOME"] ?? "\(home)/.local/state")/hangar"
        return HangarPaths(cache: cache, state: state)
    }
}
