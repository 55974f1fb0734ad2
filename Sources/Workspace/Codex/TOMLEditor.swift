import Foundation

/// An edit of config.toml that was refused: applied, it would have changed something it was not
/// meant to (or left a file that does not parse). Nothing is written.
public struct TOMLEditError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Changes single values of a TOML file and keeps every other byte: comments (a trailing one on
/// the line it edits too), order, blank lines, line endings (CRLF stays CRLF), a byte-order mark,
/// tables it does not touch. A value is replaced where it is written; a new key goes where its
/// table is defined (under its `[table]` header, beside the dotted keys that define it, or into
/// the inline table that holds it), else into a new `[table]` at the end.
///
/// Every edit is checked before it is kept: the new text is parsed again and its values must be
/// the old ones with exactly the intended change. An edit that would change anything else, or
/// break the file, is refused with a ``TOMLEditError`` naming the key.
public struct TOMLEditor {
    public private(set) var text: String
    private var document: TOMLDocument

    /// Throws the parser's error when `text` is not TOML.
    public init(_ text: String) throws {
        self.text = text
        document = try TOMLDocument(parsing: text)
    }

    public var root: TOMLValue { document.root }

    /// The value of `table.key` as the file has it now (nil when absent).
    public func value(_ table: [String], _ key: String) -> TOMLValue? {
        document.root.lookup(table + [key])
    }

    // MARK: - Edits

    /// Sets `table.key = value`.
    public mutating func set(_ table: [String], _ key: String, _ value: TOMLValue) throws {
        let path = table + [key]
        if let old = self.value(table, key), old.sameContent(as: value), old == value { return }
        try requireTables(table, for: path)
        let rendered = tomlRender(value)
        let edit: (Range<Int>, String)
        if let span = document.spans[steps(path)] {
            edit = (span.start..<span.end, rendered)
        } else {
            edit = try insertion(of: key, rendered, in: table)
        }
        try apply([edit], expecting: document.root.setting(path, value), what: "setting \(dotted(path))")
    }

    /// Removes `table.key` (absent is fine); a `[table]` header left with nothing under it goes too.
    public mutating func remove(_ table: [String], _ key: String) throws {
        let path = table + [key]
        guard value(table, key) != nil, let span = document.spans[steps(path)] else { return }
        var edits: [(Range<Int>, String)]
        switch span.owner {
        case .statement(let lineStart, _, let lineEnd, let section, _):
            edits = [(lineStart..<lineEnd, "")]
            if section == table, let header = emptiedHeader(table, removing: lineStart..<lineEnd) {
                edits = [(header, "")]
            }
        case .member(let keyStart):
            edits = [(memberRemoval(path, keyStart: keyStart, end: span.end), "")]
        case .element:
            throw TOMLEditError(description: "\(dotted(path)) is inside an array; not changed")
        }
        try apply(edits, expecting: document.root.removing(path), what: "removing \(dotted(path))")
    }

    /// Appends `element` to the array `table.key` (creating it when absent), keeping the array's
    /// other elements and comments as written.
    public mutating func append(_ element: TOMLValue, to table: [String], _ key: String) throws {
        let path = table + [key]
        guard let current = value(table, key) else {
            try set(table, key, .array([element]))
            return
        }
        guard case .array(let items) = current, let span = document.spans[steps(path)], let open = span.open else {
            throw TOMLEditError(description: "\(dotted(path)) is \(current.kindName), not an array; not changed")
        }
        let rendered = tomlRender(element)
        let edit: (Range<Int>, String)
        if let last = document.spans[steps(path) + [.index(items.count - 1)]] {
            edit = (last.end..<last.end, ", " + rendered)
        } else {
            edit = (open + 1..<open + 1, rendered)
        }
        try apply(
            [edit], expecting: document.root.setting(path, .array(items + [element])),
            what: "adding to \(dotted(path))")
    }

    /// Appends `element` (a table of simple values and arrays of such tables, in `order`) to the
    /// array of tables `path` as `[[path]]` sections at the end of the file, after one blank
    /// line (``removeArrayTable(_:at:)`` takes exactly that out again). Refused when `path` is
    /// something else (an inline array, a table).
    public mutating func appendArrayTable(_ path: [String], _ element: [(String, TOMLValue)]) throws {
        let current = document.root.lookup(path)
        var items: [TOMLValue] = []
        if let current {
            guard case .array(let a) = current, document.headers.contains(where: { $0.isArray && $0.path == path })
            else {
                throw TOMLEditError(
                    description:
                        "\(dotted(path)) is \(current.kindName) written inline, not [[\(dotted(path))]] tables; not changed"
                )
            }
            items = a
        }
        let nl = document.newline
        var body = "[[" + dotted(path) + "]]" + nl
        var nested = ""
        for (key, value) in element {
            if case .array(let tables) = value, !tables.isEmpty, tables.allSatisfy({ $0.table != nil }) {
                for t in tables {
                    nested += "[[" + dotted(path + [key]) + "]]" + nl
                    for k in (t.table ?? [:]).keys.sorted(by: Self.handlerKeyOrder) {
                        nested += tomlKey(k) + " = " + tomlRender(t.table?[k] ?? .string("")) + nl
                    }
                }
            } else {
                body += tomlKey(key) + " = " + tomlRender(value) + nl
            }
        }
        let s = document.scalars
        let end = s.count
        var prefix = ""
        if !(end == 0 || (end == 1 && s[0] == "\u{FEFF}")) {
            prefix = s[end - 1] == "\n" ? nl : nl + nl
        }
        var table: [String: TOMLValue] = [:]
        for (k, v) in element { table[k] = v }
        try apply(
            [(end..<end, prefix + body + nested)],
            expecting: document.root.setting(path, .array(items + [.table(table)])),
            what: "adding [[\(dotted(path))]]")
    }

    /// `type`, `command`, then the rest by name: how a hook handler reads best.
    static func handlerKeyOrder(_ a: String, _ b: String) -> Bool {
        let first = ["type", "command"]
        switch (first.firstIndex(of: a), first.firstIndex(of: b)) {
        case (let x?, let y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a < b
        }
    }

    /// Replaces the value written at `path` (steps through arrays by index: a key of a
    /// `[[table]]` element) where it is written.
    public mutating func replace(at path: TOMLPath, with value: TOMLValue) throws {
        let shown = path.map(\.description).joined(separator: ".")
        guard let span = document.spans[path] else {
            throw TOMLEditError(description: "\(shown) is not written in the file; not changed")
        }
        try apply(
            [(span.start..<span.end, tomlRender(value))], expecting: document.root.setting(steps: path[...], value),
            what: "setting \(shown)")
    }

    /// Removes element `index` of the array of tables `path` — its `[[path]]` section and the
    /// sections of its sub-tables — and the one blank line before it.
    public mutating func removeArrayTable(_ path: [String], at index: Int) throws {
        guard case .array(var items)? = document.root.lookup(path), items.indices.contains(index) else { return }
        let headers = document.headers
        let own = headers.indices.filter { headers[$0].isArray && headers[$0].path == path }
        guard own.count == items.count else {
            throw TOMLEditError(
                description: "\(dotted(path)) is not written as [[\(dotted(path))]] tables only; not changed")
        }
        let first = own[index]
        var last = first
        while last + 1 < headers.count, headers[last + 1].path.count > path.count,
            headers[last + 1].path.starts(with: path)
        {
            last += 1
        }
        var start = headers[first].lineStart
        let s = document.scalars
        let nl = Array(document.newline.unicodeScalars)
        // The blank line before it, when the line before that ends too.
        if start >= 2 * nl.count, Array(s[(start - nl.count)..<start]) == nl,
            Array(s[(start - 2 * nl.count)..<(start - nl.count)]) == nl
        {
            start -= nl.count
        }
        items.remove(at: index)
        let expected = items.isEmpty ? document.root.removing(path) : document.root.setting(path, .array(items))
        try apply([(start..<headers[last].sectionEnd, "")], expecting: expected, what: "removing [[\(dotted(path))]]")
    }

    /// Removes the elements of the array `table.key` that `match`, keeping the rest as written.
    public mutating func removeElements(
        from table: [String], _ key: String, where match: (TOMLValue) -> Bool
    ) throws {
        let path = table + [key]
        while case .array(let items)? = value(table, key), let index = items.firstIndex(where: match) {
            let base = steps(path)
            guard let array = document.spans[base], let open = array.open, let close = array.close,
                let element = document.spans[base + [.index(index)]]
            else { return }
            let range: Range<Int>
            if items.count == 1 {
                range = open + 1..<close
            } else if index > 0, let previous = document.spans[base + [.index(index - 1)]] {
                range = previous.end..<element.end
            } else if let next = document.spans[base + [.index(index + 1)]] {
                range = element.start..<next.start
            } else {
                return
            }
            var kept = items
            kept.remove(at: index)
            try apply(
                [(range, "")], expecting: document.root.setting(path, .array(kept)),
                what: "removing from \(dotted(path))")
        }
    }

    // MARK: - Where things go

    private func steps(_ path: [String]) -> TOMLPath { path.map(TOMLStep.key) }

    private func dotted(_ path: [String]) -> String { path.map(tomlKey).joined(separator: ".") }

    /// Every table on the way to `path` must be a table (not a value, not an array of tables).
    private func requireTables(_ table: [String], for path: [String]) throws {
        var node: TOMLValue? = document.root
        for (n, k) in table.enumerated() {
            node = node?.table?[k]
            guard let v = node else { return }
            if v.table == nil {
                throw TOMLEditError(
                    description:
                        "\(dotted(Array(table.prefix(n + 1)))) is \(v.kindName), not a table: cannot set \(dotted(path)); not changed (fix the file, then run again)"
                )
            }
        }
    }

    /// Where a new `key = value` of `table` goes, and its text.
    private func insertion(of key: String, _ rendered: String, in table: [String]) throws -> (Range<Int>, String) {
        let nl = document.newline
        let headers = document.headers
        // Under its own [table] header, after the section's last key.
        if let header = headers.first(where: { !$0.isArray && $0.path == table }) {
            let at = lastStatementEnd(section: table, from: header.lineEnd, to: header.sectionEnd) ?? header.lineEnd
            return (at..<at, lineBreakBefore(at) + tomlKey(key) + " = " + rendered + nl)
        }
        // Beside the dotted keys that define it (`a.b.c = 1` under [a] or at the top).
        var best: (end: Int, section: [String])?
        for span in document.spans.values {
            guard case .statement(_, _, let lineEnd, let section, let dottedKey) = span.owner,
                section.count < table.count, dottedKey.count > 1,
                (section + dottedKey).starts(with: table), (section + dottedKey).count > table.count,
                lineEnd > (best?.end ?? -1)
            else { continue }
            best = (lineEnd, section)
        }
        if let (end, section) = best {
            let relative = Array(table.dropFirst(section.count)) + [key]
            return (end..<end, lineBreakBefore(end) + dotted(relative) + " = " + rendered + nl)
        }
        // Into the inline table that holds it.
        for n in stride(from: table.count, through: 1, by: -1) {
            let prefix = Array(table.prefix(n))
            guard let span = document.spans[steps(prefix)], let open = span.open, let close = span.close else {
                continue
            }
            let member = dotted(Array(table.dropFirst(n)) + [key]) + " = " + rendered
            let ends = document.spans.filter { p, s in
                p.count > n && Array(p.prefix(n)) == steps(prefix) && s.start > open && s.end <= close
                    && { if case .member = s.owner { return true } else { return false } }()
            }.map(\.value.end)
            if let last = ends.max() { return (last..<last, ", " + member) }
            return (open + 1..<close, " " + member + " ")
        }
        // A top-level key goes before the first header.
        if table.isEmpty {
            let limit = headers.first?.lineStart ?? document.scalars.count
            let at = lastStatementEnd(section: [], from: 0, to: limit) ?? (document.scalars.first == "\u{FEFF}" ? 1 : 0)
            return (at..<at, lineBreakBefore(at) + tomlKey(key) + " = " + rendered + nl)
        }
        // A new [table] at the end, after one blank line (always one: removing the table removes
        // exactly one, so uninstall gives back the file's bytes).
        let s = document.scalars
        let end = s.count
        var prefix = ""
        if !(end == 0 || (end == 1 && s[0] == "\u{FEFF}")) {
            prefix = s[end - 1] == "\n" ? nl : nl + nl
        }
        return (end..<end, prefix + "[" + dotted(table) + "]" + nl + tomlKey(key) + " = " + rendered + nl)
    }

    /// A newline first when `at` is the end of a text whose last line has none.
    private func lineBreakBefore(_ at: Int) -> String {
        at == document.scalars.count && at > 0 && document.scalars[at - 1] != "\n" ? document.newline : ""
    }

    /// The end of the last `key = value` line of `section` between `from` and `to`.
    private func lastStatementEnd(section: [String], from: Int, to: Int) -> Int? {
        var last: Int?
        for span in document.spans.values {
            guard case .statement(let lineStart, _, let lineEnd, let s, _) = span.owner, s == section,
                lineStart >= from, lineEnd <= to
            else { continue }
            last = max(last ?? lineEnd, lineEnd)
        }
        return last
    }

    /// The lines to remove when the last key of `[table]` goes: the key's lines, the header, the
    /// blank lines after it and the blank line that separated it from what came before. Nil when
    /// anything else is left in the section (another key, a comment).
    private func emptiedHeader(_ table: [String], removing key: Range<Int>) -> Range<Int>? {
        guard let header = document.headers.first(where: { !$0.isArray && $0.path == table }) else { return nil }
        let s = document.scalars
        // Only blank lines (and the key being removed) between the header and the next one.
        var i = header.lineEnd
        while i < header.sectionEnd {
            if key.contains(i) {
                i = key.upperBound
                continue
            }
            guard s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" else { return nil }
            i += 1
        }
        // Another header follows: the header's line through the blank lines after it go (one
        // separator is left, the one before). The last section: the blank line before it too.
        var start = header.lineStart
        if header.sectionEnd == s.count, start > 0, s[start - 1] == "\n" {
            var j = start - 2
            if j >= 0, s[j] == "\r" { j -= 1 }
            while j >= 0, s[j] == " " || s[j] == "\t" { j -= 1 }
            if j >= 0, s[j] == "\n" { start = j + 1 }
        }
        return start..<header.sectionEnd
    }

    /// The text of an inline-table member to remove, with the comma that joins it to a neighbour.
    private func memberRemoval(_ path: [String], keyStart: Int, end: Int) -> Range<Int> {
        let parent = steps(Array(path.dropLast()))
        guard let table = document.spans[parent], let open = table.open, let close = table.close else {
            return keyStart..<end
        }
        var previousEnd: Int?
        var nextStart: Int?
        for (p, s) in document.spans where p.count >= parent.count + 1 && Array(p.prefix(parent.count)) == parent {
            guard case .member(let k) = s.owner, s.start > open, s.end <= close else { continue }
            if s.end <= keyStart { previousEnd = max(previousEnd ?? s.end, s.end) }
            if k > keyStart { nextStart = min(nextStart ?? k, k) }
        }
        if let p = previousEnd { return p..<end }
        if let n = nextStart { return keyStart..<n }
        return open + 1..<close
    }

    /// Applies `edits` (non-overlapping), then checks the result: it must parse and hold exactly
    /// `expected`.
    private mutating func apply(_ edits: [(Range<Int>, String)], expecting expected: TOMLValue, what: String) throws {
        var scalars = document.scalars
        for (range, replacement) in edits.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            scalars.replaceSubrange(range, with: Array(replacement.unicodeScalars))
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        let candidate = String(view)
        let reparsed: TOMLDocument
        do {
            reparsed = try TOMLDocument(parsing: candidate)
        } catch {
            throw TOMLEditError(description: "\(what) would leave a file that does not parse (\(error)); not changed")
        }
        if !reparsed.root.sameContent(as: expected) {
            let changed = firstDifference(expected, reparsed.root, path: []) ?? "another key"
            throw TOMLEditError(
                description: "\(what) would also change \(changed); not changed (edit the file by hand)")
        }
        text = candidate
        document = reparsed
    }

    private func firstDifference(_ a: TOMLValue?, _ b: TOMLValue?, path: [String]) -> String? {
        switch (a?.pruned, b?.pruned) {
        case (nil, nil): return nil
        case (.table(let x)?, .table(let y)?):
            for k in Set(x.keys).union(y.keys).sorted() {
                if let d = firstDifference(x[k], y[k], path: path + [k]) { return d }
            }
            return nil
        case (let x?, let y?) where x.sameContent(as: y): return nil
        default: return path.isEmpty ? "the whole file" : dotted(path)
        }
    }
}

extension TOMLValue {
    /// This table with `path` set to `value` (tables on the way created).
    func setting(_ path: [String], _ value: TOMLValue) -> TOMLValue {
        guard let first = path.first else { return value }
        var t = table ?? [:]
        t[first] = (t[first] ?? .table([:])).setting(Array(path.dropFirst()), value)
        return .table(t)
    }

    /// This value with the one at `steps` (keys and array indices, all present) set to `value`.
    func setting(steps: ArraySlice<TOMLStep>, _ value: TOMLValue) -> TOMLValue {
        guard let step = steps.first else { return value }
        switch (self, step) {
        case (.table(var t), .key(let k)):
            t[k] = (t[k] ?? .table([:])).setting(steps: steps.dropFirst(), value)
            return .table(t)
        case (.array(var a), .index(let i)) where a.indices.contains(i):
            a[i] = a[i].setting(steps: steps.dropFirst(), value)
            return .array(a)
        default:
            return self
        }
    }

    /// This table without `path`.
    func removing(_ path: [String]) -> TOMLValue {
        guard let first = path.first, var t = table else { return self }
        if path.count == 1 {
            t.removeValue(forKey: first)
        } else if let child = t[first] {
            t[first] = child.removing(Array(path.dropFirst()))
        }
        return .table(t)
    }
}

/// A unified-style diff of two texts (one hunk around what changed), for `--dry-run`.
public func lineDiff(_ old: String, _ new: String, label: String) -> String {
    let a = lines(old)
    let b = lines(new)
    guard a != b else { return "" }
    // Longest common subsequence over lines; config files are small.
    let n = a.count
    let m = b.count
    var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
        for j in stride(from: m - 1, through: 0, by: -1) {
            lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
        }
    }
    var out = ["--- " + label, "+++ " + label + " (after)"]
    var i = 0
    var j = 0
    while i < n || j < m {
        if i < n, j < m, a[i] == b[j] {
            i += 1
            j += 1
        } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
            out.append("+" + b[j])
            j += 1
        } else {
            out.append("-" + a[i])
            i += 1
        }
    }
    return out.joined(separator: "\n") + "\n"
}

/// The lines of a text by its scalars (a CRLF line ends at its LF; the CR is not shown).
private func lines(_ text: String) -> [String] {
    var out: [String] = []
    var current = String.UnicodeScalarView()
    for u in text.unicodeScalars {
        if u == "\n" {
            if current.last == "\r" { current.removeLast() }
            out.append(String(current))
            current = String.UnicodeScalarView()
        } else {
            current.append(u)
        }
    }
    out.append(String(current))
    return out
}
