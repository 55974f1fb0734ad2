import CLibGit2

/// A commit or object id as 40 lower-case hex digits.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let hex: String

    /// Accepts exactly 40 hex digits; nil otherwise.
    public init?(hex: String) {
        let lower = hex.lowercased()
        guard lower.utf8.count == 40,
            lower.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        self.hex = lower
    }

    init(_ oid: git_oid) {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(40)
        withUnsafeBytes(of: oid.id) { raw in
            for b in raw {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xF)])
            }
        }
        hex = String(decoding: out, as: UTF8.self)
    }

    var gitOID: git_oid {
        var oid = git_oid()
        _ = hex.withCString { git_oid_fromstr(&oid, $0) }
        return oid
    }

    /// The first seven digits, as git abbreviates.
    public var short: String { String(hex.prefix(7)) }
    public var description: String { hex }
    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.hex < b.hex }
}
