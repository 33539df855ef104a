import BoundedFiles
import Foundation

/// Short reasons for failed file reads (`No such file or directory`), instead of Foundation's
/// sentence-long localized descriptions, so errors stay on one readable line.
enum FileErrorText {
    static func reason(_ error: any Error) -> String {
        if let error = error as? FileReadError { return error.problem }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        if ns.domain == NSPOSIXErrorDomain, let message = strerror(Int32(ns.code)) { return String(cString: message) }
        switch (ns.domain, ns.code) {
        case (NSCocoaErrorDomain, NSFileReadNoSuchFileError), (NSCocoaErrorDomain, NSFileNoSuchFileError):
            return "No such file or directory"
        case (NSCocoaErrorDomain, NSFileReadNoPermissionError):
            return "Permission denied"
        default:
            return ns.localizedDescription
        }
    }
}
