import Foundation

/// Finds free TCP ports on 127.0.0.1.
public enum PortPicker {
    /// True when `port` can be bound on `host` (an IPv4 address) right now.
    public static func isFree(_ port: Int, host: String = "127.0.0.1") -> Bool { bind(port, host: host) != nil }

    /// A port the kernel says is free.
    public static func freePort() -> Int { bind(0) ?? 0 }

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
