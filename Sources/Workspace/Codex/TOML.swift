/// A TOML reader for Codex's config.toml: it validates the whole file as Codex does (TOML 1.1:
/// Codex 0.163 accepts multi-line inline tables, `\e` and `\xHH` escapes and times without
/// seconds), refusing what does not parse with the line and column; builds the value tree; and
/// remembers where every key, value, array element and inline-table member is written, so that
/// ``TOMLEditor`` can change one value and keep every other byte (comments, order, line endings,
/// a byte-order mark). Which keys a file may define twice, extend or reopen follows TOML's rules
/// as Python's `tomllib` implements them (the tests compare the two over a fuzzed corpus).
public indirect enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case datetime(String)
    case array([TOMLValue])
    case table([String: TOMLValue])

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var table: [String: TOMLValue]? { if case .table(let t) = self { return t } else { return nil } }
    public var array: [TOMLValue]? { if case .array(let a) = self { return a } else { return nil } }

    public subscript(path: String...) -> TOMLValue? { lookup(path) }

    public func lookup(_ path: [String]) -> TOMLValue? {
        var v: TOMLValue? = self
        for k in path { v = v?.table?[k] }
        return v
    }

    /// Equality where a NaN equals a NaN of the same sign (a file's `nan` is the same value after
    /// an edit) and an empty table equals no table at all (removing a key may leave its table
    /// empty, or remove the header that was left with nothing).
    public func sameContent(as other: TOMLValue) -> Bool {
        switch (self.pruned, other.pruned) {
        case (nil, nil): return true
        case (let a?, let b?): return Self.same(a, b)
        default: return false
        }
    }

    private static func same(_ a: TOMLValue, _ b: TOMLValue) -> Bool {
        switch (a, b) {
        case (.float(let x), .float(let y)):
            return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN && x.sign == y.sign) || x == y
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.table(let x), .table(let y)):
            return x.keys == y.keys && x.allSatisfy { k, v in y[k].map { same(v, $0) } ?? false }
        default: return a == b
        }
    }

    /// The value without empty tables (nil when nothing is left of a table).
    var pruned: TOMLValue? {
        switch self {
        case .table(let t):
            let kept = t.compactMapValues(\.pruned)
            return kept.isEmpty ? nil : .table(kept)
        case .array(let a): return .array(a.map { $0.pruned ?? .table([:]) })
        default: return self
        }
    }

    /// A short name of the value's type, for messages.
    var kindName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float"
        case .bool: return "a boolean"
        case .datetime: return "a date-time"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

public struct TOMLError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var problem: String
    public var description: String { "line \(line), column \(column): \(problem)" }
}

/// One step of a path into the document: a key, or an element of an array (arrays of tables too).
public enum TOMLStep: Hashable, Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let k): return tomlKey(k)
        case .index(let i): return "[\(i)]"
        }
    }
}

/// A path as the document resolves it (`[[a]]` tables by index).
public typealias TOMLPath = [TOMLStep]

func describe(_ path: TOMLPath) -> String {
    var out = ""
    for step in path {
        if case .key = step, !out.isEmpty { out += "." }
        out += step.description
    }
    return out
}

/// Where one value is written. Offsets count Unicode scalars of the text (`start..<end` is the
/// value's own text).
struct TOMLSpan: Sendable, Equatable {
    enum Owner: Sendable, Equatable {
        /// A `key = value` line of its own: `lineStart..<lineEnd` is its whole line(s) with the
        /// newline, `keyStart` where its key begins; `section` is the table header it sits under.
        case statement(lineStart: Int, keyStart: Int, lineEnd: Int, section: [String], dottedKey: [String])
        /// A member of an inline table (`keyStart` where its key begins).
        case member(keyStart: Int)
        /// An element of an array.
        case element
    }

    var owner: Owner
    var start: Int
    var end: Int
    /// For an array or an inline table: where its brackets are (`open` and `close` are the
    /// offsets of `[`/`{` and `]`/`}`).
    var open: Int?
    var close: Int?
}

/// A table header: its line, and its path.
struct TOMLHeader: Sendable, Equatable {
    var path: [String]
    var isArray: Bool
    var lineStart: Int
    var lineEnd: Int
    /// Where the next header starts (or the end of the text): its section ends there.
    var sectionEnd: Int
}

/// One statement of the document: a table header or a key/value, with its lines (1-based, inclusive).
public struct TOMLStatement: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case table, arrayTable, keyValue }
    public var kind: Kind
    /// For a key/value, the full path of the key (table path + dotted key).
    public var path: [String]
    public var firstLine: Int
    public var lastLine: Int
}

public struct TOMLDocument: Sendable {
    public var root: TOMLValue
    public var statements: [TOMLStatement]
    /// Where each value is written, by its resolved path.
    var spans: [TOMLPath: TOMLSpan]
    var headers: [TOMLHeader]
    /// The text's scalars (with the byte-order mark, when there is one).
    var scalars: [Unicode.Scalar]
    /// The line break the file uses ("\r\n" when its first line ends so).
    var newline: String

    public init(parsing text: String) throws {
        var p = TOMLParser(text)
        try p.parse()
        root = p.root
        statements = p.statements
        spans = p.spans
        headers = p.headers
        for i in headers.indices {
            headers[i].sectionEnd = i + 1 < headers.count ? headers[i + 1].lineStart : p.s.count
        }
        scalars = p.s
        newline = p.firstNewline ?? "\n"
    }
}

/// Renders a string as a TOML basic string.
public func tomlQuote(_ s: String) -> String { quotedString(s, escapingDelete: true) }

/// A double-quoted string with JSON's escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`,
/// else `\u00XX` for control characters), which TOML basic strings share; TOML also escapes DEL,
/// serde_json (Codex's trust hash) does not. Non-ASCII stays as is.
func quotedString(_ s: String, escapingDelete: Bool) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if u.value < 0x20 || (escapingDelete && u.value == 0x7F) {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// A key as TOML writes it: bare when it can be.
public func tomlKey(_ k: String) -> String {
    let bare = !k.isEmpty && k.unicodeScalars.allSatisfy(isBareKeyScalar)
    return bare ? k : tomlQuote(k)
}

func isBareKeyScalar(_ c: Unicode.Scalar) -> Bool {
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
}

public func tomlRender(_ v: TOMLValue) -> String {
    switch v {
    case .string(let s): return tomlQuote(s)
    case .integer(let i): return String(i)
    case .float(let d):
        if d.isNaN { return d.sign == .minus ? "-nan" : "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let s = String(d)
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    case .bool(let b): return b ? "true" : "false"
    case .datetime(let d): return d
    case .array(let a): return "[" + a.map(tomlRender).joined(separator: ", ") + "]"
    case .table(let t):
        if t.isEmpty { return "{}" }
        return "{ "
            + t.keys.sorted().map { tomlKey($0) + " = " + tomlRender(t[$0] ?? .bool(false)) }
            .joined(separator: ", ") + " }"
    }
}

/// Which keys may still be defined, extended or reopened: a port of `tomllib`'s flags. A table
/// opened by a header is `explicit` (a second `[t]` is an error, dotted keys may not reopen it);
/// inline tables and arrays written as values are `frozen`, with everything below them.
struct TOMLFlags {
    enum Flag: Hashable { case frozen, explicitNest }

    final class Node {
        var flags: Set<Flag> = []
        var recursive: Set<Flag> = []
        var nested: [String: Node] = [:]
    }

    var root = Node()
    var pending: [([String], Flag)] = []

    func isSet(_ key: [String], _ flag: Flag) -> Bool {
        guard let stem = key.last else { return false }
        var node = root
        for k in key.dropLast() {
            guard let inner = node.nested[k] else { return false }
            if inner.recursive.contains(flag) { return true }
            node = inner
        }
        guard let last = node.nested[stem] else { return false }
        return last.flags.contains(flag) || last.recursive.contains(flag)
    }

    mutating func set(_ key: [String], _ flag: Flag, recursive: Bool) {
        var node = root
        for k in key {
            if let n = node.nested[k] {
                node = n
            } else {
                let n = Node()
                node.nested[k] = n
                node = n
            }
        }
        if recursive { node.recursive.insert(flag) } else { node.flags.insert(flag) }
    }

    mutating func unsetAll(_ key: [String]) {
        guard let stem = key.last else { return }
        var node = root
        for k in key.dropLast() {
            guard let n = node.nested[k] else { return }
            node = n
        }
        node.nested.removeValue(forKey: stem)
    }

    mutating func addPending(_ key: [String], _ flag: Flag) { pending.append((key, flag)) }

    mutating func finalizePending() {
        for (k, f) in pending { set(k, f, recursive: false) }
        pending = []
    }
}

struct TOMLParser {
    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    var lineStart = 0
    var root: TOMLValue = .table([:])
    var statements: [TOMLStatement] = []
    var spans: [TOMLPath: TOMLSpan] = [:]
    var headers: [TOMLHeader] = []
    var flags = TOMLFlags()
    /// The current header's path (keys only) and whether it is an array of tables.
    var current: [String] = []
    var firstNewline: String?

    init(_ text: String) {
        s = Array(text.unicodeScalars)
        // A byte-order mark (an editor on Windows): Codex reads past it, and so do we; it stays.
        if s.first == "\u{FEFF}" {
            i = 1
            lineStart = 1
        }
    }

    var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    func peek(_ offset: Int) -> Unicode.Scalar? { i + offset < s.count ? s[i + offset] : nil }

    func error(_ problem: String) -> TOMLError {
        TOMLError(line: line, column: i - lineStart + 1, problem: problem)
    }

    mutating func parse() throws {
        while i < s.count {
            skipSpaces()
            guard let c = peek else { break }
            let first = line
            let statementLineStart = lineStart
            if c == "#" {
                try skipComment()
                try endOfLine()
            } else if c == "\n" || c == "\r" {
                try newline()
            } else if c == "[" {
                flags.finalizePending()
                i += 1
                let isArray = peek == "["
                if isArray { i += 1 }
                skipSpaces()
                let key = try parseKey()
                skipSpaces()
                guard peek == "]" else { throw error("expected ']' after the table name") }
                i += 1
                if isArray {
                    guard peek == "]" else { throw error("expected ']]' after the array-of-tables name") }
                    i += 1
                }
                try openTable(key, isArray: isArray)
                try endOfLine()
                statements.append(
                    TOMLStatement(kind: isArray ? .arrayTable : .table, path: key, firstLine: first, lastLine: first))
                headers.append(
                    TOMLHeader(path: key, isArray: isArray, lineStart: statementLineStart, lineEnd: i, sectionEnd: 0))
            } else {
                let keyStart = i
                let key = try parseKey()
                skipSpaces()
                guard peek == "=" else { throw error("expected '=' after the key") }
                i += 1
                skipSpaces()
                let path = try keyValue(key, keyStart: keyStart)
                let last = line
                try endOfLine()
                if var span = spans[path] {
                    span.owner = .statement(
                        lineStart: statementLineStart, keyStart: keyStart, lineEnd: i, section: current, dottedKey: key)
                    spans[path] = span
                }
                statements.append(
                    TOMLStatement(kind: .keyValue, path: current + key, firstLine: first, lastLine: last))
            }
        }
    }

    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { i += 1 } }

    mutating func skipComment() throws {
        while let c = peek, c != "\n" {
            if c == "\r", peek(1) == "\n" { break }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw error("control character in a comment") }
            i += 1
        }
    }

    mutating func newline() throws {
        if peek == "\r" {
            i += 1
            guard peek == "\n" else { throw error("a carriage return not followed by a newline") }
            if firstNewline == nil { firstNewline = "\r\n" }
        } else if firstNewline == nil {
            firstNewline = "\n"
        }
        i += 1
        line += 1
        lineStart = i
    }

    mutating func endOfLine() throws {
        skipSpaces()
        if peek == "#" { try skipComment() }
        guard let c = peek else { return }
        guard c == "\n" || c == "\r" else {
            throw error("unexpected '\(Character(c))' after a value (one key per line)")
        }
        try newline()
    }

    mutating func parseKey() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek else { throw error("expected a key") }
            if c == "\"" {
                if peek(1) == "\"", peek(2) == "\"" { throw error("a key cannot be a multi-line string") }
                parts.append(try basicString())
            } else if c == "'" {
                if peek(1) == "'", peek(2) == "'" { throw error("a key cannot be a multi-line string") }
                parts.append(try literalString())
            } else {
                var k = ""
                while let c = peek, isBareKeyScalar(c) {
                    k.unicodeScalars.append(c)
                    i += 1
                }
                guard !k.isEmpty else { throw error("expected a key, found '\(Character(c))'") }
                parts.append(k)
            }
            skipSpaces()
            guard peek == "." else { return parts }
            i += 1
        }
    }

    // MARK: - Values

    /// Parses a value written at `path`, recording where it and everything inside it is written.
    mutating func parseValue(at path: TOMLPath, owner: TOMLSpan.Owner) throws -> TOMLValue {
        guard let c = peek else { throw error("expected a value") }
        let start = i
        var open: Int?
        var close: Int?
        let value: TOMLValue
        switch c {
        case "\"":
            value = .string(peek(1) == "\"" && peek(2) == "\"" ? try multilineBasic() : try basicString())
        case "'":
            value = .string(peek(1) == "'" && peek(2) == "'" ? try multilineLiteral() : try literalString())
        case "[":
            open = i
            value = try parseArray(at: path)
            close = i - 1
        case "{":
            open = i
            value = try parseInlineTable(at: path)
            close = i - 1
        default:
            value = try parseScalar()
        }
        spans[path] = TOMLSpan(owner: owner, start: start, end: i, open: open, close: close)
        return value
    }

    mutating func parseArray(at path: TOMLPath) throws -> TOMLValue {
        i += 1
        var items: [TOMLValue] = []
        while true {
            try skipSpaceInside("array")
            if peek == "]" {
                i += 1
                return .array(items)
            }
            items.append(try parseValue(at: path + [.index(items.count)], owner: .element))
            try skipSpaceInside("array")
            if peek == "," {
                i += 1
                continue
            }
            guard peek == "]" else { throw error("expected ',' or ']' in an array") }
            i += 1
            return .array(items)
        }
    }

    /// Whitespace, newlines and comments between the items of an array or (TOML 1.1, as Codex
    /// reads it) an inline table.
    mutating func skipSpaceInside(_ what: String) throws {
        while let c = peek {
            if c == " " || c == "\t" {
                i += 1
            } else if c == "\n" || c == "\r" {
                try newline()
            } else if c == "#" {
                try skipComment()
            } else {
                return
            }
        }
        throw error("unterminated \(what)")
    }

    /// An inline table: its own namespace, frozen once written (TOML 1.1: newlines, comments and
    /// a trailing comma are allowed inside).
    mutating func parseInlineTable(at path: TOMLPath) throws -> TOMLValue {
        i += 1
        var table: TOMLValue = .table([:])
        var local = TOMLFlags()
        while true {
            try skipSpaceInside("inline table")
            if peek == "}" {
                i += 1
                return table
            }
            let keyStart = i
            let key = try parseKey()
            skipSpaces()
            guard peek == "=" else { throw error("expected '=' in an inline table") }
            i += 1
            skipSpaces()
            let value = try parseValue(at: path + key.map(TOMLStep.key), owner: .member(keyStart: keyStart))
            if local.isSet(key, .frozen) {
                throw error("cannot extend '\(key.joined(separator: "."))': it is an inline table or array")
            }
            guard try Self.insert(&table, key, value, accessLists: false, at: self) else {
                throw error("key '\(key.joined(separator: "."))' defined twice")
            }
            if value.table != nil || value.array != nil { local.set(key, .frozen, recursive: true) }
            try skipSpaceInside("inline table")
            if peek == "," {
                i += 1
                continue
            }
            guard peek == "}" else { throw error("expected ',' or '}' in an inline table") }
            i += 1
            return table
        }
    }

    mutating func parseScalar() throws -> TOMLValue {
        var word = ""
        while let c = peek,
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
                || "_:+-.".unicodeScalars.contains(c)
                || (c == " " && isDateTimeSpace(word))
        {
            word.unicodeScalars.append(c)
            i += 1
        }
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan": return .float(.nan)
        case "-nan": return .float(-Double.nan)
        case "": throw error("expected a value")
        default: break
        }
        if let n = TOMLNumber.integer(word) { return .integer(n) }
        if TOMLNumber.isIntegerShaped(word) { throw error("invalid integer '\(word)'") }
        if let d = TOMLNumber.float(word) { return .float(d) }
        if TOMLDateTime.isValid(word) { return .datetime(word) }
        throw error("invalid value '\(word)' (strings need quotes)")
    }

    /// A space may separate a date from a time (`1979-05-27 07:32:00`).
    func isDateTimeSpace(_ word: String) -> Bool {
        word.count == 10 && TOMLDateTime.isDate(Substring(word)) && peek(1).map { $0 >= "0" && $0 <= "9" } == true
    }

    mutating func basicString() throws -> String {
        i += 1
        var out = ""
        while let c = peek {
            if c == "\"" {
                i += 1
                return out
            }
            if c == "\n" || c == "\r" { throw error("unterminated string") }
            if c == "\\" {
                out.unicodeScalars.append(try escape())
                continue
            }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw error("control character in a string") }
            out.unicodeScalars.append(c)
            i += 1
        }
        throw error("unterminated string")
    }

    mutating func escape() throws -> Unicode.Scalar {
        i += 1
        guard let e = peek else { throw error("unterminated escape") }
        i += 1
        switch e {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U", "x":
            let n = e == "u" ? 4 : e == "U" ? 8 : 2
            guard i + n <= s.count,
                s[i..<i + n].allSatisfy({ $0.properties.isASCIIHexDigit }),
                let v = UInt32(String(String.UnicodeScalarView(s[i..<i + n])), radix: 16),
                let u = Unicode.Scalar(v)
            else { throw error("invalid unicode escape") }
            i += n
            return u
        default: throw error("invalid escape '\\\(Character(e))'")
        }
    }

    mutating func literalString() throws -> String {
        i += 1
        var out = ""
        while let c = peek {
            if c == "'" {
                i += 1
                return out
            }
            if c == "\n" || c == "\r" { throw error("unterminated string") }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw error("control character in a string") }
            out.unicodeScalars.append(c)
            i += 1
        }
        throw error("unterminated string")
    }

    mutating func multilineBasic() throws -> String {
        i += 3
        if peek == "\n" || peek == "\r" { try newline() }
        var out = ""
        while let c = peek {
            if c == "\"", peek(1) == "\"", peek(2) == "\"" {
                i += 3
                // Up to two more quotes belong to the string.
                var extra = 0
                while peek == "\"", extra < 2 {
                    out += "\""
                    i += 1
                    extra += 1
                }
                return out
            }
            if c == "\\" {
                // A line-ending backslash trims the newline and the whitespace after it.
                var j = i + 1
                while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
                if j < s.count, s[j] == "\n" || (s[j] == "\r" && j + 1 < s.count && s[j + 1] == "\n") {
                    i = j
                    while let w = peek, w == " " || w == "\t" || w == "\n" || w == "\r" {
                        if w == "\n" || w == "\r" { try newline() } else { i += 1 }
                    }
                    continue
                }
                out.unicodeScalars.append(try escape())
                continue
            }
            if c == "\n" || c == "\r" {
                try newline()
                out += "\n"
                continue
            }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw error("control character in a string") }
            out.unicodeScalars.append(c)
            i += 1
        }
        throw error("unterminated multi-line string")
    }

    mutating func multilineLiteral() throws -> String {
        i += 3
        if peek == "\n" || peek == "\r" { try newline() }
        var out = ""
        while let c = peek {
            if c == "'", peek(1) == "'", peek(2) == "'" {
                i += 3
                var extra = 0
                while peek == "'", extra < 2 {
                    out += "'"
                    i += 1
                    extra += 1
                }
                return out
            }
            if c == "\n" || c == "\r" {
                try newline()
                out += "\n"
                continue
            }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw error("control character in a string") }
            out.unicodeScalars.append(c)
            i += 1
        }
        throw error("unterminated multi-line string")
    }

    // MARK: - Semantics (tomllib's rules)

    mutating func openTable(_ key: [String], isArray: Bool) throws {
        if isArray {
            if flags.isSet(key, .frozen) {
                throw error("cannot extend '\(key.joined(separator: "."))': it is an inline table or array")
            }
            flags.unsetAll(key)
            flags.set(key, .explicitNest, recursive: false)
            try Self.appendToList(&root, key, at: self)
        } else {
            if flags.isSet(key, .explicitNest) || flags.isSet(key, .frozen) {
                throw error("table [\(key.joined(separator: "."))] defined twice")
            }
            flags.set(key, .explicitNest, recursive: false)
            _ = try Self.nest(&root, key[...], accessLists: true, at: self) { _ in true }
        }
        current = key
    }

    /// `key = value` under the current header; returns the value's resolved path.
    mutating func keyValue(_ key: [String], keyStart: Int) throws -> TOMLPath {
        let parent = current + Array(key.dropLast())
        for n in 1..<max(key.count, 1) {
            let container = current + key.prefix(n)
            if flags.isSet(container, .explicitNest) {
                throw error("cannot redefine table '\(container.joined(separator: "."))' with a dotted key")
            }
            flags.addPending(container, .explicitNest)
        }
        if flags.isSet(parent, .frozen) {
            throw error("cannot extend '\(parent.joined(separator: "."))': it is an inline table or array")
        }
        let path = resolve(current + key)
        let value = try parseValue(at: path, owner: .element)
        guard try Self.insert(&root, current + key, value, accessLists: true, at: self) else {
            throw error("key '\((current + key).joined(separator: "."))' defined twice")
        }
        if value.table != nil || value.array != nil { flags.set(current + key, .frozen, recursive: true) }
        return path
    }

    /// The resolved path of `key` (each array of tables on the way by its last element).
    func resolve(_ key: [String]) -> TOMLPath {
        var out: TOMLPath = []
        var node: TOMLValue? = root
        for (n, k) in key.enumerated() {
            out.append(.key(k))
            node = node?.table?[k]
            if n < key.count - 1, case .array(let a)? = node, let last = a.last, last.table != nil {
                out.append(.index(a.count - 1))
                node = last
            }
        }
        return out
    }

    /// Walks `path` from `t`, creating tables, into the last element of arrays of tables when
    /// `accessLists`, and runs `body` on the table reached. False when `body` refused (a key
    /// defined twice); throws when the way is blocked by a value.
    static func nest(
        _ t: inout TOMLValue, _ path: ArraySlice<String>, accessLists: Bool, at p: TOMLParser,
        _ body: (inout [String: TOMLValue]) -> Bool
    ) throws -> Bool {
        guard case .table(var dict) = t else { throw p.error("cannot overwrite a value") }
        guard let first = path.first else {
            guard body(&dict) else { return false }
            t = .table(dict)
            return true
        }
        var child = dict[first] ?? .table([:])
        let done: Bool
        if accessLists, case .array(var items) = child {
            guard let last = items.indices.last, items[last].table != nil else {
                throw p.error("cannot overwrite a value")
            }
            done = try nest(&items[last], path.dropFirst(), accessLists: accessLists, at: p, body)
            child = .array(items)
        } else {
            guard child.table != nil else { throw p.error("cannot overwrite a value") }
            done = try nest(&child, path.dropFirst(), accessLists: accessLists, at: p, body)
        }
        guard done else { return false }
        dict[first] = child
        t = .table(dict)
        return true
    }

    static func appendToList(_ t: inout TOMLValue, _ path: [String], at p: TOMLParser) throws {
        guard let stem = path.last else { return }
        let appended = try nest(&t, path.dropLast(), accessLists: true, at: p) { dict in
            switch dict[stem] {
            case nil: dict[stem] = .array([.table([:])])
            case .array(var items)?:
                items.append(.table([:]))
                dict[stem] = .array(items)
            default: return false
            }
            return true
        }
        if !appended { throw p.error("'\(path.joined(separator: "."))' is already a value, not an array of tables") }
    }

    /// Sets `key` (dotted) to `value` in `t`; false when it is already defined.
    static func insert(
        _ t: inout TOMLValue, _ key: [String], _ value: TOMLValue, accessLists: Bool, at p: TOMLParser
    ) throws -> Bool {
        guard let stem = key.last else { return false }
        return try nest(&t, key.dropLast(), accessLists: accessLists, at: p) { dict in
            guard dict[stem] == nil else { return false }
            dict[stem] = value
            return true
        }
    }
}

/// TOML's number grammar (TOML 1.0 and 1.1 agree): what Swift's own parsers would accept too
/// (`007`, `1.`, `0x1p3`, `infinity`) is refused.
enum TOMLNumber {
    static func isDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" }

    /// Digits with single underscores between them.
    static func digits(_ s: Substring, _ ok: (Character) -> Bool = isDigit) -> Bool {
        guard let f = s.first, let l = s.last, ok(f), ok(l), !s.contains("__") else { return false }
        return s.allSatisfy { ok($0) || $0 == "_" }
    }

    static func integer(_ word: String) -> Int64? {
        var w = Substring(word)
        for (prefix, radix, ok) in [
            ("0x", 16, { (c: Character) in c.isHexDigit }), ("0o", 8, { (c: Character) in c >= "0" && c <= "7" }),
            ("0b", 2, { (c: Character) in c == "0" || c == "1" }),
        ] as [(String, Int, (Character) -> Bool)] where w.hasPrefix(prefix) {
            let body = w.dropFirst(2)
            guard digits(body, ok) else { return nil }
            return UInt64(body.replacingOccurrences(of: "_", with: ""), radix: radix).flatMap { Int64(exactly: $0) }
        }
        var negative = false
        if let sign = w.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            w = w.dropFirst()
        }
        guard digits(w), w == "0" || w.first != "0" else { return nil }
        let plain = w.replacingOccurrences(of: "_", with: "")
        return Int64((negative ? "-" : "") + plain)
    }

    /// Looks like a decimal or prefixed integer (so an out-of-range one is named as such).
    static func isIntegerShaped(_ word: String) -> Bool {
        var w = Substring(word)
        if let sign = w.first, sign == "+" || sign == "-" { w = w.dropFirst() }
        return digits(w) && (w == "0" || w.first != "0") && !word.contains(".")
    }

    static func float(_ word: String) -> Double? {
        var w = Substring(word)
        if let sign = w.first, sign == "+" || sign == "-" { w = w.dropFirst() }
        var mantissa = w
        var exponent: Substring?
        if let e = w.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = w[..<e]
            var x = w[w.index(after: e)...]
            if let sign = x.first, sign == "+" || sign == "-" { x = x.dropFirst() }
            exponent = x
        }
        var whole = mantissa
        var fraction: Substring?
        if let dot = mantissa.firstIndex(of: ".") {
            whole = mantissa[..<dot]
            fraction = mantissa[mantissa.index(after: dot)...]
        }
        guard digits(whole), whole == "0" || whole.first != "0" else { return nil }
        if let f = fraction, !digits(f) { return nil }
        if let x = exponent, !digits(x) { return nil }
        guard fraction != nil || exponent != nil else { return nil }
        return Double(word.replacingOccurrences(of: "_", with: ""))
    }
}

/// TOML's date and time forms (TOML 1.1: seconds may be left out), with valid ranges.
enum TOMLDateTime {
    static func number(_ s: Substring, _ count: Int, _ range: ClosedRange<Int>) -> Bool {
        s.count == count && s.allSatisfy { $0 >= "0" && $0 <= "9" } && Int(s).map(range.contains) == true
    }

    static func isDate(_ s: Substring) -> Bool {
        let p = s.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, number(p[0], 4, 0...9999), number(p[1], 2, 1...12), number(p[2], 2, 1...31),
            let year = Int(p[0]), let month = Int(p[1]), let day = Int(p[2])
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    static func isTime(_ s: Substring) -> Bool {
        var t = s
        if let dot = t.firstIndex(of: ".") {
            let frac = t[t.index(after: dot)...]
            guard !frac.isEmpty, frac.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return false }
            t = t[..<dot]
        }
        let p = t.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 2 || p.count == 3, number(p[0], 2, 0...23), number(p[1], 2, 0...59) else { return false }
        if p.count == 3 { return number(p[2], 2, 0...60) }
        return s.firstIndex(of: ".") == nil
    }

    static func isValid(_ word: String) -> Bool {
        let w = Substring(word)
        if isDate(w) { return true }
        if isTime(w) { return true }
        guard w.count > 11 else { return false }
        let sep = w[w.index(w.startIndex, offsetBy: 10)]
        guard sep == "T" || sep == "t" || sep == " ", isDate(w.prefix(10)) else { return false }
        var time = w.dropFirst(11)
        if time.hasSuffix("Z") || time.hasSuffix("z") {
            time = time.dropLast()
        } else if time.count > 6 {
            let offset = time.suffix(6)
            if let sign = offset.first, sign == "+" || sign == "-" {
                let hm = offset.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
                guard hm.count == 2, number(hm[0], 2, 0...23), number(hm[1], 2, 0...59) else { return false }
                time = time.dropLast(6)
            }
        }
        return isTime(time)
    }
}
