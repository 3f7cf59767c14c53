import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport

/// A network namespace joined to the host by a veth pair (`ip netns`, `ip link`, from iproute2):
/// a second host on this machine, whose link the test can cut and restore. Only loopback-like
/// private addresses are used (10.231.N.0/24), never the machine's own network.
struct NetworkNamespace {
    let name: String
    let hostSide: String
    let subnet: Int

    /// The host's address on the link, and the namespace's.
    var hostAddress: String { "10.231.\(subnet).1" }
    var address: String { "10.231.\(subnet).2" }

    /// Runs a program inside the namespace: its arguments, prefixed.
    var prefix: [String] { ["ip", "netns", "exec", name] }

    /// Runs `body` with a new namespace, removed afterwards whatever happens.
    static func with<T>(_ body: (NetworkNamespace) async throws -> T) async throws -> T {
        let namespace = try await create()
        do {
            let result = try await body(namespace)
            await namespace.remove()
            return result
        } catch {
            await namespace.remove()
            throw error
        }
    }

    private static func create() async throws -> NetworkNamespace {
        let id = Int(getpid()) % 250 + 1
        let namespace = NetworkNamespace(name: "hangar-test-\(id)", hostSide: "hgr\(id)h", subnet: id)
        await namespace.remove()
        let inside = "hgr\(id)n"
        for command in [
            ["ip", "netns", "add", namespace.name],
            ["ip", "link", "add", namespace.hostSide, "type", "veth", "peer", "name", inside],
            ["ip", "link", "set", inside, "netns", namespace.name],
            ["ip", "addr", "add", "\(namespace.hostAddress)/24", "dev", namespace.hostSide],
            ["ip", "link", "set", namespace.hostSide, "up"],
            namespace.prefix + ["ip", "addr", "add", "\(namespace.address)/24", "dev", inside],
            namespace.prefix + ["ip", "link", "set", inside, "up"],
            namespace.prefix + ["ip", "link", "set", "lo", "up"],
        ] {
            try await Command.check(command, code: .testNetns)
        }
        return namespace
    }

    /// Drops the link: nothing passes between the namespace and the host.
    func cut() async throws { try await Command.check(["ip", "link", "set", hostSide, "down"], code: .testNetns) }

    /// Brings the link back.
    func restore() async throws { try await Command.check(["ip", "link", "set", hostSide, "up"], code: .testNetns) }

    /// Removes the namespace and its link (removing one end of a veth pair removes both).
    func remove() async {
        _ = try? await Command.run(["ip", "link", "del", hostSide])
        _ = try? await Command.run(["ip", "netns", "del", name])
    }
}
