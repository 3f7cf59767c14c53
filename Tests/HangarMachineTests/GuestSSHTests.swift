import Foundation
import HangarCore
import HangarMachine
import HangarTestSupport
import Testing

/// The guest's SSH client on a scripted process runner (no ssh, no guest): the command lines it
/// builds, and why a boot's wait for SSH gives up, each with its code.
@Suite final class GuestSSHTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-guestssh-\(UUID().uuidString.prefix(8))").path
    let processes = ScriptedProcesses()
    let guest: GuestSSH

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guest = GuestSSH(.scripted(folder: folder), processes: processes)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ name: String, _ text: String) throws { try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8) }

    @Test func commandsGoAfterTheDestinationAndCopiesGoThroughTar() async throws {
        processes.answer("uname", .init(stdout: "Linux\n"))
        #expect(try await guest.run("uname").stdout == "Linux\n")
        let ssh = try #require(processes.calls.first?.arguments)
        #expect(ssh.first == "ssh" && ssh.suffix(3) == ["hangar@127.0.0.1", "--", "uname"])
        #expect(ssh.contains("ControlPath=\(folder)/ssh.ctl") && ssh.contains("UserKnownHostsFile=\(folder)/known_hosts"))

        try await guest.copyIn("/host/src", to: "/srv")
        let copy = try #require(processes.calls.last?.arguments)
        #expect(copy.prefix(2) == ["sh", "-c"] && copy[2].hasPrefix("tar -C /host -cf - src | ssh "))
        #expect(copy[2].hasSuffix("-- 'mkdir -p /srv && tar -C /srv -xf -'"))
        processes.answer("tar -C /host", .init(status: 2, stderr: "tar: src: Cannot stat\n"))
        let failed = try #require(await failure { try await self.guest.copyIn("/host/src", to: "/srv") })
        #expect(failed.code == .guestCopy && failed.message == "cannot copy /host/src into the guest: tar: src: Cannot stat")
    }

    @Test func theWaitForSSHRetriesUntilItAnswers() async throws {
        processes.answer("-- true", .init(status: 255), .init(status: 255), .init(status: 0))
        try await guest.waitUntilReachable(timeout: .seconds(30)) { true }
        #expect(processes.calls.count == 3)
    }

    @Test func theWaitForSSHSaysWhyAGuestNeverAnswers() async throws {
        processes.answer("-- true", .init(status: 255))
        try write("qemu.log", "qemu-system-x86_64: cannot open disk.qcow2\n")
        try write("serial.log", "")
        let exited = try #require(await failure { try await self.guest.waitUntilReachable(timeout: .seconds(30)) { false } })
        #expect(exited.code == .machineExited && exited.message.contains("cannot open disk.qcow2"))

        let silent = try #require(await failure { try await self.guest.waitUntilReachable(timeout: .seconds(30), watchdog: .zero) { true } })
        #expect(silent.code == .machineSilent && silent.hint?.contains("boot-watchdog: 0") == true)

        try write("serial.log", "Booting\n")
        let late = try #require(await failure { try await self.guest.waitUntilReachable(timeout: .milliseconds(300), watchdog: .zero) { true } })
        #expect(late.code == .machineSshTimeout && late.message.contains("did not answer SSH on port 22 within") && late.message.contains("Booting"))

        try write("serial.log", "Booting\nKernel panic - not syncing: VFS: Unable to mount root fs\n")
        let panic = try #require(await failure { try await self.guest.waitUntilReachable(timeout: .seconds(30)) { true } })
        #expect(panic.code == .machinePanic && panic.message.contains("VFS: Unable to mount root fs"))
    }
}
