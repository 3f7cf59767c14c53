import Foundation
import HangarAPI
import HangarCore
import HangarMachine
import HangarStore
import Hummingbird
import NIOCore

/// The worker protocol's routes (`Contract`'s worker endpoints), for `hangar worker`: each a thin
/// call into `RunCoordinator`, with its refusals as 409s that carry their code.
struct WorkerRoutes {
    let coordinator: RunCoordinator
    let table: RouteTable

    var store: RunStore { coordinator.store }

    func add(to router: Router<ServerContext>) {
        router.on(Contract.registerWorker, table: table) { _, _, inputs -> API.WorkerStatus in
            let status = try inputs.require(API.WorkerStatus.self)
            try await worker { try await coordinator.register(status) }
            return status
        }
        router.on(Contract.leaveWorker, table: table) { _, _, inputs -> HTTPResponse.Status in
            let status = try inputs.require(API.WorkerStatus.self)
            try await worker { try await coordinator.leave(status) }
            return .noContent
        }
        router.on(Contract.claim, table: table) { _, _, inputs -> Response in
            let status = try inputs.require(API.WorkerStatus.self)
            let wait = Duration.seconds(inputs.integer("wait") ?? 30)
            guard let assignment = try await worker({ try await coordinator.claim(status, wait: wait) }) else { return Response(status: .noContent) }
            return try Self.json(assignment)
        }
        router.on(Contract.heartbeat, table: table) { _, _, inputs -> API.HeartbeatAnswer in
            let beat = try inputs.require(API.Heartbeat.self)
            return try await worker { try await coordinator.heartbeat(beat) }
        }
        router.on(Contract.heldRuns, table: table) { _, _, inputs -> [API.HeldRun] in
            try await coordinator.held(by: try inputs.required(Contract.workerName.name))
        }
        router.on(Contract.workers, table: table) { _, _, _ -> [API.Worker] in try await WorkerList.list(store) }
        router.on(Contract.attemptReport, table: table) { _, _, inputs -> API.LogCount in
            let (run, name) = try Self.attempt(inputs)
            let report = try inputs.require(API.Report.self)
            return API.LogCount(lines: try await worker { try await coordinator.report(run, worker: name, report) })
        }
        router.on(Contract.attemptArtifact, table: table) { request, context, inputs -> HTTPResponse.Status in
            let (run, name) = try Self.attempt(inputs)
            try await worker { try await coordinator.checkHolder(run, worker: name) }
            let path = try Artifacts(runsFolder: coordinator.runsFolder, run: run.id).destination(try inputs.required(Contract.artifactPath.name))
            try await Self.save(request.body, to: path, limit: Limits.artifactBytes)
            return .noContent
        }
        router.on(Contract.attemptFinish, table: table) { _, _, inputs -> API.Run in
            let (run, name) = try Self.attempt(inputs)
            let outcome = try inputs.require(API.Outcome.self)
            return try await worker { try await coordinator.finish(run, worker: name, outcome) }
        }
        router.on(Contract.runTask, table: table) { _, _, inputs -> API.TaskResult in
            let (run, name) = try Self.attempt(inputs)
            return try await worker { try await coordinator.runPlaced(run, worker: name, position: try Self.position(inputs)) }
        }
        router.on(Contract.taskResult, table: table) { _, _, inputs -> HTTPResponse.Status in
            let (run, name) = try Self.attempt(inputs)
            let result = try inputs.require(API.TaskResult.self)
            let key = PlacedTaskKey(run: run.id, attempt: run.attempt, position: try Self.position(inputs))
            try await worker { try await coordinator.partEnded(key, worker: name, result) }
            return .noContent
        }
        router.on(Contract.proxyImage, table: table) { request, context, inputs -> Response in
            guard let cache = coordinator.imageProxy else {
                throw HTTPError(.notFound, message: "this coordinator does not proxy images: start it with --image-proxy")
            }
            let url = try inputs.required("url")
            guard try await coordinator.imageURLs(heldBy: try inputs.required(Contract.workerName.name)).contains(url) else {
                throw HTTPError(.forbidden, message: "none of this worker's runs boots \(url.prefix(200)); the proxy fetches only those")
            }
            let image = try await cache.fetch(.url(url, sha256: nil))
            let tag = "\"\(image.sha256 ?? "")\""
            if request.headers[.ifNoneMatch] == tag { return Response(status: .notModified, headers: [.eTag: tag]) }
            let size = (try FileManager.default.attributesOfItem(atPath: image.path)[.size] as? Int) ?? 0
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream", .eTag: tag, .contentLength: "\(size)"],
                body: try await FileIO().loadFile(path: image.path, context: context)
            )
        }
        router.on(Contract.attemptRelease, table: table) { _, _, inputs -> API.Run in
            let (run, name) = try Self.attempt(inputs)
            return try await worker { try await coordinator.release(run, worker: name) }
        }
    }

    /// Runs a worker-protocol call, turning its refusals into answers with their code.
    private func worker<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw APIError.worker(error)
        }
    }

    /// The attempt a route names, and the worker asking.
    private static func attempt(_ inputs: Inputs) throws -> (API.HeldRun, String) {
        guard let id = inputs.integer(Contract.runID.name), let attempt = inputs.integer(Contract.attempt.name) else {
            throw HTTPError(.badRequest, message: "no run or attempt")
        }
        return (API.HeldRun(id: id, attempt: attempt), try inputs.required(Contract.workerName.name))
    }

    /// The task position a route names.
    private static func position(_ inputs: Inputs) throws -> Int {
        guard let position = inputs.integer(Contract.position.name) else { throw HTTPError(.badRequest, message: "no task position") }
        return position
    }

    private static func json(_ value: some Encodable) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value)))
        )
    }

    /// Streams `body` into `path` (through a temporary file, so a cut upload leaves nothing half-written).
    private static func save(_ body: RequestBody, to path: String, limit: Int) async throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let partial = path + ".partial"
        FileManager.default.createFile(atPath: partial, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: partial) else { throw HTTPError(.internalServerError, message: "cannot write \(path)") }
        do {
            var size = 0
            for try await chunk in body {
                size += chunk.readableBytes
                guard size <= limit else { throw HTTPError(.contentTooLarge, message: "the file is larger than \(limit) bytes") }
                try handle.write(contentsOf: Data(chunk.readableBytesView))
            }
            try handle.close()
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}
