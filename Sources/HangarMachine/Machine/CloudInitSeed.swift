import Foundation
import HangarCore

/// Writes a cloud-init NoCloud seed (an ISO 9660 volume labelled `cidata`) that creates the login
/// user with Hangar's generated key, passwordless sudo, and the machine's hostname.
enum CloudInitSeed {
    static func userData(user: String, publicKey: String, hostname: String) -> String {
        """
        #cloud-config
        hostname: \(hostname)
        users:
          - name: \(user)
            sudo: "ALL=(ALL) NOPASSWD:ALL"
            lock_passwd: true
            ssh_authorized_keys:
              - "\(publicKey)"

        """
    }

    static func write(to path: String, user: String, publicKey: String, hostname: String, instanceID: String) async throws(HangarError) {
        let folder = "\(path).d"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try userData(user: user, publicKey: publicKey, hostname: hostname)
                .write(toFile: "\(folder)/user-data", atomically: true, encoding: .utf8)
            try "instance-id: \(instanceID)\nlocal-hostname: \(hostname)\n"
                .write(toFile: "\(folder)/meta-data", atomically: true, encoding: .utf8)
        } catch {
            throw HangarError(.machineSeed, "cannot write the cloud-init seed in \(folder): \(error.localizedDescription)", cause: error)
        }
        try await Command.check(
            ["genisoimage", "-quiet", "-output", path, "-volid", "cidata", "-joliet", "-rock", "\(folder)/user-data", "\(folder)/meta-data"],
            code: .machineSeed
        )
    }
}
