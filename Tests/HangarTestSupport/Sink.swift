import Foundation
import HangarCore
public import HangarMachine

/// A real receiver of notifications (Tests/Fixtures/sinks.py): an SMTP server (aiosmtpd) or an
/// HTTP server keeping each message it gets as `N.eml` or `N.json` in its folder.
public struct Sink: Sendable {
    public let folder: String
    public let process: BackgroundProcess

    /// Starts a `kind` (`smtp`, `http`) sink on loopback `port`, keeping messages in `folder`.
    public static func start(_ kind: String, port: Int, folder: String) async throws -> Sink {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Debian's python, which has python3-aiosmtpd (another python3 may come first in PATH).
        let process = try await TestProcess.start(
            ["/usr/bin/python3", "-u", "\(root)/Fixtures/sinks.py", kind, "\(port)", folder],
            log: "\(folder).log"
        )
        guard await process.firstLine() == "ready" else {
            throw HangarError(.testSink, "the \(kind) sink did not start: \(process.output())")
        }
        return Sink(folder: folder, process: process)
    }

    /// The messages kept, oldest first.
    public func received(_ suffix: String) -> [String] { Self.received(in: folder, suffix) }

    /// The messages a sink kept in `folder`, oldest first.
    public static func received(in folder: String, _ suffix: String) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(suffix) }
        return names.sorted { Int($0.dropLast(suffix.count))! < Int($1.dropLast(suffix.count))! }
            .compactMap { try? String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8) }
    }
}
