import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List this project's machines: state, image, ports, ssh line.")

    @OptionGroup var project: ProjectOptions

    @Flag(help: "Print JSON.")
    var json = false

    struct Row: Encodable {
        var name: String
        var state: String
        var image: String
        var accel: String
        var sshPort: Int
        var ports: [PortForward]
        /// Its address on the private network of the machines its job booted with it.
        var address: String?
        var ssh: String
        var folder: String
    }

    func run() throws {
        let rows = try project.workspace().list().map { record, state in
            Row(
                name: record.ephemeral ? "\(record.name) (run)" : record.name,
                state: state.rawValue,
                image: record.image,
                accel: record.accel,
                sshPort: record.sshPort,
                ports: record.ports,
                address: record.network?.address,
                ssh: GuestSSH(record).commandLine,
                folder: record.folder
            )
        }
        if json { return try Terminal.json(rows) }
        if rows.isEmpty { return print("no machines; 'hangar up' starts one") }
        Terminal.table(
            ["NAME", "STATE", "IMAGE", "PORTS", "ADDRESS", "SSH"],
            rows.map {
                [$0.name, $0.state, $0.image, ($0.ports.map(\.description) + ["\($0.sshPort):22"]).joined(separator: ","), $0.address ?? "-", $0.ssh]
            }
        )
    }
}

struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the machine's forwarded ports (host → guest).")

    @OptionGroup var options: MachineOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let record = try options.running()
        let ports = [PortForward(host: record.sshPort, guest: 22)] + record.ports
        if json { return try Terminal.json(ports) }
        Terminal.table(["HOST", "GUEST"], ports.map { ["127.0.0.1:\($0.host)", "\($0.guest)"] })
    }
}
