/// A small TOML reader for Codex's config.toml: it validates the whole file (refusing what does
/// not parse, with the line and column), builds the value tree, and remembers which lines each
/// key and table header occupies so ``TOMLEditor`` can change one key and keep every other byte.
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
}

public struct TOMLError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var problem: String
    public var description: String { "line \(line), column \(column): \(problem)" }
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

    public init(parsing text: String) throws {
        var p = TOMLParser(text)
        try p.parse()
        root = .table(p.root.table ?? [:])
        statements = p.statements
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
    let bare =
        !k.isEmpty
        && k.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
        }
    return bare ? k : tomlQuote(k)
}

public func tomlRender(_ v: TOMLValue) -> String {
    switch v {
    case .string(let s): return tomlQuote(s)
    case .integer(let i): return String(i)
    case .float(let d): return String(d)
    case .bool(let b): return b ? "true" : "false"
    case .datetime(let d): return d
    case .array(let a): return "[" + a.map(tomlRender).joined(separator: ", ") + "]"
    case .table(let t):
        return "{ "
            + t.keys.sorted().map { tomlKey($0) + " = " + tomlRender(t[$0] ?? .bool(false)) }
            .joined(separator: ", ") + " }"
    }
}

struct TOMLParser {
    let s: [Unicode.Scalar]
    var i = 0
    var line = 1
    var lineStart = 0
    var root: TOMLValue = .table([:])
    var statements: [TOMLStatement] = []
    var current: [String] = []
    /// Tables defined by a header or a dotted key, so a second `[a]` is an error.
    var defined: Set<[String]> = []
    /// Paths that are arrays of tables, with the index of their last element.
    var arrayTables: [[String]: Int] = [:]

    init(_ text: String) { s = Array(text.unicodeScalars) }

    var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    func error(_ problem: String) -> TOMLError {
        TOMLError(line: line, column: i - lineStart + 1, problem: problem)
    }

    mutating func parse() throws {
        while i < s.count {
            skipSpaces()
            guard let c = peek else { break }
            let first = line
            if c == "#" {
                try skipComment()
            } else if c == "\n" || c == "\r" {
                try newline()
                continue
            } else if c == "[" {
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
                statements.append(
                    TOMLStatement(kind: isArray ? .arrayTable : .table, path: key, firstLine: first, lastLine: first))
            } else {
                let key = try parseKey()
                skipSpaces()
                guard peek == "=" else { throw error("expected '=' after the key") }
                i += 1
                skipSpaces()
                let value = try parseValue()
                try assign(current, key, value)
                statements.append(
                    TOMLStatement(kind: .keyValue, path: resolvedCurrent() + key, firstLine: first, lastLine: line))
            }
            try endOfLine()
        }
    }

    /// The current table path with array-of-tables indices left out (statements name keys by name).
    func resolvedCurrent() -> [String] { current }

    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { i += 1 } }

    mutating func skipComment() throws {
        while let c = peek, c != "\n" {
            if c == "\r", i + 1 < s.count, s[i + 1] == "\n" { break }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F { throw error("control character in a comment") }
            i += 1
        }
    }

    mutating func newline() throws {
        if peek == "\r" {
            i += 1
            guard peek == "\n" else { throw error("a carriage return not followed by a newline") }
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
                parts.append(try basicString())
            } else if c == "'" {
                parts.append(try literalString())
            } else {
                var k = ""
                while let c = peek,
                    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
                {
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

    mutating func parseValue() throws -> TOMLValue {
        guard let c = peek else { throw error("expected a value") }
        switch c {
        case "\"":
            if i + 2 < s.count, s[i + 1] == "\"", s[i + 2] == "\"" { return .string(try multilineBasic()) }
            return .string(try basicString())
        case "'":
            if i + 2 < s.count, s[i + 1] == "'", s[i + 2] == "'" { return .string(try multilineLiteral()) }
            return .string(try literalString())
        case "[": return try parseArray()
        case "{": return try parseInlineTable()
        default: return try parseScalar()
        }
    }

    mutating func parseArray() throws -> TOMLValue {
        i += 1
        var items: [TOMLValue] = []
        while true {
            try skipArraySpace()
            if peek == "]" {
                i += 1
                return .array(items)
            }
            items.append(try parseValue())
            try skipArraySpace()
            if peek == "," {
                i += 1
                continue
            }
            guard peek == "]" else { throw error("expected ',' or ']' in an array") }
            i += 1
            return .array(items)
        }
    }

    mutating func skipArraySpace() throws {
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
        throw error("unterminated array")
    }

    mutating func parseInlineTable() throws -> TOMLValue {
        i += 1
        var t: TOMLValue = .table([:])
        skipSpaces()
        if peek == "}" {
            i += 1
            return t
        }
        while true {
            skipSpaces()
            let key = try parseKey()
            skipSpaces()
            guard peek == "=" else { throw error("expected '=' in an inline table") }
            i += 1
            skipSpaces()
            let v = try parseValue()
            try Self.insert(&t, key, v, at: self)
            skipSpaces()
            if peek == "," {
                i += 1
                continue
            }
            guard peek == "}" else { throw error("expected ',' or '}' in an inline table") }
            i += 1
            return t
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
        case "inf", "+inf", "-inf", "nan", "+nan", "-nan": return .float(word.hasPrefix("-") ? -.infinity : .infinity)
        case "": throw error("expected a value")
        default: break
        }
        let digits = word.replacingOccurrences(of: "_", with: "")
        if word.contains("__") || word.hasPrefix("_") || word.hasSuffix("_") { throw error("invalid number '\(word)'") }
        if let n = Int64(digits) { return .integer(n) }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            if let n = Int64(digits.dropFirst(2), radix: radix) { return .integer(n) }
        }
        if let d = Double(digits), digits.first != ".", digits.last != "." { return .float(d) }
        if word.first?.isNumber == true, word.contains("-") || word.contains(":") { return .datetime(word) }
        throw error("invalid value '\(word)' (strings need quotes)")
    }

    /// A space may separate a date from a time (`1979-05-27 07:32:00`).
    func isDateTimeSpace(_ word: String) -> Bool {
        word.count == 10 && word.filter { $0 == "-" }.count == 2 && i + 1 < s.count
            && s[i + 1].properties.numericType != nil
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
        case "u", "U":
            let n = e == "u" ? 4 : 8
            guard i + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<i + n])), radix: 16),
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
            if c == "\"", i + 2 < s.count, s[i + 1] == "\"", s[i + 2] == "\"" {
                i += 3
                // Up to two more quotes belong to the string.
                while peek == "\"", out.hasSuffix("\"\"") == false {
                    out += "\""
                    i += 1
                }
                return out
            }
            if c == "\\" {
                if i + 1 < s.count, s[i + 1] == "\n" || s[i + 1] == " " || s[i + 1] == "\t" || s[i + 1] == "\r" {
                    i += 1
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
            if c == "'", i + 2 < s.count, s[i + 1] == "'", s[i + 2] == "'" {
                i += 3
                return out
            }
            if c == "\n" || c == "\r" {
                try newline()
                out += "\n"
                continue
            }
            out.unicodeScalars.append(c)
            i += 1
        }
        throw error("unterminated multi-line string")
    }

    // MARK: - Semantics

    mutating func openTable(_ key: [String], isArray: Bool) throws {
        if isArray {
            var t = root
            try Self.appendTable(&t, key, at: self)
            root = t
            arrayTables[key, default: -1] += 1
            // A new element starts empty: tables and arrays of tables below it start over.
            for k in arrayTables.keys where k.count > key.count && Array(k.prefix(key.count)) == key {
                arrayTables.removeValue(forKey: k)
            }
            defined = defined.filter { !($0.count > key.count && Array($0.prefix(key.count)) == key) }
        } else {
            guard !defined.contains(key), arrayTables[key] == nil else {
                throw error("table [\(key.joined(separator: "."))] defined twice")
            }
            defined.insert(key)
            var t = root
            try Self.ensureTable(&t, concrete(key)[...], at: self)
            root = t
        }
        current = key
    }

    /// The path with the last element of each array of tables on it.
    func concrete(_ key: [String]) -> [PathStep] {
        var out: [PathStep] = []
        for n in 1...max(key.count, 1) where n <= key.count {
            let prefix = Array(key.prefix(n))
            out.append(PathStep(key: key[n - 1], arrayIndex: arrayTables[prefix]))
        }
        return out
    }

    struct PathStep {
        var key: String
        var arrayIndex: Int?
    }

    mutating func assign(_ table: [String], _ key: [String], _ value: TOMLValue) throws {
        var t = root
        try Self.ensureTable(&t, concrete(table)[...], at: self)
        try Self.update(&t, concrete(table)[...], at: self) { inner in try Self.insert(&inner, key, value, at: self) }
        root = t
    }

    static func ensureTable(_ t: inout TOMLValue, _ path: ArraySlice<PathStep>, at p: TOMLParser) throws {
        guard let step = path.first else { return }
        guard var dict = t.table else { throw p.error("'\(step.key)' is not a table") }
        var child = dict[step.key] ?? .table([:])
        if let idx = step.arrayIndex {
            guard var arr = child.array, idx < arr.count else {
                throw p.error("'\(step.key)' is not an array of tables")
            }
            try ensureTable(&arr[idx], path.dropFirst(), at: p)
            child = .array(arr)
        } else {
            guard child.table != nil else { throw p.error("'\(step.key)' is already a value, not a table") }
            try ensureTable(&child, path.dropFirst(), at: p)
        }
        dict[step.key] = child
        t = .table(dict)
    }

    static func update(
        _ t: inout TOMLValue, _ path: ArraySlice<PathStep>, at p: TOMLParser, _ body: (inout TOMLValue) throws -> Void
    ) throws {
        guard let step = path.first else { return try body(&t) }
        guard var dict = t.table, var child = dict[step.key] else { throw p.error("missing table '\(step.key)'") }
        if let idx = step.arrayIndex, var arr = child.array, idx < arr.count {
            try update(&arr[idx], path.dropFirst(), at: p, body)
            child = .array(arr)
        } else {
            try update(&child, path.dropFirst(), at: p, body)
        }
        dict[step.key] = child
        t = .table(dict)
    }

    static func insert(_ t: inout TOMLValue, _ key: [String], _ value: TOMLValue, at p: TOMLParser) throws {
        guard var dict = t.table, let first = key.first else { throw p.error("not a table") }
        if key.count == 1 {
            guard dict[first] == nil else { throw p.error("key '\(first)' defined twice") }
            dict[first] = value
        } else {
            var child = dict[first] ?? .table([:])
            guard child.table != nil else { throw p.error("'\(first)' is already a value, not a table") }
            try insert(&child, Array(key.dropFirst()), value, at: p)
            dict[first] = child
        }
        t = .table(dict)
    }

    static func appendTable(_ t: inout TOMLValue, _ key: [String], at p: TOMLParser) throws {
        guard var dict = t.table, let first = key.first else { throw p.error("not a table") }
        if key.count == 1 {
            var arr = dict[first]?.array ?? []
            guard dict[first] == nil || dict[first]?.array != nil else {
                throw p.error("'\(first)' is already a table, not an array of tables")
            }
            arr.append(.table([:]))
            dict[first] = .array(arr)
        } else {
            var child = dict[first] ?? .table([:])
            if var arr = child.array, !arr.isEmpty {
                try appendTable(&arr[arr.count - 1], Array(key.dropFirst()), at: p)
                child = .array(arr)
            } else {
                guard child.table != nil else { throw p.error("'\(first)' is not a table") }
                try appendTable(&child, Array(key.dropFirst()), at: p)
            }
            dict[first] = child
        }
        t = .table(dict)
    }
}
