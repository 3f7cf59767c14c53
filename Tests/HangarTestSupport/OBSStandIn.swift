public import Foundation
public import HangarCore
import HangarMachine

/// A stand-in for the Open Build Service (Tests/Fixtures/obs_server.py) serving what its state
/// says — the build status, the binary list, a published repository with checksums — with its
/// files in `folder`; stopped when it is released.
public final class OBSStandIn {
    public let folder: String
    let process: BackgroundProcess
    public let port: Int
    var state: [String: Any]

    public init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-test-obs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: "\(folder)/files", withIntermediateDirectories: true)
        state = [
            "project": "devel:kanku:images", "package": "JeOS", "repository": "images_leap", "arch": "x86_64", "state": "published",
            "code": "succeeded", "files": [],
        ]
        try Self.write(state, to: "\(folder)/state.json")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
        process = try await TestProcess.start(["python3", "\(root)/Fixtures/obs_server.py", "\(folder)/state.json"], log: "\(folder)/server.log")
        guard let port = Int(await process.firstLine() ?? "") else {
            throw HangarError(.testObs, "the OBS stand-in did not start: \(process.output())")
        }
        self.port = port
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The image coordinates of its package.
    public var image: OBSImage {
        OBSImage(
            project: "devel:kanku:images",
            package: "JeOS",
            repository: "images_leap",
            arch: "x86_64",
            api: "http://127.0.0.1:\(port)/public",
            download: "http://127.0.0.1:\(port)/repositories"
        )
    }

    /// Builds `names` (each a file of `bytes` random bytes, or `data`), replacing what was built.
    @discardableResult
    public func build(_ names: [String], data: Data? = nil, mtime: Int = 1_700_000_000, checksum: String? = nil) throws -> [Data] {
        var files: [[String: Any]] = []
        var contents: [Data] = []
        for name in names {
            let bytes = data ?? Data((0..<200_000).map { _ in UInt8.random(in: 0...255) })
            try bytes.write(to: URL(fileURLWithPath: "\(folder)/files/\(name)"))
            var entry: [String: Any] = ["filename": name, "path": "\(folder)/files/\(name)", "mtime": mtime]
            if let checksum { entry["sha256"] = checksum }
            files.append(entry)
            contents.append(bytes)
        }
        // Besides the images, what OBS also lists for an image build.
        try Data("pkgs".utf8).write(to: URL(fileURLWithPath: "\(folder)/files/JeOS.packages"))
        files.append(["filename": "JeOS.packages", "path": "\(folder)/files/JeOS.packages"])
        try set(["files": files])
        return contents
    }

    public func set(_ values: [String: Any?]) throws {
        for (key, value) in values { state[key] = value }
        try Self.write(state, to: "\(folder)/state.json")
    }

    /// The requests it answered, one `GET PATH STATUS AUTH` a line.
    public var requests: [String] {
        ((try? String(contentsOfFile: "\(folder)/state.json.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func write(_ state: [String: Any], to path: String) throws {
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
