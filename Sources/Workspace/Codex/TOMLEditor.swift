import Foundation

/// Changes single keys of a TOML file and keeps every other line as it was: comments, order,
/// blank lines and tables the editor does not touch. Appends new tables at the end.
public struct TOMLEditor {
    public private(set) var lines: [String]
    /// Whether the text ended with a newline.
    private var trailingNewline: Bool

    public init(_ text: String) {
        trailingNewline = text.isEmpty || text.hasSuffix("\n")
        var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") || text.isEmpty { l.removeLast() }
        lines = l
    }

    public var text: String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")
    }

    private func document() throws -> TOMLDocument { try TOMLDocument(parsing: text) }

    /// The rendered value of `key` in table `table`, as the file has it now (nil when absent).
    public func value(_ table: [String], _ key: String) throws -> TOMLValue? {
        try document().root.lookup(table + [key])
    }

    /// The lines of the statement that sets `table.key`, if any.
    private func keyRange(_ doc: TOMLDocument, _ table: [String], _ key: String) -> ClosedRange<Int>? {
        doc.statements.first { $0.kind == .keyValue && $0.path == table + [key] }.map {
            ($0.firstLine - 1)...($0.lastLine - 1)
        }
    }

    /// Sets `table.key = value`: in place when the key exists, else at the end of the table's
    /// own keys, else in a new `[table]` at the end of the file.
    public mutating func set(_ table: [String], _ key: String, _ value: TOMLValue) throws {
        let doc = try document()
        let line = tomlKey(key) + " = " + tomlRender(value)
        if let r = keyRange(doc, table, key) {
            lines.replaceSubrange(r, with: [line])
            return
        }
        if let header = doc.statements.firstIndex(where: { $0.kind == .table && $0.path == table }) {
            // After the last key of this table (its own lines, before the next header).
            var insertAt = doc.statements[header].lastLine
            for st in doc.statements[(header + 1)...] {
                if st.kind != .keyValue { break }
                insertAt = st.lastLine
            }
            lines.insert(line, at: insertAt)
            return
        }
        if let last = lines.last, !last.trimmingCharacters(in: .whitespaces).isEmpty { lines.append("") }
        lines.append("[" + table.map(tomlKey).joined(separator: ".") + "]")
        lines.append(line)
        trailingNewline = true
    }

    /// Removes `table.key`; then removes `[table]` itself when nothing else is left in it.
    public mutating func remove(_ table: [String], _ key: String) throws {
        let doc = try document()
        guard let r = keyRange(doc, table, key) else { return }
        lines.removeSubrange(r)
        let after = try document()
        guard let header = after.statements.firstIndex(where: { $0.kind == .table && $0.path == table }) else { return }
        let next = after.statements.dropFirst(header + 1).first
        let hasKeys = next?.kind == .keyValue
        // A sub-table ([table.x]) keeps the header meaningful only as a prefix: it can go too.
        guard !hasKeys else { return }
        let h = after.statements[header].firstLine - 1
        // The header's own line, plus blank lines between it and what follows.
        var end = h
        let stop = (next?.firstLine ?? lines.count + 1) - 1
        while end + 1 < stop, end + 1 < lines.count, lines[end + 1].trimmingCharacters(in: .whitespaces).isEmpty {
            end += 1
        }
        lines.removeSubrange(h...end)
        // One blank line before the header was its separator.
        if h > 0, h - 1 < lines.count, lines[h - 1].trimmingCharacters(in: .whitespaces).isEmpty,
            h == lines.count || lines[h].trimmingCharacters(in: .whitespaces).isEmpty || h - 1 == lines.count - 1
        {
            lines.remove(at: h - 1)
        }
    }
}

/// A unified-style diff of two texts (one hunk around what changed), for `--dry-run`.
public func lineDiff(_ old: String, _ new: String, label: String) -> String {
    let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
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
