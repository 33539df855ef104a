import Foundation
import GRDB
import Orchestration
import SEVKit

/// The daemon's state in one SQLite file: the VMs and their event history. Every state change
/// and the event that tells of it are written in one transaction, so after a crash the history
/// never disagrees with the state. The file is 0600: it names every guest and its launch.
///
/// Each VM keeps only its newest `eventHistory` events: a guest that runs for months, or one
/// whose QEMU keeps emitting events, must not grow the file (and every poll over it) without
/// bound. The oldest are dropped in the transaction that adds a new one; sequence numbers are
/// never reused, so a poller that fell behind sees a gap, not a different event under a number
/// it already had.
final class VMStore: Sendable {
    private let queue: DatabaseQueue
    /// The most events kept per VM.
    let eventHistory: Int

    init(path: String, eventHistory: Int = DaemonConfiguration.defaultEventHistory) throws {
        precondition(eventHistory >= 1, "a VM keeps at least its latest event")
        self.eventHistory = eventHistory
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let existed = FileManager.default.fileExists(atPath: path)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        if !existed { chmod(path, 0o600) }
        try Self.migrator.migrate(queue)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "vm") { table in
                table.primaryKey("name", .text)
                table.column("spec", .text).notNull()
                table.column("file", .text).notNull()
                table.column("type", .text).notNull()
                table.column("policy", .text).notNull()
                table.column("pre_attestation", .boolean).notNull()
                table.column("state", .text).notNull()
                table.column("reason", .text)
                table.column("pid", .integer)
                table.column("qmp", .text).notNull()
                table.column("binary", .text)
                table.column("bundle", .text)
                table.column("stop_requested", .boolean).notNull().defaults(to: false)
                table.column("dh_cert", .text)
                table.column("session", .text)
                table.column("created", .text).notNull()
                table.column("updated", .text).notNull()
            }
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("vm", .text).notNull().indexed()
                table.column("time", .text).notNull()
                table.column("kind", .text).notNull()
                table.column("state", .text)
                table.column("message", .text).notNull()
            }
        }
        // SEV-SNP expectations, recorded at define and at each signed start.
        migrator.registerMigration("v2") { db in
            try db.alter(table: "vm") { table in table.add(column: "expected", .text) }
        }
        migrator.registerMigration("v3: intent") { db in
            try db.alter(table: "vm") { table in table.add(column: "intent", .text) }
        }
        // VMs run as libvirt domains (`--connect`): the host's URI and the domain's UUID.
        migrator.registerMigration("v4: libvirt host") { db in
            try db.alter(table: "vm") { table in
                table.add(column: "host", .text)
                table.add(column: "domain_uuid", .text)
            }
        }
        return migrator
    }

    /// Adds a new VM and its `defined` event; false when the name is taken.
    func insert(_ record: VMRecord) throws -> Bool {
        try queue.write { db in
            if try VMRecord.fetchOne(db, key: record.name) != nil { return false }
            try record.insert(db)
            var event = EventRecord(vm: record.name, time: record.created, kind: "state", state: record.state, message: "defined from \(record.file)")
            try insert(&event, db)
            return true
        }
    }

    func record(_ name: String) throws -> VMRecord? {
        try queue.read { db in try VMRecord.fetchOne(db, key: name) }
    }

    func all() throws -> [VMRecord] {
        try queue.read { db in try VMRecord.order(VMRecord.CodingKeys.name).fetchAll(db) }
    }

    /// Changes a VM and records `event` (kind, message; the state is the record's new one when
    /// it changed) in the same transaction. Returns nil when the VM does not exist.
    @discardableResult
    func update(_ name: String, event: (kind: String, message: String)? = nil, _ change: (inout VMRecord) -> Void) throws -> VMRecord? {
        try queue.write { db in
            guard var record = try VMRecord.fetchOne(db, key: name) else { return nil }
            let before = record.state
            change(&record)
            // A failure's reason quotes QEMU's last output.
            record.reason = record.reason.map(TerminalText.line)
            record.updated = Timestamp.now()
            try record.update(db)
            if let event {
                var row = EventRecord(
                    vm: name, time: record.updated, kind: event.kind,
                    state: event.kind == "state" || record.state != before ? record.state : nil, message: event.message)
                try insert(&row, db)
            }
            return record
        }
    }

    /// Records an event that changes nothing (a QMP event, an action).
    func append(vm: String, kind: String, message: String) throws {
        try queue.write { db in
            var row = EventRecord(vm: vm, time: Timestamp.now(), kind: kind, state: nil, message: message)
            try insert(&row, db)
        }
    }

    /// Adds one event and drops that VM's events older than its newest `eventHistory`. Events
    /// quote QEMU (its events' data, its errors, its output), so each is made one safe line
    /// here, whoever reads it later (`vm events`, a log shipper, a terminal).
    private func insert(_ event: inout EventRecord, _ db: Database) throws {
        event.message = TerminalText.line(event.message)
        try event.insert(db)
        try db.execute(
            sql: """
                DELETE FROM event WHERE vm = ? AND seq <= (
                    SELECT seq FROM event WHERE vm = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)
                """,
            arguments: [event.vm, event.vm, eventHistory])
    }

    /// Removes a VM and its history.
    func delete(_ name: String) throws {
        try queue.write { db in
            _ = try VMRecord.deleteOne(db, key: name)
            try EventRecord.filter(Column("vm") == name).deleteAll(db)
        }
    }

    /// Events after `after`, oldest first, for one VM or all (at most `limit`), and the
    /// highest sequence number handed out, read together so a poller that continues from
    /// `last` misses nothing.
    func events(vm: String?, after: Int64, limit: Int = 1000) throws -> (events: [EventRecord], last: Int64) {
        try queue.read { db in
            var request = EventRecord.filter(Column("seq") > after)
            if let vm { request = request.filter(Column("vm") == vm) }
            let events = try request.order(Column("seq")).limit(limit).fetchAll(db)
            // sqlite_sequence, not MAX(seq): deleting a VM's history must not hand its numbers out again.
            let last = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'event'") ?? 0
            return (events, events.count == limit ? (events.last?.seq ?? last) : last)
        }
    }
}
