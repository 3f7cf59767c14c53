import Foundation
import Synchronization

/// Finds free TCP ports on 127.0.0.1.
///
/// Ports are picked below the kernel's ephemeral range (`ip_local_port_range`, by default from
/// 32768), never in it: a port from that range can be taken at any moment as the source port of an
/// outgoing connection, so a server stopped for a moment (a PostgreSQL restarted, a QEMU restored)
/// could not bind its port again. And a port handed out is not handed out again by this process for
/// a while, so one briefly closed is not given to someone else meanwhile.
public enum PortPicker {
    /// The ports handed out lately, oldest first.
    private static let recent = Mutex<[Int]>([])
    /// How many handed-out ports are remembered.
    private static let remembered = 2000

    /// True when `port` can be bound on `host` (an IPv4 address) right now.
    public static func isFree(_ port: Int, host: String = "127.0.0.1") -> Bool { bind(port, host: host) != nil }

    /// A port nothing listens on, below the ephemeral range, not handed out lately.
    public static func freePort() -> Int {
        let range = pickRange()
        for _ in 0..<200 {
            let port = Int.random(in: range)
            let fresh = recent.withLock { recent in
                guard !recent.contains(port) else { return false }
                recent.append(port)
                if recent.count > remembered { recent.removeFirst() }
                return true
            }
            if fresh, isFree(port) { return port }
        }
        // A host whose low ports are all taken: the kernel's choice.
        return bind(0) ?? 0
    }

    /// The ports to pick from: the 12,000 below the kernel's ephemeral range, at least 1024.
    static func pickRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let first = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        let upper = max(first - 1, 2048)
        return max(1024, upper - 12000)...upper
    }

    private static func bind(_ port: Int, host: String = "127.0.0.1") -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // As servers (NIO, QEMU's slirp) bind: a port whose old connections wait in TIME_WAIT is free.
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
