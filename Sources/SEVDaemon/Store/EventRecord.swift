import GRDB
import Orchestration

/// A row of the event history; `seq` is SQLite's rowid, so it only grows.
struct EventRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "event"

    var seq: Int64?
    var vm: String
    var time: String
    var kind: String
    var state: VMState?
    var message: String

    mutating func didInsert(_ inserted: InsertionSuccess) {
        seq = inserted.rowID
    }

    var event: VMEvent {
        VMEvent(seq: seq ?? 0, vm: vm, time: time, kind: kind, state: state, message: message)
    }
}
