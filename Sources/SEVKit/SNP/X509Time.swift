import Foundation
import SwiftASN1

/// X.509 `Time` (UTCTime or GeneralizedTime) to `Date`, without Calendar or time zones.
enum X509Time {
    static func decode(_ node: ASN1Node) throws -> Date {
        var c: (y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int)
        switch node.identifier {
        case .utcTime:
            let t = try UTCTime(derEncoded: node)
            c = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        case .generalizedTime:
            let t = try GeneralizedTime(derEncoded: node)
            c = (t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
        default:
            throw SNPCertificateError("validity time is neither UTCTime nor GeneralizedTime")
        }
        // Days from the civil date (proleptic Gregorian), so no Calendar or time zone is involved.
        let y = c.mo <= 2 ? c.y - 1 : c.y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (c.mo + 9) % 12
        let doy = (153 * mp + 2) / 5 + c.d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + c.h * 3600 + c.mi * 60 + c.s))
    }
}
