import Foundation

/// A minimal QMP client: connect to the machine's socket, negotiate, send one command.
enum QMPClient {
    /// Sends `command` (e.g. `quit`, `query-status`) with `arguments` (a JSON object's text) and
    /// returns QEMU's answer line; nil when unreachable.
    static func execute(_ command: String, arguments: String? = nil, socket path: String) -> String? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return nil }
        var reader = LineReader(fd: fd)
        _ = reader.next()  // greeting
        guard send(fd, #"{"execute":"qmp_capabilities"}"# + "\n"), reader.next() != nil else { return nil }
        guard send(fd, #"{"execute":"\#(command)""# + (arguments.map { #","arguments":\#($0)"# } ?? "") + "}\n") else { return nil }
        while let line = reader.next() {
            if line.contains("\"return\"") || line.contains("\"error\"") { return line }
        }
        return nil
    }

    private static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    private struct LineReader {
        let fd: Int32
        var buffer: [UInt8] = []

        mutating func next() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    defer { buffer.removeSubrange(0...newline) }
                    return String(decoding: buffer[..<newline], as: UTF8.self)
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
                guard count > 0 else { return nil }
                buffer += chunk[..<count]
            }
        }
    }
}
