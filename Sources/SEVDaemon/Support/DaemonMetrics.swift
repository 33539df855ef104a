import Foundation
import Prometheus
import SEVHostKit

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
        launches = registry.makeCounter(name: "sevhostd_launches_total", help: "QEMU processes started.")
        launchFailures = registry.makeCounter(name: "sevhostd_launch_failures_total", help: "Launches that failed before settling.")
        crashes = registry.makeCounter(name: "sevhostd_qemu_crashes_total", help: "QEMU processes that ended without being asked to.")
        injections = registry.makeCounter(name: "sevhostd_secret_injections_total", help: "Launch secrets injected.")
        qmpEvents = registry.makeCounter(name: "sevhostd_qmp_events_total", help: "QMP events received from QEMU.")
        requests = registry.makeCounter(name: "sevhostd_http_requests_total", help: "API requests answered.")
        forbidden = registry.makeCounter(name: "sevhostd_http_forbidden_total", help: "API requests refused by the peer check.")
        launchSeconds = registry.makeDurationHistogram(
            name: "sevhostd_launch_seconds",
            buckets: [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)],
            help: "From start to awaiting-secret or running.")
        var states: [VMState: Gauge] = [:]
        for state in VMState.allCases {
            states[state] = registry.makeGauge(name: "sevhostd_vms", labels: [("state", state.rawValue)], help: "VMs by state.")
        }
        self.states = states
        residentBytes = registry.makeGauge(name: "sevhostd_resident_memory_bytes", help: "The daemon's resident set size.")
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
