import BoundedFiles

/// The last lines of a log file, read from its end and never more than `maximumBytes` of it,
/// so a long-running guest's log (or one QEMU filled with a single endless line) is never
/// read whole.
enum LogTail {
    static let maximumBytes = 4 << 20

    static func lines(of path: String, count: Int, maximumBytes: Int = maximumBytes) -> [String] {
        guard count > 0, let tail = try? BoundedFile.readTail(path, count: maximumBytes) else { return [] }
        var lines = String(decoding: tail, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        // Cut at the bound: the first line is a line's end, not a line.
        if tail.count == maximumBytes, lines.count > 1 { lines.removeFirst() }
        return Array(lines.suffix(count))
    }
}
