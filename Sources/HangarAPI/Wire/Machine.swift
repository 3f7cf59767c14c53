extension API {
    /// A machine on the server's host, as the API and the machines page show it.
    public struct Machine: Documented, Equatable {
        /// A forwarded port.
        public struct Port: Documented, Equatable {
            /// On 127.0.0.1 of the host.
            public var host: Int
            /// In the guest.
            public var guest: Int

            public init(host: Int, guest: Int) {
                self.host = host
                self.guest = guest
            }

            public static let schemaName = "PortForward"
            public static let schema = Schema.object(["host": .integer(0...65535), "guest": .integer(1...65535)], required: ["host", "guest"])
        }

        public var id: String
        public var name: String
        public var project: String
        /// `running`, or `stale` when its QEMU is gone but its folder is left.
        public var state: String
        public var image: String
        /// Destroyed when its run ends.
        public var ephemeral: Bool
        public var sshPort: Int
        public var ports: [Port]
        /// The command that logs in.
        public var ssh: String

        public init(
            id: String,
            name: String,
            project: String,
            state: String,
            image: String,
            ephemeral: Bool,
            sshPort: Int,
            ports: [Port],
            ssh: String
        ) {
            self.id = id
            self.name = name
            self.project = project
            self.state = state
            self.image = image
            self.ephemeral = ephemeral
            self.sshPort = sshPort
            self.ports = ports
            self.ssh = ssh
        }

        public static let schema = Schema.object(
            [
                "id": .string(), "name": .string(), "project": .string(), "state": .string(choices: ["running", "stale"]), "image": .string(),
                "ephemeral": .boolean, "sshPort": .integer(1...65535), "ports": .array(Port.reference), "ssh": .string(),
            ],
            required: ["id", "name", "project", "state", "image", "ephemeral", "sshPort", "ports", "ssh"]
        )
    }

    /// A file a run collected.
    public struct Artifact: Documented, Equatable {
        /// Its path under the run's artifacts folder.
        public var name: String
        public var size: Int

        public init(name: String, size: Int) {
            self.name = name
            self.size = size
        }

        public static let schema = Schema.object(["name": .string(), "size": .integer(0...Limits.largestNumber)], required: ["name", "size"])
    }
}
