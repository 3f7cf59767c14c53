import Foundation
import HangarCore
import HangarMachine
import Testing
import Yams

/// The deployment files in `deploy/` parse, and every flag they pass to `hangar` is one the real
/// binary takes (so they cannot drift from the commands).
@Suite struct DeploymentTests {
    let deploy = "\(packageRoot)/deploy"

    /// The long options `hangar SUBCOMMAND --help` lists.
    func options(of subcommand: String) async throws -> Set<String> {
        let help = try await Command.run(["\(packageRoot)/.build/debug/hangar", subcommand, "--help"]).stdout
        let matches = help.matches(of: /--[a-z][a-z-]+/).map { String($0.output) }
        return Set(matches)
    }

    /// Checks that the flags in `arguments` (after the subcommand) are `hangar SUBCOMMAND`'s.
    func expectKnownFlags(_ arguments: [String], in file: String) async throws {
        let subcommand = try #require(arguments.first, "\(file): no subcommand")
        #expect(["serve", "worker"].contains(subcommand), "\(file): \(subcommand)")
        let known = try await options(of: subcommand)
        #expect(known.count > 3)
        for flag in arguments.dropFirst() where flag.hasPrefix("--") {
            #expect(known.contains(flag), "\(file): 'hangar \(subcommand)' has no \(flag)")
        }
    }

    @Test func kubernetesManifestsParseAndUseRealFlags() async throws {
        var kinds: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: "\(deploy)/kubernetes").sorted() where name.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: "\(deploy)/kubernetes/\(name)", encoding: .utf8)
            for case let document as [String: Any] in try Yams.load_all(yaml: text) {
                let kind = try #require(document["kind"] as? String, "\(name): a document without kind")
                kinds.append(kind)
                let metadata = try #require(document["metadata"] as? [String: Any], "\(name): \(kind) without metadata")
                #expect(metadata["name"] is String)
                if kind != "Namespace" { #expect(metadata["namespace"] as? String == "hangar", "\(name): \(kind)") }
                let spec = (document["spec"] as? [String: Any])?["template"] as? [String: Any]
                let containers = ((spec?["spec"] as? [String: Any])?["containers"] as? [[String: Any]]) ?? []
                for container in containers where (container["image"] as? String)?.contains("hangar") == true {
                    let arguments: [Any] = try #require(container["args"] as? [Any], "\(name): no args")
                    try await expectKnownFlags(arguments.map { "\($0)" }, in: name)
                }
                if kind == "DaemonSet" { #expect(text.contains("/dev/kvm"), "workers get /dev/kvm") }
            }
        }
        #expect(Set(kinds).isSuperset(of: ["Namespace", "Secret", "Deployment", "Service", "DaemonSet", "StatefulSet"]), "\(kinds)")
    }

    @Test func systemdUnitsHaveTheirSectionsAndUseRealFlags() async throws {
        for name in ["hangar-serve.service", "hangar-worker.service"] {
            let text = try String(contentsOfFile: "\(deploy)/systemd/\(name)", encoding: .utf8)
            var sections: [String: [String: String]] = [:]
            var current = ""
            for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty && !line.hasPrefix("#") {
                if line.hasPrefix("[") {
                    current = String(line.dropFirst().dropLast())
                    sections[current, default: [:]] = [:]
                } else if let equals = line.firstIndex(of: "=") {
                    sections[current, default: [:]][String(line[..<equals])] = String(line[line.index(after: equals)...])
                } else {
                    Issue.record("\(name): '\(line)' is not a key=value line")
                }
            }
            #expect(Set(sections.keys) == ["Unit", "Service", "Install"], "\(name)")
            let start = try #require(sections["Service"]?["ExecStart"], "\(name): no ExecStart").split(separator: " ").map(String.init)
            #expect(start.first == "/usr/local/bin/hangar")
            try await expectKnownFlags(Array(start.dropFirst()), in: name)
            #expect(sections["Install"]?["WantedBy"] == "multi-user.target")
        }
    }

    @Test func theContainerfileBuildsAndRunsHangar() throws {
        let text = try String(contentsOfFile: "\(deploy)/Containerfile", encoding: .utf8)
        let instructions = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix(" ") && !$0.isEmpty }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(instructions.filter { $0 == "FROM" }.count == 2, "a build stage and a runtime stage")
        #expect(Set(instructions).isSubset(of: ["FROM", "WORKDIR", "COPY", "RUN", "USER", "ENV", "EXPOSE", "ENTRYPOINT", "CMD"]), "\(instructions)")
        for package in ["qemu-system-x86", "qemu-utils", "openssh-client", "genisoimage"] { #expect(text.contains(package)) }
        #expect(text.contains(#"ENTRYPOINT ["/usr/local/bin/hangar"]"#))
    }
}
