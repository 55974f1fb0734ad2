/// Hash-based identifiers.
///
/// Sequential ids and per-parent counters collide when two branches or two machines create
/// entities independently (the lesson of Task Master and beads). An id here is the first
/// ``hexLength`` hex digits of SHA-256 over the entity's kind, its text, the actor, the time and
/// a random nonce supplied by the caller (the model itself has no randomness), so children get
/// ids from the same space as everything else.
public enum Identifiers {
    /// 10 hex digits = 40 bits: a 1-in-20,000 chance of any collision among 10,000 tasks made
    /// independently, and ``make(kind:text:actor:at:nonce:existing:)`` re-draws on a local clash.
    public static let hexLength = 10

    public static func make(
        kind: EntityKind, text: String, actor: String, at: Timestamp, nonce: UInt64,
        existing: (String) throws -> Bool
    ) rethrows -> String {
        var n = nonce
        while true {
            let material = "\(kind.rawValue)\u{0}\(text)\u{0}\(actor)\u{0}\(at.seconds)\u{0}\(n)"
            let digest = SHA256.digest(Array(material.utf8))
            let id = kind.idPrefix + hex(digest).prefix(hexLength)
            if try !existing(id) { return id }
            n = n &+ 0x9E37_79B9_7F4A_7C15
        }
    }

    /// Resolves a full id or a unique prefix of one, with or without the kind's `t-`/`m-`/`g-`.
    public static func resolve<S: Sequence>(_ input: String, kind: EntityKind, among ids: S) throws
        -> String where S.Element == String
    {
        try resolve(input, kind: kind) { needle, full in
            var matches: [String] = []
            for id in ids {
                if id == needle || id == full { return (id, []) }
                if id.hasPrefix(full) { matches.append(id) }
            }
            return (nil, matches)
        }
    }

    /// The same rule over a lookup (an index): `lookup(needle, full)` gives the id equal to
    /// either, else the ids starting with `full` (at least two of them when there are several).
    public static func resolve(
        _ input: String, kind: EntityKind, lookup: (_ needle: String, _ full: String) throws -> (String?, [String])
    ) throws -> String {
        let needle = input.lowercased()
        guard !needle.isEmpty else { throw ModelError.emptyText(field: "\(kind.rawValue) id") }
        let full = needle.hasPrefix(kind.idPrefix) ? needle : kind.idPrefix + needle
        let (exact, matches) = try lookup(needle, full)
        if let exact { return exact }
        switch matches.count {
        case 0: throw ModelError.unknownID(kind: kind, id: input)
        case 1: return matches[0]
        default: throw ModelError.ambiguousPrefix(kind: kind, prefix: input, candidates: matches.sorted())
        }
    }

    /// An id, unique id prefix, or — when neither matches — a title: `titles` by id (exact,
    /// case-insensitive, surrounding spaces ignored). Two entities with the title is an error
    /// naming both ids.
    public static func resolve(_ input: String, kind: EntityKind, titles: [String: String]) throws -> String {
        do {
            return try resolve(input, kind: kind, among: titles.keys)
        } catch ModelError.unknownID {
            let wanted = input.trimmingWhitespace.lowercased()
            let matches = titles.filter { $0.value.trimmingWhitespace.lowercased() == wanted }.keys.sorted()
            switch matches.count {
            case 0: throw ModelError.unknownID(kind: kind, id: input)
            case 1: return matches[0]
            default: throw ModelError.ambiguousPrefix(kind: kind, prefix: input, candidates: matches)
            }
        }
    }

    /// The grammar of a stored id (docs/state.schema.json): the kind's prefix and ``hexLength``
    /// lower-case hex digits. Anything else (an escape sequence, a newline) is refused on read.
    public static func isWellFormed(_ id: String, kind: EntityKind) -> Bool {
        let b = Array(id.utf8)
        let prefix = Array(kind.idPrefix.utf8)
        return b.count == prefix.count + hexLength && b.starts(with: prefix)
            && b.dropFirst(prefix.count).allSatisfy(isLowerHex)
    }

    /// A full commit id: 40 lower-case hex digits.
    public static func isCommitID(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy(isLowerHex)
    }

    static func isLowerHex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }

    /// A value for an error message, quoted, with control characters and non-ASCII shown as
    /// escapes so the message stays one harmless line; long values are cut.
    public static func quoted(_ text: String) -> String {
        var out = "'"
        for u in text.unicodeScalars.prefix(40) {
            switch u.value {
            case 0x0A: out += "\\n"
            case 0x20..<0x7F where u != "'" && u != "\\": out.unicodeScalars.append(u)
            default: out += "\\u{\(String(u.value, radix: 16))}"
            }
        }
        return out + (text.unicodeScalars.count > 40 ? "…'" : "'")
    }

    /// Lower-case hex of any byte sequence.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
