import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarMachine

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a commented hangar.yml for an image.")

    @Option(help: "Image URL (https://…) or a local disk image path.")
    var image: String

    @Option(name: [.short, .long], help: "The file to write.")
    var file = "hangar.yml"

    @Flag(help: "Overwrite an existing file.")
    var force = false

    func run() throws {
        guard force || !FileManager.default.fileExists(atPath: file) else {
            throw ValidationError("\(file) already exists; pass --force to overwrite it")
        }
        try ProjectTemplate.text(image: image).write(toFile: file, atomically: true, encoding: .utf8)
        print("wrote \(file); next: 'hangar up', then 'hangar ssh'")
    }
}
