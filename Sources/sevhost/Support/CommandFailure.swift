/// A command failed on bad input or a refused check: ArgumentParser prints it as one line,
/// `Error: …`, and the exit status is 1. Every command reports such failures with this one type,
/// so they all read alike.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
