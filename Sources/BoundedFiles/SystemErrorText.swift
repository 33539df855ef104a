import Foundation

/// The short reason of a failed file operation (`No such file or directory`), whatever threw
/// it: a `FileReadError`'s own words, the POSIX error underneath a Foundation error, never
/// Foundation's sentence (`The file “.x.capture-123” couldn’t be saved…`, which names
/// temporary files and says `NSCocoaErrorDomain error 256` for a directory).
public enum SystemErrorText {
    public static func reason(_ error: any Error) -> String {
        if let error = error as? FileReadError { return error.problem }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch (ns.domain, ns.code) {
        case (NSCocoaErrorDomain, NSFileReadNoSuchFileError), (NSCocoaErrorDomain, NSFileNoSuchFileError):
            return "No such file or directory"
        case (NSCocoaErrorDomain, NSFileReadNoPermissionError), (NSCocoaErrorDomain, NSFileWriteNoPermissionError):
            return "Permission denied"
        case (NSCocoaErrorDomain, NSFileWriteOutOfSpaceError):
            return "No space left on device"
        case (NSCocoaErrorDomain, NSFileWriteFileExistsError):
            return "File exists"
        default:
            return "the operation failed (\(ns.domain) \(ns.code))"
        }
    }
}
