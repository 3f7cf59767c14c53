import Foundation

/// A parsed, validated `hangar.yml`: the machines a project boots and the jobs it runs in them.
public struct ProjectFile: Sendable {
    /// Absolute path of the file.
    public var path: String
    /// The project's name: `name:` in the file, or its folder's name.
    public var name: String
    /// Machines in file order.
    public var machines: [MachineSpec]
    /// Jobs in file order.
    public var jobs: [JobSpec]
    /// Where the code lives, for webhooks and commit statuses (server mode).
    public var forge: ForgeSpec?
    /// Whom to tell when its runs end.
    public var notify: NotifySpec?
    /// Its pipelines (`pipelines:`): jobs per forge event, and the gate.
    public var pipelines: [PipelineSpec] = []
    /// The text it was read from (a worker gets this version, even when the file changed since).
    public var text = ""

    /// The folder holding the file; relative paths in it are relative to this folder.
    public var directory: String { (path as NSString).deletingLastPathComponent }

    /// The machine called `name`, or an error listing the ones there are.
    public func machine(named name: String) throws(HangarError) -> MachineSpec {
        guard let machine = machines.first(where: { $0.name == name }) else {
            throw .usage(
                .configUnknownMachine,
                "no machine '\(name)' in \(path)\(Suggestion.phrase(for: name, in: machines.map(\.name)))",
                hint: "machines defined: \(machines.map(\.name).joined(separator: ", "))"
            )
        }
        return machine
    }

    /// The job called `name`, or an error listing the ones there are.
    public func job(named name: String) throws(HangarError) -> JobSpec {
        guard let job = jobs.first(where: { $0.name == name }) else {
            throw .usage(
                .configUnknownJob,
                "no job '\(name)' in \(path)\(Suggestion.phrase(for: name, in: jobs.map(\.name)))",
                hint: jobs.isEmpty ? "add one under 'jobs:'" : "jobs defined: \(jobs.map(\.name).joined(separator: ", "))"
            )
        }
        return job
    }
}

/// Where an image, kernel or initrd comes from.
public enum ImageSource: Sendable, Hashable, Codable {
    /// Downloaded once per host into the cache; verified when `sha256` is given.
    case url(String, sha256: String?)
    /// A local file, used in place (absolute path).
    case file(String)
    /// The newest image an Open Build Service project built, found when the machine boots.
    case obs(OBSImage)

    /// The URL, path or OBS coordinates, for messages.
    public var displayName: String {
        switch self {
        case .url(let url, _): url
        case .file(let path): path
        case .obs(let image): image.displayName
        }
    }
}

/// A host-to-guest TCP port forward; host port 0 means "pick a free one".
public struct PortForward: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Port on 127.0.0.1 of the host; 0 picks a free one.
    public var host: Int
    /// Port in the guest.
    public var guest: Int

    /// Creates a forward.
    public init(host: Int, guest: Int) {
        self.host = host
        self.guest = guest
    }

    /// `8080:80`, or `80` for "any host port to guest port 80".
    public init?(parsing text: String) {
        let parts = text.split(separator: ":").map { Int($0) }
        let valid = { (port: Int?) in port.map { (0...65535).contains($0) } ?? false }
        switch parts.count {
        case 1 where valid(parts[0]) && parts[0] != 0: self.init(host: 0, guest: parts[0]!)
        case 2 where valid(parts[0]) && valid(parts[1]) && parts[1] != 0: self.init(host: parts[0]!, guest: parts[1]!)
        default: return nil
        }
    }

    /// `host:guest`.
    public var description: String { "\(host):\(guest)" }
}

/// How Hangar logs in to a machine.
public struct SSHSpec: Sendable, Hashable, Codable {
    /// The user to log in as.
    public var user: String
    /// A private key baked into the image (absolute path); nil means Hangar generates one and
    /// injects it with a cloud-init NoCloud seed.
    public var identity: String?

    /// Creates SSH settings.
    public init(user: String, identity: String?) {
        self.user = user
        self.identity = identity
    }
}

/// Which accelerator QEMU uses.
public enum Acceleration: String, Sendable, Codable, CaseIterable {
    /// KVM when it works (probed), else TCG with a warning.
    case auto
    /// KVM or fail.
    case kvm
    /// Software emulation.
    case tcg
}
