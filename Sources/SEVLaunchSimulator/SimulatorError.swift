import AtomicFiles
import BoundedFiles

/// Why the simulator could not start or serve: one line naming the file or argument.
public enum SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state directory or a file in it.
    case state(String)
    /// A QEMU command-line argument the simulator cannot honour.
    case argument(String)
    /// A file named on the command line.
    case file(String)
    /// The firmware refused a launch command.
    case firmware(SEVFirmwareStatus)

    public var description: String {
        switch self {
        case .state(let text), .argument(let text), .file(let text): text
        case .firmware(let status): status.description
        }
    }
}

extension SimulatorError {
    /// Runs a file write, its failure reported as a `.file` error naming the file.
    public static func writing(_ body: () throws(AtomicFileError) -> Void) throws(SimulatorError) {
        do {
            try body()
        } catch {
            throw .file(error.description)
        }
    }
}

extension SimulatorError {
    /// A state file's bytes, nil when there is none yet (a fresh state directory); any other
    /// failure to read it is a `.state` error naming the file.
    static func reading(_ path: String, _ limit: InputLimit) throws(SimulatorError) -> [UInt8]? {
        do {
            return try BoundedFile.read(path, limit)
        } catch where error.reason == .missing {
            return nil
        } catch {
            throw .state(error.description)
        }
    }
}
