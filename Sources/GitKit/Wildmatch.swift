/// git's glob matching with slashes as separators (`wildmatch` with `WM_PATHNAME`), which the
/// configuration's conditional includes use: `?`, `*` and `[…]` never match `/`; `**` between
/// slashes (or at either end) matches across directories, and `**/` may match nothing; `\`
/// quotes the next character. Bytes, not characters, as git compares them.
enum Wildmatch {
    static func matches(_ pattern: String, _ text: String, ignoringCase: Bool = false) -> Bool {
        var p = Array(pattern.utf8)
        var t = Array(text.utf8)
        if ignoringCase {
            p = p.map(lower)
            t = t.map(lower)
        }
        return match(p, 0, t, 0, ignoringCase)
    }

    private static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

    private static let slash = UInt8(ascii: "/")

    private static func match(_ p: [UInt8], _ pi: Int, _ t: [UInt8], _ ti: Int, _ icase: Bool) -> Bool {
        var pi = pi
        var ti = ti
        while pi < p.count {
            let c = p[pi]
            if c == UInt8(ascii: "*") { return star(p, pi, t, ti, icase) }
            guard ti < t.count else { return false }
            switch c {
            case UInt8(ascii: "?"):
                if t[ti] == slash { return false }
                pi += 1
            case UInt8(ascii: "["):
                guard let (matched, next) = bracket(p, pi, t[ti], icase), matched, t[ti] != slash else { return false }
                pi = next
            case UInt8(ascii: "\\"):
                guard pi + 1 < p.count, p[pi + 1] == t[ti] else { return false }
                pi += 2
            default:
                if c != t[ti] { return false }
                pi += 1
            }
            ti += 1
        }
        return ti == t.count
    }

    /// `*` or `**` at `pi`.
    private static func star(_ p: [UInt8], _ pi: Int, _ t: [UInt8], _ ti: Int, _ icase: Bool) -> Bool {
        var end = pi
        while end < p.count, p[end] == UInt8(ascii: "*") { end += 1 }
        var crossesSlashes = false
        if end - pi >= 2 {
            let atStart = pi == 0 || p[pi - 1] == slash
            let atEnd =
                end == p.count || p[end] == slash
                || (p[end] == UInt8(ascii: "\\") && end + 1 < p.count && p[end + 1] == slash)
            if atStart && atEnd {
                // `**/` may match no directory at all.
                if end < p.count, p[end] == slash, match(p, end + 1, t, ti, icase) { return true }
                crossesSlashes = true
            }
        }
        if end == p.count { return crossesSlashes || !t[ti...].contains(slash) }
        var i = ti
        while true {
            if match(p, end, t, i, icase) { return true }
            guard i < t.count, crossesSlashes || t[i] != slash else { return false }
            i += 1
        }
    }

    /// Whether the class starting at `start` (`[`) admits `c`, and the index after its `]`; nil for
    /// a class without its end or with an unknown `[:name:]` (git then matches nothing).
    private static func bracket(_ p: [UInt8], _ start: Int, _ c: UInt8, _ icase: Bool) -> (Bool, Int)? {
        var i = start + 1
        guard i < p.count else { return nil }
        var negated = false
        if p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^") {
            negated = true
            i += 1
        }
        var matched = false
        var previous: UInt8?
        var first = true
        while true {
            guard i < p.count else { return nil }
            var ch = p[i]
            if ch == UInt8(ascii: "]"), !first { break }
            first = false
            if ch == UInt8(ascii: "\\") {
                i += 1
                guard i < p.count else { return nil }
                ch = p[i]
                if ch == c { matched = true }
                previous = ch
            } else if ch == UInt8(ascii: "-"), let low = previous, i + 1 < p.count, p[i + 1] != UInt8(ascii: "]") {
                i += 1
                var high = p[i]
                if high == UInt8(ascii: "\\") {
                    i += 1
                    guard i < p.count else { return nil }
                    high = p[i]
                }
                if c >= low && c <= high { matched = true }
                previous = nil
            } else if ch == UInt8(ascii: "["), i + 1 < p.count, p[i + 1] == UInt8(ascii: ":"),
                let close = classEnd(p, i + 2)
            {
                let name = String(decoding: p[(i + 2)..<close], as: UTF8.self)
                guard let test = characterClass(name) else { return nil }
                // Ignoring case, the text is lowered: `[:upper:]` then admits lower-case letters.
                if test(c) || (icase && name == "upper" && isAlpha(c)) { matched = true }
                i = close + 1  // at the `]` of `:]`
                previous = nil
            } else {
                if ch == c { matched = true }
                previous = ch
            }
            i += 1
        }
        return (matched != negated, i + 1)
    }

    /// The index of the `:` of the `:]` closing a `[:name:]` opened before `from`, or nil.
    private static func classEnd(_ p: [UInt8], _ from: Int) -> Int? {
        var i = from
        while i + 1 < p.count {
            if p[i] == UInt8(ascii: "]") { return nil }
            if p[i] == UInt8(ascii: ":"), p[i + 1] == UInt8(ascii: "]") { return i }
            i += 1
        }
        return nil
    }

    /// The test of a `[:name:]` class (ASCII, as git's), or nil for an unknown name.
    private static func characterClass(_ name: String) -> ((UInt8) -> Bool)? {
        switch name {
        case "alnum": return { isAlpha($0) || isDigit($0) }
        case "alpha": return isAlpha
        case "blank": return { $0 == 0x20 || $0 == 0x09 }
        case "cntrl": return { $0 < 0x20 || $0 == 0x7F }
        case "digit": return isDigit
        case "graph": return { $0 > 0x20 && $0 < 0x7F }
        case "lower": return { $0 >= 0x61 && $0 <= 0x7A }
        case "print": return { $0 >= 0x20 && $0 < 0x7F }
        case "punct": return { $0 > 0x20 && $0 < 0x7F && !isAlpha($0) && !isDigit($0) }
        case "space": return { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
        case "upper": return { $0 >= 0x41 && $0 <= 0x5A }
        case "xdigit": return { isDigit($0) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
        default: return nil
        }
    }

    private static func isAlpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
