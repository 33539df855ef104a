/// sevhostd's machinery: the VM store (SQLite through GRDB), QEMU supervision through the
/// launch builder and QMP, and the HTTP/JSON API on a Unix socket (Hummingbird).
import SEVHostKit
