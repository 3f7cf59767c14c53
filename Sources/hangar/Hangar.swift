import ArgumentParser

@main
struct Hangar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hangar",
        abstract: "Boot real OS images as throwaway VMs and drive them like a user.",
        subcommands: [
            Init.self, Up.self, SSH.self, Exec.self, Status.self, Run.self, Destroy.self, Console.self, Ports.self, Images.self,
            Handlers.self, Serve.self, Worker.self, Token.self, Remote.self,
        ]
    )
}
