import Foundation

/// Edits Codex's `hooks.json` as text, the way ``TOMLEditor`` edits config.toml: a hook group is
/// added after the user's (as the last element of its event's array), replaced or removed where
/// it is written, and every other byte — the user's indentation, key order, escapes, a missing
/// final newline — stays. Uninstall after install gives back the file's exact bytes. Every edit
/// is checked by parsing the result: it must hold exactly the intended change.
struct HooksJSONEditor {
    private(set) var text: String
    private var bytes: [UInt8]
    private var spans: [[String]: JSONSpan] = [:]
    private(set) var value: [String: Any]

    struct JSONSpan {
        var start: Int
        var end: Int
        /// For an object member, where its key starts.
        var keyStart: Int?
        /// For an object or an array, the offsets of its brackets.
        var open: Int?
        var close: Int?
        /// The members or elements, in order: their paths.
        var children: [[String]] = []
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(_ text: String) throws {
        self.text = text
        bytes = Array(text.utf8)
        value = [:]
        try reparse()
    }

    private mutating func reparse() throws {
        spans = [:]
        var p = JSONSpanParser(bytes: bytes)
        p.skipSpace()
        if p.i == p.bytes.count {
            // An empty file: as if it held {}.
            value = [:]
            return
        }
        try p.value(path: [], into: &spans)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw Failure(description: "text after the JSON value") }
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw Failure(description: "not a JSON object")
        }
        value = obj
    }

    /// The groups of `event`.
    func groups(_ event: String) -> [Any] {
        (value["hooks"] as? [String: Any])?[event] as? [Any] ?? []
    }

    // MARK: - Edits

    /// Appends `group` to the groups of `event` (creating the event, and `hooks`, when absent).
    mutating func append(group: [String: Any], to event: String) throws {
        var expected = value
        var hooks = expected["hooks"] as? [String: Any] ?? [:]
        hooks[event] = groups(event) + [group]
        expected["hooks"] = hooks
        if let array = spans[["hooks", event]], let open = array.open {
            let indent = indentation(ofChildrenOf: ["hooks", event], depth: 3)
            let element = render(group, indent: indent)
            if let last = array.children.last.flatMap({ spans[$0]?.end }) {
                try apply((last..<last, ",\n" + indent + element), expected)
            } else {
                let close = array.close ?? open + 1
                try apply((open + 1..<close, "\n" + indent + element + "\n" + indentation(of: array.start)), expected)
            }
        } else if let object = spans[["hooks"]], let open = object.open {
            let indent = indentation(ofChildrenOf: ["hooks"], depth: 2)
            let member = quoted(event) + ": " + render([group], indent: indent)
            if let last = object.children.last.flatMap({ spans[$0]?.end }) {
                try apply((last..<last, ",\n" + indent + member), expected)
            } else {
                let close = object.close ?? open + 1
                try apply((open + 1..<close, "\n" + indent + member + "\n" + indentation(of: object.start)), expected)
            }
        } else if let root = spans[[]], let open = root.open, let close = root.close {
            let indent = indentation(ofChildrenOf: [], depth: 1)
            let member = quoted("hooks") + ": " + render([event: [group]], indent: indent)
            if let last = root.children.last.flatMap({ spans[$0]?.end }) {
                try apply((last..<last, ",\n" + indent + member), expected)
            } else {
                try apply((open + 1..<close, "\n" + indent + member + "\n"), expected)
            }
        } else {
            // No file (or an empty one): the whole document, as Codex's docs write it.
            text = render(expected, indent: "") + "\n"
            bytes = Array(text.utf8)
            try reparse()
        }
    }

    /// Replaces group `index` of `event` with `group`.
    mutating func replace(group index: Int, of event: String, with group: [String: Any]) throws {
        guard let span = spans[["hooks", event, String(index)]] else { return }
        var expected = value
        var hooks = expected["hooks"] as? [String: Any] ?? [:]
        var list = groups(event)
        list[index] = group
        hooks[event] = list
        expected["hooks"] = hooks
        try apply((span.start..<span.end, render(group, indent: indentation(of: span.start))), expected)
    }

    /// Removes group `index` of `event`; an event left with no group goes, and so does a `hooks`
    /// left empty.
    mutating func remove(group index: Int, of event: String) throws {
        let path = ["hooks", event]
        guard let array = spans[path], let element = spans[path + [String(index)]] else { return }
        var expected = value
        var hooks = expected["hooks"] as? [String: Any] ?? [:]
        var list = groups(event)
        list.remove(at: index)
        if list.isEmpty {
            hooks.removeValue(forKey: event)
            if hooks.isEmpty {
                expected.removeValue(forKey: "hooks")
                try apply(removal(of: ["hooks"]), expected)
            } else {
                hooks[event] = nil
                expected["hooks"] = hooks
                try apply(removal(of: path), expected)
            }
            return
        }
        hooks[event] = list
        expected["hooks"] = hooks
        let children = array.children
        let range: Range<Int>
        if index > 0, let previous = spans[children[index - 1]] {
            range = previous.end..<element.end
        } else if let next = spans[children[index + 1]] {
            range = element.start..<next.start
        } else {
            return
        }
        try apply((range, ""), expected)
    }

    /// The text of an object member to remove, with the comma that joins it to a neighbour.
    private func removal(of path: [String]) -> (Range<Int>, String) {
        let parent = Array(path.dropLast())
        guard let member = spans[path], let keyStart = member.keyStart, let object = spans[parent],
            let index = object.children.firstIndex(of: path)
        else { return (0..<0, "") }
        if index > 0, let previous = spans[object.children[index - 1]] {
            return (previous.end..<member.end, "")
        }
        if index + 1 < object.children.count, let next = spans[object.children[index + 1]], let k = next.keyStart {
            return (keyStart..<k, "")
        }
        guard let open = object.open, let close = object.close else { return (keyStart..<member.end, "") }
        return (open + 1..<close, "")
    }

    private mutating func apply(_ edit: (Range<Int>, String), _ expected: [String: Any]) throws {
        var candidate = bytes
        candidate.replaceSubrange(edit.0, with: Array(edit.1.utf8))
        let parsed = (try? JSONSerialization.jsonObject(with: Data(candidate))) as? [String: Any]
        guard let parsed, (parsed as NSDictionary) == (expected as NSDictionary) else {
            throw Failure(description: "the edit would change more than codex-state's hooks; nothing changed")
        }
        bytes = candidate
        text = String(decoding: candidate, as: UTF8.self)
        try reparse()
    }

    // MARK: - Text

    /// The indentation of the line `offset` is on.
    private func indentation(of offset: Int) -> String {
        var start = offset
        while start > 0, bytes[start - 1] != 0x0A { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The indentation the children of `path` use, or two spaces per level when it has none.
    private func indentation(ofChildrenOf path: [String], depth: Int) -> String {
        if let first = spans[path]?.children.first, let span = spans[first] {
            return indentation(of: span.keyStart ?? span.start)
        }
        if let span = spans[path] { return indentation(of: span.start) + "  " }
        return String(repeating: "  ", count: depth)
    }

    /// `value` as Foundation's pretty printer writes it (sorted keys, unescaped slashes), every
    /// line after the first indented by `indent`.
    private func render(_ value: Any, indent: String) -> String {
        let data =
            (try? JSONSerialization.data(
                withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.enumerated().map { $0.offset == 0 ? String($0.element) : indent + $0.element }
            .joined(separator: "\n")
    }

    private func quoted(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data()
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}

/// Finds where each value of a JSON text is written (offsets in UTF-8 bytes); the values
/// themselves are read by `JSONSerialization`, which also rejects what this scanner lets through.
struct JSONSpanParser {
    let bytes: [UInt8]
    var i = 0

    struct Failure: Error {}

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func value(path: [String], into spans: inout [[String]: HooksJSONEditor.JSONSpan], keyStart: Int? = nil)
        throws
    {
        skipSpace()
        guard i < bytes.count else { throw Failure() }
        let start = i
        var span = HooksJSONEditor.JSONSpan(start: start, end: start, keyStart: keyStart)
        switch bytes[i] {
        case UInt8(ascii: "{"):
            span.open = i
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                span.close = i
                i += 1
            } else {
                while true {
                    skipSpace()
                    let k = i
                    let name = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure() }
                    i += 1
                    try value(path: path + [name], into: &spans, keyStart: k)
                    span.children.append(path + [name])
                    skipSpace()
                    guard i < bytes.count else { throw Failure() }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    guard bytes[i] == UInt8(ascii: "}") else { throw Failure() }
                    span.close = i
                    i += 1
                    break
                }
            }
        case UInt8(ascii: "["):
            span.open = i
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                span.close = i
                i += 1
            } else {
                var n = 0
                while true {
                    try value(path: path + [String(n)], into: &spans)
                    span.children.append(path + [String(n)])
                    n += 1
                    skipSpace()
                    guard i < bytes.count else { throw Failure() }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    guard bytes[i] == UInt8(ascii: "]") else { throw Failure() }
                    span.close = i
                    i += 1
                    break
                }
            }
        case UInt8(ascii: "\""):
            _ = try string()
        default:
            while i < bytes.count, !",]} \t\r\n".utf8.contains(bytes[i]) { i += 1 }
            guard i > start else { throw Failure() }
        }
        span.end = i
        spans[path] = span
    }

    /// A string's text (escapes decoded by JSONSerialization).
    mutating func string() throws -> String {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure() }
        let start = i
        i += 1
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard i < bytes.count else { throw Failure() }
        i += 1
        let data = Data(bytes[start..<i])
        guard let s = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? String else {
            throw Failure()
        }
        return s
    }
}
