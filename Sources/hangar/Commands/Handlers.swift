import ArgumentParser
import Foundation
import HangarCore
import HangarEngine
import HangarHandlers
import HangarMachine

struct Handlers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every handler with its options.")

    func run() {
        for handler in HandlerRegistry.all {
            let placement = handler.placement == .worker ? "" : " (runs \(handler.placement.phrase) in server mode)"
            print("\(handler.name)\n  \(handler.summary)\(placement)")
            for option in handler.options {
                let value = option.defaultValue.map { "default \($0)" } ?? "required"
                print("    \(option.name) (\(option.type), \(value)): \(option.summary)")
            }
            print()
        }
    }
}
