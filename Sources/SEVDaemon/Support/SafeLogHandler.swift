import Logging
import SEVKit

/// A log handler in front of another that makes every message and metadata value safe
/// (`TerminalText.line`) before it is written: the daemon logs what QEMU said when it failed,
/// and a journal read on a terminal must not obey escape sequences a guest's QEMU printed.
public struct SafeLogHandler: LogHandler {
    private var base: any LogHandler

    public init(_ base: any LogHandler) {
        self.base = base
    }

    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue.mapValues(Self.safe) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue.map(Self.safe) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(TerminalText.line(event.message.description))"
        event.metadata = event.metadata?.mapValues(Self.safe)
        base.log(event: event)
    }

    static func safe(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(TerminalText.line(text))
        case .stringConvertible(let item): .string(TerminalText.line(item.description))
        case .array(let items): .array(items.map(safe))
        case .dictionary(let items): .dictionary(items.mapValues(safe))
        }
    }
}
