import AsyncHTTPClient
import Foundation
import HangarCore
import HangarEngine
import HangarMachine
import HangarStore
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Starts jobs on their `cron:` triggers. Each schedule remembers when it last fired; runs missed
/// while the server was down are not stacked: one run catches up, then the schedule goes on.
/// A schedule seen for the first time starts counting from now.
///
/// With `when: image-changed`, a due run whose machine image (ETag, Last-Modified or size of a
/// URL; size and time of a file) is what it was at the last scheduled run is recorded `skipped`.
///
/// One replica fires schedules at a time: each tick it takes or keeps the lead (`RunStore.lead`,
/// a lease in the database); when it stops, another takes over within `leadLease`.
struct Scheduler: Service {
    let control: RunControl
    let catalog: ProjectCatalog
    let logger: Logger
    /// This replica's name.
    let identity: String
    /// What it waits on between looks.
    let clock: any Clock<Duration>
    /// How long a lead lasts without renewal.
    static let leadLease = 30.0

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if try await control.store.lead("scheduler", holder: identity, for: Self.leadLease) {
                        await tick(at: Date(timeIntervalSince1970: control.store.now()))
                    }
                } catch {
                    logger.warning("cannot take the scheduler's lead; retrying", metadata: ["error": "\(error)"])
                }
                try? await clock.sleep(for: .seconds(5))
            }
        }
    }

    /// Fires every schedule due at `now`.
    func tick(at now: Date) async {
        for entry in catalog.all {
            guard let project = entry.workspace?.project else { continue }
            for job in project.jobs {
                for case .cron(let schedule, let imageChanged) in job.triggers {
                    do {
                        try await fire(schedule, imageChanged: imageChanged, job: job, project: project, name: entry.name, now: now)
                    } catch {
                        logger.error("schedule failed", metadata: ["project": "\(entry.name)", "job": "\(job.name)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    private func fire(_ schedule: CronSchedule, imageChanged: Bool, job: JobSpec, project: ProjectFile, name: String, now: Date) async throws {
        let key = "\(schedule.description) \(schedule.timeZone.identifier)"
        let store = control.store
        guard let state = try await store.scheduleState(project: name, job: job.name, schedule: key) else {
            try await store.saveScheduleState(
                ScheduleState(lastFired: now.timeIntervalSince1970, imageFingerprint: nil),
                project: name,
                job: job.name,
                schedule: key
            )
            return
        }
        guard let due = schedule.next(after: Date(timeIntervalSince1970: state.lastFired)), due <= now else { return }
        var fingerprint: String?
        let machines = project.machines.filter { job.machines.contains($0.name) }
        if imageChanged, !machines.isEmpty { fingerprint = await ImageFingerprint.of(machines) }
        // Recorded first: a crash here loses one scheduled run rather than starting it twice.
        try await store.saveScheduleState(
            ScheduleState(lastFired: now.timeIntervalSince1970, imageFingerprint: fingerprint ?? state.imageFingerprint),
            project: name,
            job: job.name,
            schedule: key
        )
        if imageChanged, let fingerprint, fingerprint == state.imageFingerprint {
            let skipped = try control.prepare(project: name, job: job.name, parameters: ["HANGAR_EVENT": "schedule"]).map { run in
                var run = run
                run.cause = "schedule \(schedule.description)"
                run.trigger = .schedule
                return run
            }
            _ = try await store.enqueue(skipped, skipped: "scheduled run skipped: the image did not change since the last one")
            return
        }
        _ = try await control.trigger(
            project: name,
            job: job.name,
            parameters: ["HANGAR_EVENT": "schedule"],
            cause: "schedule \(schedule.description)",
            trigger: .schedule
        )
    }
}

/// What identifies a machine's image version without downloading it.
enum ImageFingerprint {
    /// Of every machine a job boots: a change to any image is a change (one machine's is its own).
    static func of(_ machines: [MachineSpec]) async -> String? {
        var parts: [String] = []
        for machine in machines {
            guard let part = await of(machine) else { return nil }
            parts.append(part)
        }
        return parts.joined(separator: " | ")
    }

    static func of(_ machine: MachineSpec) async -> String? {
        var parts: [String] = []
        for source in [machine.image, machine.kernel, machine.initrd].compactMap({ $0 }) {
            guard let part = await of(source) else { return nil }
            parts.append(part)
        }
        return parts.joined(separator: " ")
    }

    static func of(_ source: ImageSource) async -> String? {
        switch source {
        case .file(let path):
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\((attributes[.size] as? Int) ?? 0)@\(modified)"
        case .url(let url, let sha256):
            if let sha256 { return sha256 }
            var request = HTTPClientRequest(url: url)
            request.method = .HEAD
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(15)), response.status.code < 400 else { return nil }
            let headers = response.headers
            return headers.first(name: "ETag") ?? headers.first(name: "Last-Modified") ?? headers.first(name: "Content-Length")
        case .obs(let image):
            // The newest build's file, size and time; nil (as for an unreachable URL) while not ready.
            return try? await OBSResolver(image).resolve().fingerprint
        }
    }
}
