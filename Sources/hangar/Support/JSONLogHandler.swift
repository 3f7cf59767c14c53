import Foundation
import Logging

/// One JSON object per line on stderr (`time`, `level`, `label`, `message`, then the metadata), for
/// `hangar serve` when its output goes to a file or a log collector rather than a terminal.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata extra: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        var object: [String: String] = [
            "time": ISO8601DateFormatter().string(from: Date()), "level": level.rawValue, "label": label, "message": "\(message)",
        ]
        for (key, value) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { object[key] = "\(value)" }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: .sortedKeys) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }

    /// JSON lines off a terminal, swift-log's plain lines on one.
    static func bootstrap() {
        if Terminal.isTTY { return }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
    }
}
