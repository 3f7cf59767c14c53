/// A job's machines booted together share a private network of their own (`machines: [db, web]`).
///
/// Unprivileged and on this host only: each guest gets a second NIC, and the first machine's QEMU is
/// the network's hub (QEMU's `hubport`), linked to every other machine by a pair of unix datagram
/// sockets (`-netdev dgram`), each bound in its own machine's state folder. A QEMU sends to a
/// symbolic link in its own folder (`peer.sock`), made to point at the other end's socket once both
/// machines are there (`wiring`): so a machine restored ahead of its run (the warm pool), whose
/// folder no plan could name, joins the network as one booted for it does. No multicast, no bridge,
/// no extra process: the network lives and dies with the machines, and their folders hold it all.
/// A hub repeats every frame to every port; enough for a test network of a few machines.
/// Addresses are `10.76.0.N/24` in the job's order (the first machine is `.1`), and every machine's
/// name is in every guest's `/etc/hosts`.
public enum PrivateNetwork {
    /// The network's prefix.
    public static let prefix = "10.76.0."

    /// The NIC of each of `machines` (name and planned state folder id, in the job's order), by
    /// name; nothing for a single machine, which needs no network.
    public static func plan(_ machines: [(name: String, id: String)]) -> [String: PrivateNIC] {
        guard machines.count > 1 else { return [:] }
        let hosts = machines.enumerated().map { PrivateNIC.Host(name: $0.element.name, address: "\(prefix)\($0.offset + 1)") }
        let hub = machines[0]
        var nics: [String: PrivateNIC] = [:]
        var hubLinks: [PrivateNIC.Link] = []
        for (index, machine) in machines.enumerated().dropFirst() {
            let hubSocket = "net-\(index + 1).sock"
            hubLinks.append(PrivateNIC.Link(local: hubSocket, remote: "peer-\(index + 1).sock", peer: machine.name, peerSocket: "net.sock"))
            let link = PrivateNIC.Link(local: "net.sock", remote: "peer.sock", peer: hub.name, peerSocket: hubSocket)
            nics[machine.name] = PrivateNIC(index: index + 1, hub: false, links: [link], hosts: hosts, peers: [])
        }
        nics[hub.name] = PrivateNIC(index: 1, hub: true, links: hubLinks, hosts: hosts, peers: [])
        for machine in machines { nics[machine.name]?.peers = machines.map(\.id).filter { $0 != machine.id } }
        return nics
    }

    /// The symbolic links that connect the machines whose state folders are known (`folders`, by
    /// name): for each link of theirs whose other end is known too, where it is and what it points at.
    public static func wiring(_ nics: [String: PrivateNIC], folders: [String: String]) -> [(link: String, target: String)] {
        var wiring: [(link: String, target: String)] = []
        for (name, folder) in folders.sorted(by: { $0.key < $1.key }) {
            for link in nics[name]?.links ?? [] {
                guard let peerFolder = folders[link.peer] else { continue }
                wiring.append(("\(folder)/\(link.remote)", "\(peerFolder)/\(link.peerSocket)"))
            }
        }
        return wiring
    }
}

/// One machine's NIC on its job's private network (`PrivateNetwork`).
public struct PrivateNIC: Sendable, Hashable, Codable {
    /// A point-to-point link, by file names in the machine's state folder: the socket its QEMU
    /// binds, and the symbolic link it sends to, which points at socket `peerSocket` of machine
    /// `peer`.
    public struct Link: Sendable, Hashable, Codable {
        public var local: String
        public var remote: String
        public var peer: String
        public var peerSocket: String

        public init(local: String, remote: String, peer: String, peerSocket: String) {
            self.local = local
            self.remote = remote
            self.peer = peer
            self.peerSocket = peerSocket
        }
    }

    /// A name and its address, for `/etc/hosts`.
    public struct Host: Sendable, Hashable, Codable {
        public var name: String
        public var address: String
    }

    /// The machine's place in the job (1 for the first): its address and MAC end with it.
    public var index: Int
    /// True for the first machine, whose QEMU links to all others.
    public var hub: Bool
    /// Its links: one to the hub, or the hub's to every other machine.
    public var links: [Link]
    /// Every machine on the network.
    public var hosts: [Host]
    /// The state folder ids of the other machines, destroyed with it.
    public var peers: [String]

    /// `10.76.0.N`.
    public var address: String { "\(PrivateNetwork.prefix)\(index)" }
    /// A locally administered MAC, so the guest finds this NIC among its others.
    public var mac: String {
        let hex = String(index, radix: 16)
        return "52:54:00:76:00:\(hex.count < 2 ? "0" : "")\(hex)"
    }

    /// QEMU's arguments for the NIC and its links, for a machine whose state folder is `folder`.
    public func qemuArguments(folder: String) -> [String] {
        let nic = ["-device", "virtio-net-pci,netdev=private,mac=\(mac)"]
        func dgram(_ id: String, _ link: Link) -> [String] {
            ["-netdev", "dgram,id=\(id),local.type=unix,local.path=\(folder)/\(link.local),remote.type=unix,remote.path=\(folder)/\(link.remote)"]
        }
        guard hub else { return dgram("private", links[0]) + nic }
        var arguments = ["-netdev", "hubport,id=private,hubid=0"] + nic
        for (number, link) in links.enumerated() {
            arguments += dgram("link\(number)", link) + ["-netdev", "hubport,id=port\(number),hubid=0,netdev=link\(number)"]
        }
        return arguments
    }

    /// The shell script that gives the guest's NIC its address and puts every machine in `/etc/hosts`
    /// (as root, or through sudo). It can run again (a restored machine runs it once more).
    public var setupScript: String {
        let hostLines = hosts.map { "\($0.address) \($0.name) # hangar-network" }.joined(separator: "\n")
        return """
            set -e
            nic=
            for path in /sys/class/net/*; do [ "$(cat "$path/address")" = \(mac) ] && nic=${path##*/}; done
            [ -n "$nic" ] || { echo "hangar: the guest has no network interface with address \(mac)" >&2; exit 1; }
            as_root=; [ "$(id -u)" = 0 ] || as_root=sudo
            $as_root ip link set dev "$nic" up
            $as_root ip addr flush dev "$nic"
            $as_root ip addr add \(address)/24 dev "$nic"
            $as_root sh -c 'touch /etc/hosts && sed -i "/# hangar-network$/d" /etc/hosts && cat >> /etc/hosts' <<'HOSTS'
            \(hostLines)
            HOSTS
            """
    }
}
