import Foundation
import HangarCore
import HangarMachine
import HangarStore
import Prometheus

/// The server's Prometheus metrics, served at `/metrics`. Queue depth and running machines are
/// read when scraped; the rest is counted as runs, boots and webhook deliveries happen.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let secondsBuckets: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]

    private func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "hangar", metricName: metric, unitName: unit, helpText: help)
    }

    func started(_ run: StoredRun) {
        let wait = (run.startedAt ?? Date().timeIntervalSince1970) - run.createdAt
        registry.makeValueHistogram(
            descriptor: name("run_wait", "seconds", "Time from queued to started."),
            labels: [("project", run.project), ("job", run.job)],
            buckets: Self.secondsBuckets
        ).record(max(0, wait))
    }

    func finished(_ run: StoredRun, status: RunStatus, duration: Double) {
        registry.makeValueHistogram(
            descriptor: name("run_duration", "seconds", "Time from started to ended."),
            labels: [("project", run.project), ("job", run.job), ("status", status.rawValue)],
            buckets: Self.secondsBuckets
        ).record(duration)
    }

    func booted(_ run: StoredRun, seconds: Double) {
        registry.makeValueHistogram(
            descriptor: name("boot", "seconds", "Time a machine took to boot to SSH."),
            labels: [("project", run.project)],
            buckets: Self.secondsBuckets
        ).record(seconds)
    }

    func webhook(forge: String, result: String) {
        registry.makeCounter(
            descriptor: name("webhook_deliveries", "total", "Webhook deliveries by result."),
            labels: [("forge", forge), ("result", result)]
        ).increment()
    }

    func busMessage(_ result: String) {
        registry.makeCounter(descriptor: name("bus_messages", "total", "Bus messages by what they came to."), labels: [("result", result)])
            .increment()
    }

    func busConnected(_ connected: Bool) {
        registry.makeGauge(descriptor: name("bus_connected", "", "1 while the bus is connected.")).set(Double(connected ? 1 : 0))
    }

    /// The text exposition, with the gauges read now.
    func scrape(store: RunStore, machines: MachineRegistry) async throws -> String {
        registry.makeGauge(descriptor: name("queue_depth", "", "Runs waiting to start.")).set(Double(try await store.count(state: .queued)))
        registry.makeGauge(descriptor: name("runs_running", "", "Runs being run.")).set(Double(try await store.count(state: .running)))
        registry.makeGauge(descriptor: name("machines_running", "", "Machines whose QEMU runs on this host."))
            .set(Double(machines.list().filter { $0.state == .running }.count))
        return registry.emitToString()
    }
}
