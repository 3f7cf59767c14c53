import Foundation
import HangarCore
import HangarEngine
import Testing

/// What a project's plans check before anything boots: each job's machine, where it needs one.
@Suite struct JobMachineTests {
    func validate(_ text: String) throws(HangarError) {
        try JobPlan.validate(try ProjectFile.parse(text, path: "/p/hangar.yml", displayName: "hangar.yml"))
    }

    @Test func aProjectOfHostTasksNeedsNoMachines() throws {
        try validate("jobs:\n  lint:\n    tasks: [{ host: make lint }]\n")
    }

    @Test(arguments: [
        (
            "jobs:\n  t:\n    tasks: [{ run: make }]\n", "hangar.yml:3:5: job 't' runs tasks in a machine, and no machine is defined",
            "add a 'machines:' section"
        ),
        (
            "machines:\n  default:\n    image: ./a\njobs:\n  t:\n    machine: defualt2\n    tasks: [{ run: make }]\n",
            "hangar.yml:6:5: job 't' uses machine 'defualt2', which is not defined", "machines defined: default"
        ),
        (
            "jobs:\n  lint:\n    keep: 1h\n    tasks: [{ host: make lint }]\n",
            "hangar.yml:3:5: job 'lint' says 'keep:', but it boots no machine to keep",
            "remove 'keep:'"
        ),
    ])
    func aJobInAMissingMachineSaysWhichThereAre(text: String, message: String, hint: String) {
        #expect { try validate(text) } throws: { error in
            let error = error as? HangarError
            return error?.description.hasPrefix(message) == true && error?.hint?.contains(hint) == true && error?.kind == .usage
        }
    }

    @Test func theFilesAMachineNamesAreCheckedForWhatTheyAre() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-files-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: "\(folder)/share", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(folder)/disk.qcow2", contents: Data())
        func machine(image: String, share: String) throws -> MachineSpec {
            let text = "machines:\n  default:\n    image: \(image)\n    share: \(share)\n"
            return try ProjectFile.parse(text, path: "\(folder)/hangar.yml", displayName: "hangar.yml").machine(named: "default")
        }
        try machine(image: "./disk.qcow2", share: "./share").checkFiles()
        #expect { try machine(image: "./share", share: "./share").checkFiles() } throws: { error in
            (error as? HangarError)?.description.hasPrefix("hangar.yml:3:12: image: \(folder)/share is a folder, not a file") == true
        }
        #expect { try machine(image: "./disk.qcow2", share: "./disk.qcow2").checkFiles() } throws: { error in
            (error as? HangarError)?.description.hasPrefix("hangar.yml:4:12: share: \(folder)/disk.qcow2 is a file, not a folder") == true
        }
    }
}
