public import HangarCore

extension API {
    /// One machine a run kept up after it ended, on its worker.
    public struct KeptMachine: Documented, Equatable {
        /// Its name in hangar.yml.
        public var name: String
        /// The port on 127.0.0.1 of its worker that reaches the guest's SSH, and the user to log in as.
        public var sshPort: Int
        public var sshUser: String
        /// Its forwarded ports (host ports on 127.0.0.1 of its worker).
        public var ports: [Machine.Port]
        /// Its address on the job's private network, for a job of several machines.
        public var address: String?

        public init(name: String, sshPort: Int, sshUser: String, ports: [Machine.Port], address: String? = nil) {
            self.name = name
            self.sshPort = sshPort
            self.sshUser = sshUser
            self.ports = ports
            self.address = address
        }

        /// The port on its worker's loopback that reaches port `guest` in it: the SSH forward for
        /// 22, else the forward of that port; nil when it forwards no such port.
        public func hostPort(guest: Int) -> Int? { guest == 22 ? sshPort : ports.first { $0.guest == guest }?.host }

        /// The guest ports a tunnel may go to: 22 and the forwarded ones.
        public var tunnelPorts: [Int] { [22] + ports.map(\.guest) }

        public static let schema = Schema.object(
            [
                "name": .string(maxLength: Limits.nameLength), "sshPort": .integer(1...65535), "sshUser": .string(maxLength: Limits.nameLength),
                "ports": .array(Machine.Port.reference, maxItems: 100), "address": .string(maxLength: 100),
            ],
            required: ["name", "sshPort", "sshUser", "ports"]
        )
    }

    /// A run's kept machines, as `GET /api/v1/kept` and the machines page show them.
    public struct Kept: Documented, Equatable {
        public var run: Int
        public var project: String
        public var job: String
        /// The token that asked for them (nil for a job's own `keep:` on a webhook or schedule):
        /// it may extend or destroy them, and so may admins.
        public var owner: String?
        /// The worker they are up on.
        public var worker: String
        /// When the run ended and until when they stay (seconds since 1970).
        public var keptAt: Double
        public var until: Double
        /// `kept`, or `destroyed` (with why).
        public var state: KeptState
        public var reason: String?
        /// Set while they are kept but their worker is offline: they are unreachable and may be
        /// gone (their worker adopts them again if it comes back with their QEMU alive).
        public var lost: String?
        public var machines: [KeptMachine]
        /// The tunnels opened to them, newest first (the last 20).
        public var tunnels: [Tunnel]

        public init(
            run: Int,
            project: String,
            job: String,
            owner: String?,
            worker: String,
            keptAt: Double,
            until: Double,
            state: KeptState,
            reason: String?,
            machines: [KeptMachine],
            tunnels: [Tunnel] = []
        ) {
            self.tunnels = tunnels
            self.run = run
            self.project = project
            self.job = job
            self.owner = owner
            self.worker = worker
            self.keptAt = keptAt
            self.until = until
            self.state = state
            self.reason = reason
            self.machines = machines
        }

        public static let schema = Schema.object(
            [
                "run": .integer(Limits.ids), "project": .string(), "job": .string(), "owner": .string(), "worker": .string(), "keptAt": .number,
                "until": .number, "state": .string(choices: KeptState.allCases.map(\.rawValue)), "reason": .string(),
                "lost": .string(), "machines": .array(KeptMachine.reference), "tunnels": .array(Tunnel.reference),
            ],
            required: ["run", "project", "job", "worker", "keptAt", "until", "state", "machines", "tunnels"]
        )
    }

    /// `POST /api/v1/kept/{id}/extend`: keep them `seconds` from now.
    public struct ExtendRequest: Documented, Equatable {
        public var seconds: Double

        public init(seconds: Double) { self.seconds = seconds }

        public static let schema = Schema.object(["seconds": .number], required: ["seconds"])
    }

    /// For a worker: open tunnel `id` by dialling back to `/api/v1/workers/tunnels/{id}` at `url`
    /// (the replica the user is connected to) and splicing it with port `port` (in the guest) of
    /// kept machine `machine` of run `run`.
    public struct TunnelOrder: Documented, Equatable {
        public var id: String
        public var run: Int
        public var machine: String
        public var port: Int
        public var url: String

        public init(id: String, run: Int, machine: String, port: Int, url: String) {
            self.id = id
            self.run = run
            self.machine = machine
            self.port = port
            self.url = url
        }

        public static let schema = Schema.object(
            [
                "id": .string(maxLength: 100, pattern: "^[A-Za-z0-9-]+$"), "run": .integer(Limits.ids),
                "machine": .string(maxLength: Limits.nameLength),
                "port": .integer(1...65535), "url": .string(maxLength: Limits.urlLength),
            ],
            required: ["id", "run", "machine", "port", "url"]
        )
    }

    /// A tunnel someone opened to a kept machine: who, when, to which machine and port.
    public struct Tunnel: Documented, Equatable {
        public var id: String
        public var machine: String
        public var port: Int
        public var openedBy: String
        public var openedAt: Double
        /// When it closed, and why; nil while open.
        public var closedAt: Double?
        public var reason: String?

        public init(id: String, machine: String, port: Int, openedBy: String, openedAt: Double, closedAt: Double?, reason: String?) {
            self.id = id
            self.machine = machine
            self.port = port
            self.openedBy = openedBy
            self.openedAt = openedAt
            self.closedAt = closedAt
            self.reason = reason
        }

        public static let schema = Schema.object(
            [
                "id": .string(), "machine": .string(), "port": .integer(1...65535), "openedBy": .string(), "openedAt": .number, "closedAt": .number,
                "reason": .string(),
            ],
            required: ["id", "machine", "port", "openedBy", "openedAt"]
        )
    }
}
