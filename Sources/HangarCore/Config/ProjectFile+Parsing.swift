import Foundation
import Yams

extension ProjectFile {
    /// Reads and validates the hangar.yml at `path`.
    public static func load(path: String) throws(HangarError) -> ProjectFile {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let data = FileManager.default.contents(atPath: absolute), let text = String(data: data, encoding: .utf8) else {
            throw .usage(.configMissing, "cannot read \(path)", hint: "run 'hangar init' to write one, or pass --file")
        }
        return try parse(text, path: absolute, displayName: (path as NSString).lastPathComponent)
    }

    /// Parses hangar.yml text. `displayName` is how errors name the file.
    public static func parse(_ text: String, path: String, displayName: String) throws(HangarError) -> ProjectFile {
        let root = try YAMLValue.parse(text, file: displayName)
        let directory = (path as NSString).deletingLastPathComponent
        var project = ProjectFile(path: path, name: (directory as NSString).lastPathComponent, machines: [], jobs: [])
        project.text = text
        var jobs: YAMLValue?
        var pipelines: YAMLValue?
        for (key, value) in try root.entries(allowed: ["name", "machines", "jobs", "forge", "notify", "pipelines"]) where !value.isNull {
            switch key {
            case "name": project.name = try value.string()
            case "pipelines": pipelines = value
            case "forge": project.forge = try ForgeSpec.parse(value)
            case "notify": project.notify = try NotifySpec.parse(value)
            case "machines":
                for (name, spec) in try value.entries() {
                    project.machines.append(try MachineSpec.parse(spec, name: name, directory: directory))
                }
            default: jobs = value
            }
        }
        // Jobs after machines, wherever they are written: a job without 'machine:' takes the only one.
        for (name, spec) in try jobs?.entries() ?? [] {
            project.jobs.append(try JobSpec.parse(spec, name: name, defined: project.machines.map(\.name)))
        }
        for job in project.jobs where job.machines.count > 1 { try project.checkHostPorts(of: job) }
        for (name, spec) in try pipelines?.entries() ?? [] {
            project.pipelines.append(try PipelineSpec.parse(spec, name: name, jobs: project.jobs.map(\.name)))
        }
        try project.checkPipelines()
        project.addPipelineTriggers()
        // Whether each job's machine exists is checked with its plan (JobPlan.validate): a job of host
        // tasks needs none, so a project of such jobs needs no 'machines:' section.
        for job in project.jobs {
            for case .obs(let name, _) in job.triggers {
                guard let machine = project.machines.first(where: { $0.name == name }), case .obs = machine.image else {
                    throw .usage(
                        .configObsTrigger,
                        "job '\(job.name)' has 'obs: \(name)', but machine '\(name)' \(project.machines.contains { $0.name == name } ? "has no 'obs:' image" : "is not defined")",
                        hint: "an 'obs:' trigger names a machine whose image is given by its OBS coordinates (image: { obs: … })",
                        at: job.location
                    )
                }
            }
        }
        return project
    }
}

extension ProjectFile {
    /// Refuses pipelines that take forge events without a forge, and a second gate.
    func checkPipelines() throws(HangarError) {
        for pipeline in pipelines where forge == nil {
            if case .periodic = pipeline.trigger { continue }
            throw .usage(
                .configInvalid,
                "pipeline '\(pipeline.name)' runs on the forge's '\(pipeline.trigger.name)' events, but the file names no forge",
                hint: "add 'forge:' (type, repository, secret-env, token-env) so its webhooks reach Hangar",
                at: pipeline.location
            )
        }
        let gates = pipelines.filter { $0.trigger == .approved }
        if gates.count > 1 {
            throw .usage(
                .configInvalid,
                "pipelines '\(gates[0].name)' and '\(gates[1].name)' are both gates ('on: approved'); a project has one merge queue",
                hint: "put the jobs of both in one gate pipeline",
                at: gates[1].location
            )
        }
        if let gate = gates.first, forge?.tokenVariable == nil {
            throw .usage(
                .configInvalid,
                "pipeline '\(gate.name)' is a gate ('on: approved'): it merges and comments through the forge's API, and the forge has no token",
                hint: "add 'token-env: VARIABLE' to 'forge:', the variable holding an API token of the server's environment",
                at: gate.location
            )
        }
    }

    /// The forge's events and schedules a pipeline names start its jobs as their own triggers would
    /// (`push:`, `pull-request`, `cron:`); a trigger a job has already is not added twice.
    mutating func addPipelineTriggers() {
        for pipeline in pipelines {
            let trigger: JobTrigger? =
                switch pipeline.trigger {
                case .pullRequest: .pullRequest(branches: pipeline.branches)
                case .push: .push(branches: pipeline.branches)
                case .periodic(let schedule): .cron(schedule, imageChanged: false)
                case .approved: nil
                }
            guard let trigger else { continue }
            for index in jobs.indices where pipeline.jobs.contains(jobs[index].name) && !jobs[index].triggers.contains(trigger) {
                jobs[index].triggers.append(trigger)
            }
        }
    }

    /// Refuses two machines of `job`, which boot together, forwarding one fixed host port.
    func checkHostPorts(of job: JobSpec) throws(HangarError) {
        var taken: [Int: String] = [:]
        for machine in machines where job.machines.contains(machine.name) {
            for port in machine.ports where port.host != 0 {
                if let other = taken[port.host] {
                    throw .usage(
                        .configInvalid,
                        "machines '\(other)' and '\(machine.name)' both forward host port \(port.host), and job '\(job.name)' boots them together",
                        hint: "give one of them another host port, or 0 for any free one",
                        at: machine.locations["ports"]
                    )
                }
                taken[port.host] = machine.name
            }
        }
    }
}

extension MachineSpec {
    static let keys = [
        "image", "kernel", "initrd", "append", "memory", "cpus", "disk", "ports", "share", "ssh", "accel", "boot-timeout", "boot-watchdog",
        "requires", "snapshot", "pool",
    ]

    static func parse(_ value: YAMLValue, name: String, directory: String) throws(HangarError) -> MachineSpec {
        var spec = MachineSpec(name: name)
        for (key, value) in try value.entries(allowed: keys) {
            spec.locations[key] = value.location
            switch key {
            case "image": spec.image = try ImageSource.parse(value, directory: directory)
            case "kernel": spec.kernel = try ImageSource.parse(value, directory: directory)
            case "initrd": spec.initrd = try ImageSource.parse(value, directory: directory)
            case "append": spec.append = try value.string()
            case "memory": spec.memory = try value.size()
            case "cpus":
                spec.cpus = try value.int()
                if spec.cpus < 1 { throw value.error("cpus must be at least 1") }
            case "disk": spec.disk = try value.size()
            case "ports": spec.ports = try parsePorts(value)
            case "share": spec.share = resolve(try value.string(), in: directory)
            case "ssh":
                spec.ssh = try SSHSpec.parse(value, directory: directory)
                spec.locations["identity"] = value["identity"]?.location
            case "requires": spec.requires = try value.strings()
            case "accel":
                let text = try value.string()
                guard let accel = Acceleration(rawValue: text) else {
                    let allowed = Acceleration.allCases.map(\.rawValue)
                    throw value.error(
                        "unknown accel '\(text)'\(Suggestion.phrase(for: text, in: allowed))",
                        hint: "allowed values: \(allowed.joined(separator: ", ")) (auto uses KVM when it works, else TCG)"
                    )
                }
                spec.accel = accel
            case "boot-watchdog": spec.bootWatchdog = try value.duration()
            case "snapshot":
                // `fresh`: as `true`, and each restored machine gets its own identity.
                if (try? value.string()) == "fresh" {
                    (spec.snapshot, spec.freshIdentity) = (true, true)
                } else {
                    do {
                        spec.snapshot = try value.bool()
                    } catch {
                        throw value.error("expected true, false or fresh, got '\((try? value.string()) ?? "a collection")'")
                    }
                }
            case "pool":
                spec.pool = try value.int()
                if spec.pool < 0 { throw value.error("pool must be 0 or more") }
            default: spec.bootTimeout = try value.duration()
            }
        }
        if spec.image == nil && spec.kernel == nil {
            throw value.error("machine '\(name)' has no 'image:' and no 'kernel:'", hint: "give an image URL or file, or a kernel and initrd")
        }
        if spec.snapshot && spec.share != nil {
            throw value.error(
                "a machine with 'share:' cannot have 'snapshot: true'",
                hint: "QEMU cannot save a machine while a shared folder is mounted; drop one of them"
            )
        }
        if spec.pool > 0 && !spec.snapshot {
            throw (value["pool"] ?? value).error(
                "'pool: \(spec.pool)' needs 'snapshot: true'",
                hint: "pool machines are restored from the machine's snapshot; add 'snapshot: true'"
            )
        }
        if spec.kernel == nil && (spec.initrd != nil || spec.append != nil) {
            throw value.error("'initrd:' and 'append:' need 'kernel:'")
        }
        return spec
    }

    private static func parsePorts(_ value: YAMLValue) throws(HangarError) -> [PortForward] {
        var ports: [PortForward] = []
        for item in try value.items() {
            let text = try item.string()
            guard let port = PortForward(parsing: text) else {
                throw item.error(
                    "'\(text)' is not a port forward",
                    hint: "write HOST:GUEST such as \"8080:80\", each from 1 to 65535; host 0 picks a free port"
                )
            }
            ports.append(port)
        }
        return ports
    }
}

extension SSHSpec {
    static func parse(_ value: YAMLValue, directory: String) throws(HangarError) -> SSHSpec {
        var spec = SSHSpec(user: "hangar", identity: nil)
        var userGiven = false
        for (key, value) in try value.entries(allowed: ["user", "identity"]) {
            if key == "user" {
                spec.user = try value.string()
                userGiven = true
            } else {
                spec.identity = resolve(try value.string(), in: directory)
            }
        }
        // Images with a baked-in key usually log in as root; cloud-init ones get Hangar's user.
        if spec.identity != nil && !userGiven { spec.user = "root" }
        return spec
    }
}

extension ImageSource {
    /// `https://…`, `./file`, `{url: …, sha256: …}`, `{file: …}` or `{obs: {…}}`. A text with
    /// `${NAME}` in it is kept as written and filled in from the run's parameters (`expanding`).
    static func parse(_ value: YAMLValue, directory: String) throws(HangarError) -> ImageSource {
        if !value.isMapping {
            let text = try value.string()
            return text.contains("://") || text.contains("${") ? .url(text, sha256: nil) : .file(resolve(text, in: directory))
        }
        let entries = try value.entries(allowed: ["url", "sha256", "file", "obs"])
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        if let obs = fields["obs"] {
            guard entries.count == 1 else { throw value.error("'obs:' names the image alone: no 'url:', 'file:' or 'sha256:' beside it") }
            return .obs(try OBSImage.parse(obs))
        }
        switch (fields["url"], fields["file"]) {
        case (let url?, nil):
            let sha = try fields["sha256"]?.string().lowercased()
            if let sha, let field = fields["sha256"], sha.count != 64 || !sha.allSatisfy(\.isHexDigit) {
                throw field.error("sha256 must be 64 hexadecimal digits")
            }
            return .url(try url.string(), sha256: sha)
        case (nil, let file?):
            return .file(resolve(try file.string(), in: directory))
        default:
            throw value.error("give exactly one of 'url:' or 'file:'")
        }
    }
}

extension OBSImage {
    /// The coordinates under `obs:`; credentials are never taken from hangar.yml.
    static func parse(_ value: YAMLValue) throws(HangarError) -> OBSImage {
        let keys = ["project", "package", "repository", "arch", "api", "download", "prefer", "credentials-env"]
        for (key, field) in try value.entries() where ["user", "pass", "password", "credentials"].contains(key) {
            throw field.error(
                "credentials do not belong in hangar.yml",
                hint:
                    "put them in osc's configuration (~/.config/osc/oscrc) on the server, or name a variable holding user:password with 'credentials-env:'"
            )
        }
        let fields = Dictionary(try value.entries(allowed: keys, what: "obs key").map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        func required(_ key: String) throws(HangarError) -> String {
            guard let field = fields[key] else {
                throw value.error("'obs:' needs '\(key):'", hint: "project, package, repository and arch name a build")
            }
            return try field.string()
        }
        var image = OBSImage(
            project: try required("project"),
            package: try required("package"),
            repository: try required("repository"),
            arch: try required("arch")
        )
        if let api = try fields["api"]?.string() { image.api = api.hasSuffix("/") ? String(api.dropLast()) : api }
        if let download = try fields["download"]?.string() {
            image.download = download == "none" ? nil : download.hasSuffix("/") ? String(download.dropLast()) : download
        }
        if let field = fields["prefer"] {
            let kind = try field.string()
            guard OBSImage.kinds.contains(kind) else {
                throw field.error(
                    "unknown image kind '\(kind)'\(Suggestion.phrase(for: kind, in: OBSImage.kinds))",
                    hint: "one of \(OBSImage.kinds.joined(separator: ", "))"
                )
            }
            image.prefer = kind
        }
        image.credentialsVariable = try fields["credentials-env"]?.string()
        return image
    }
}

extension JobSpec {
    /// The job `name`, in a file defining the machines `defined`.
    static func parse(_ value: YAMLValue, name: String, defined: [String]) throws(HangarError) -> JobSpec {
        var job = JobSpec(name: name, machine: "default", timeout: .seconds(3600), tasks: [], location: value.location)
        var named: [String]?
        for (key, value) in try value.entries(allowed: [
            "machine", "machines", "timeout", "prepare", "tasks", "retries", "parameters", "triggers", "description", "requires", "matrix",
            "status", "keep",
        ]) {
            switch key {
            case "parameters":
                for (name, spec) in try value.entries(what: "parameter") { job.parameters.append(try JobParameter.parse(spec, name: name)) }
            case "machine", "machines":
                guard named == nil else { throw value.error("give 'machine:' for one machine or 'machines:' for several, not both") }
                named = key == "machine" ? [try value.string()] : try parseMachines(value)
            case "requires": job.requires = try value.strings()
            case "timeout": job.timeout = try value.duration()
            case "retries":
                job.retries = try value.int()
                if job.retries < 0 { throw value.error("retries must be 0 or more") }
            case "tasks": for item in try value.items() { job.tasks.append(try TaskSpec.parse(item)) }
            case "prepare": for item in try value.items() { job.prepare.append(try TaskSpec.parse(item)) }
            case "triggers": for item in try value.items() { job.triggers.append(try JobTrigger.parse(item)) }
            case "matrix": job.matrix = try JobMatrix.parse(value)
            case "keep":
                let keep = try value.duration()
                guard keep > .zero, keep.seconds <= KeepRequest.longest else {
                    throw value.error("keep must be more than 0 and at most a week (168h)", hint: "such as 'keep: 4h'")
                }
                job.keep = keep
            case "status":
                let text = try value.string()
                guard let statuses = CommitStatuses(rawValue: text) else {
                    let allowed = CommitStatuses.allCases.map(\.rawValue)
                    throw value.error(
                        "unknown status '\(text)'\(Suggestion.phrase(for: text, in: allowed))",
                        hint: "allowed values: \(allowed.joined(separator: ", ")) (a matrix job's commit statuses: one per cell, or one for all)"
                    )
                }
                job.statuses = statuses
            default: _ = try value.string()
            }
        }
        job.machines = try machines(of: job, named: named, defined: defined, at: value)
        // A matrix's parameters are the job's: each cell gives them their values.
        for axis in job.matrix?.axes ?? [] where !job.parameters.contains(where: { $0.name == axis.parameter }) {
            job.parameters.append(JobParameter(name: axis.parameter))
        }
        return job
    }

    /// How many machines one job may boot: each has an address on the job's private network.
    static let maxMachines = 32

    /// `machines: [db, web]`: at least one, each once.
    private static func parseMachines(_ value: YAMLValue) throws(HangarError) -> [String] {
        var names: [String] = []
        for item in try value.items() {
            let name = try item.string()
            if names.contains(name) { throw item.error("machine '\(name)' is listed twice") }
            names.append(name)
        }
        guard !names.isEmpty else { throw value.error("'machines:' lists no machine", hint: "name the machines the job boots, such as [db, web]") }
        guard names.count <= maxMachines else {
            throw value.error("a job boots at most \(maxMachines) machines; this one lists \(names.count)")
        }
        return names
    }

    /// The machines `job` boots: those `named` (checking its tasks' `on:` against them), else the
    /// ones its tasks name, else `default` or the file's only machine. Several machines share a
    /// network on which their names are host names, so each must be one.
    private static func machines(of job: JobSpec, named: [String]?, defined: [String], at value: YAMLValue) throws(HangarError) -> [String] {
        let tasks = job.prepare + job.tasks
        var chosen = named ?? []
        for task in tasks {
            guard let on = task.on, !chosen.contains(on) else { continue }
            guard let named else {
                chosen.append(on)
                continue
            }
            throw .usage(
                .configUnknownMachine,
                "this task runs on '\(on)', which job '\(job.name)' does not boot\(Suggestion.phrase(for: on, in: named))",
                hint: "the job's machines: \(named.joined(separator: ", ")); add '\(on)' to its 'machines:'",
                at: task.location
            )
        }
        if chosen.isEmpty { chosen = [defined.contains("default") || defined.count != 1 ? "default" : defined[0]] }
        if chosen.count > maxMachines { throw value.error("a job boots at most \(maxMachines) machines; its tasks name \(chosen.count)") }
        for name in chosen where chosen.count > 1 && !isHostName(name) {
            throw value.error(
                "machine '\(name)' cannot be a host name on the job's private network",
                hint: "name machines a job boots together with letters, digits and '-', such as db or web-1"
            )
        }
        return chosen
    }

    /// A host name label: letters, digits and `-`, not at either end, at most 63 characters.
    static func isHostName(_ name: String) -> Bool {
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
        return allowed && !name.isEmpty && name.count <= 63 && name.first != "-" && name.last != "-"
    }
}

extension JobParameter {
    /// `NAME: { required: true, default: x, description: ... }`, or `NAME: value` for just a default.
    static func parse(_ value: YAMLValue, name: String) throws(HangarError) -> JobParameter {
        guard isValidName(name) else {
            throw value.error("parameter name '\(name)' is not a shell variable name", hint: "use letters, digits and '_', such as IMAGE_URL")
        }
        var parameter = JobParameter(name: name)
        guard value.isMapping else {
            parameter.defaultValue = try value.string()
            return parameter
        }
        for (key, field) in try value.entries(allowed: ["required", "default", "description"]) {
            switch key {
            case "required": parameter.required = try field.bool()
            case "default": parameter.defaultValue = try field.string()
            default: parameter.description = try field.string()
            }
        }
        return parameter
    }
}

extension TaskSpec {
    static func parse(_ value: YAMLValue) throws(HangarError) -> TaskSpec {
        let entries = try value.entries(allowed: ["run", "host", "use", "with", "timeout", "name", "on"])
        let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let kinds = ["run", "host", "use"].filter { fields[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first, let head = fields[kind] else {
            throw value.error("a task needs exactly one of 'run:', 'host:' or 'use:'")
        }
        var task: TaskSpec
        if kind == "use" {
            let handler = try head.string()
            task = TaskSpec(handler: handler, options: fields["with"], location: value.location, title: handler)
        } else {
            if let with = fields["with"] { throw with.error("'with:' goes with 'use:'; '\(kind):' takes the command itself") }
            let command = try head.string()
            let options = YAMLValue(Node([(Node("command"), head.node)]), file: head.file)
            // A script's first line names it in progress lines and the task list.
            let lines = command.split(separator: "\n", omittingEmptySubsequences: true)
            let title = lines.count > 1 ? "\(lines[0]) …" : command
            task = TaskSpec(handler: kind, options: options, location: value.location, title: "\(kind): \(title)")
        }
        task.timeout = try fields["timeout"]?.duration()
        if let name = try fields["name"]?.string() { task.title = name }
        task.on = try fields["on"]?.string()
        return task
    }
}

/// An absolute path for `path`, relative to `directory` unless already absolute; `~` is the home folder.
func resolve(_ path: String, in directory: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
    return URL(fileURLWithPath: directory).appendingPathComponent(expanded).standardizedFileURL.path
}
