import Foundation

/// The last lines of a log file, read from its end, so a long-running guest's log is never
/// read whole.
enum LogTail {
    static func lines(of path: String, count: Int, chunk: Int = 64 << 10) -> [String] {
        guard count > 0, let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return [] }
        var offset = size
        var data = Data()
        while offset > 0 {
            let step = min(UInt64(chunk), offset)
            offset -= step
            try? handle.seek(toOffset: offset)
            data = (try? handle.read(upToCount: Int(step)) ?? Data()).map { $0 + data } ?? data
            if data.reduce(0, { $0 + ($1 == 0x0a ? 1 : 0) }) > count { break }
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return Array(lines.suffix(count))
    }
}
