import Foundation
import Prometheus
import Orchestration

/// The daemon's Prometheus metrics (`GET /metrics`). Counters move as things happen; the
/// per-state VM gauges and the resident memory are read at scrape time, so they cannot drift
/// from the store.
final class DaemonMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let launches: Counter
    let launchFailures: Counter
    let crashes: Counter
    let injections: Counter
    let qmpEvents: Counter
    let requests: Counter
    let forbidden: Counter
    let launchSeconds: DurationHistogram
    private let states: [VMState: Gauge]
    private let residentBytes: Gauge

    init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "sevhostd", metricName: metric, unitName: unit, helpText: help)
        }
        launches = registry.makeCounter(descriptor: name("launches", "total", "QEMU processes started."))
        launchFailures = registry.makeCounter(descriptor: name("launch_failures", "total", "Launches that failed before settling."))
        crashes = registry.makeCounter(descriptor: name("qemu_crashes", "total", "QEMU processes that ended without being asked to."))
        injections = registry.makeCounter(descriptor: name("secret_injections", "total", "Launch secrets injected."))
        qmpEvents = registry.makeCounter(descriptor: name("qmp_events", "total", "QMP events received from QEMU."))
        requests = registry.makeCounter(descriptor: name("http_requests", "total", "API requests answered."))
        forbidden = registry.makeCounter(descriptor: name("http_forbidden", "total", "API requests refused by the peer check."))
        launchSeconds = registry.makeDurationHistogram(
            descriptor: name("launch", "seconds", "From start to awaiting-secret or running."),
            buckets: [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)])
        var states: [VMState: Gauge] = [:]
        for state in VMState.allCases {
            states[state] = registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "sevhostd", metricName: "vms", unitName: "", helpText: "VMs by state."),
                labels: [("state", state.rawValue)])
        }
        self.states = states
        residentBytes = registry.makeGauge(descriptor: name("resident_memory", "bytes", "The daemon's resident set size."))
    }

    /// The exposition text, with the gauges brought up to date first.
    func render(vms: [VMState]) -> [UInt8] {
        for (state, gauge) in states { gauge.set(Double(vms.filter { $0 == state }.count)) }
        if let rss = Self.residentSetSize() { residentBytes.set(Double(rss)) }
        return registry.emitToBuffer()
    }

    /// From /proc/self/statm (pages), in bytes.
    static func residentSetSize() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
