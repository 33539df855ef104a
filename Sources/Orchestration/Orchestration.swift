/// Orchestration shared by the CLI and the daemon.
import SEVKit
