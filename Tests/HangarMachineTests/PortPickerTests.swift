import Foundation
import HangarMachine
import Testing

/// Ports handed out stay clear of the kernel's ephemeral range, which outgoing connections take
/// their source ports from, and are not handed out twice in a row by one process: a server that
/// stops for a moment (a PostgreSQL restarted by a test) finds its port again.
@Suite struct PortPickerTests {
    @Test func portsAreBelowTheEphemeralRangeAndNotRepeated() throws {
        let text = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        let ephemeral = try #require(text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) })
        let ports = (0..<500).map { _ in PortPicker.freePort() }
        #expect(ports.allSatisfy { $0 >= 1024 && $0 < ephemeral }, "\(ports.filter { $0 >= ephemeral })")
        #expect(Set(ports).count == ports.count, "a port was handed out twice")
        #expect(ports.allSatisfy { PortPicker.isFree($0) })
    }
}
