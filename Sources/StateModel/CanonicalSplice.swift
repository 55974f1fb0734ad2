/// The canonical encoding of a state, obtained from the canonical encoding of the state before an
/// operation by replacing only the bytes of the entities it changed.
///
/// The canonical form (``CanonicalJSON``) makes this exact: the top-level keys are the only lines
/// indented by two spaces, each entity of a map (`goals`, `memories`, `milestones`, `tasks`) is
/// the run of lines from its key line, indented by four spaces, to the `}` indented by four, the
/// entities are in key order, and no raw newline occurs inside a string. An entity is found by a
/// binary search over the lines of its map (a few entity-sized scans, however large the file),
/// and its new text is the canonical encoding of its new value at that depth.
///
/// Every change an operation makes is spliced (removals and maps that are empty before or after
/// included); only bytes that are not laid out canonically return nil. The property tests hold
/// the result byte-identical to `CanonicalJSON.encode` of the new state.
public enum CanonicalSplice {
    /// `old` (the canonical encoding of the state before `changes`) with `changes` applied, or
    /// nil when `old` is not laid out canonically.
    public static func apply(_ changes: [EntityChange], to old: [UInt8]) throws -> [UInt8]? {
        try splice(changes, in: old)?.bytes(from: old)
    }

    /// The new file as runs of `old` kept as they are and the new texts between them, in order:
    /// what ``apply(_:to:)`` concatenates. A writer can hash and write the runs as they lie in
    /// `old`, without first copying the whole file into a new buffer.
    ///
    /// Every change an operation can make is spliced: an entity added, changed or removed, a map
    /// that is empty before or after (`{}`), and the optional `memories` map appearing or going.
    /// Nil only when `old` is not the canonical layout (the caller made sure it is).
    public static func splice(_ changes: [EntityChange], in old: [UInt8]) throws -> Splice? {
        if changes.isEmpty { return .whole(old) }
        var edits: [Edit] = []
        edits.reserveCapacity(changes.count)
        var byMap: [String: [EntityChange]] = [:]
        for change in changes {
            if case .project(let p)? = change.after {
                guard let range = old.withUnsafeBufferPointer({ projectValue(in: $0) }) else { return nil }
                edits.append(
                    Edit(at: range.lowerBound, end: range.upperBound, order: 1, id: "", text: try encode(p, depth: 1)))
                continue
            }
            guard let name = mapName(change.kind), isPlainKey(change.id) else { return nil }
            byMap[name, default: []].append(change)
        }
        for name in byMap.keys.sorted() {
            guard let group = byMap[name],
                let mapEdits = try old.withUnsafeBufferPointer({ try Self.edits(name, group, in: $0) })
            else { return nil }
            edits += mapEdits
        }
        edits.sort { ($0.at, $0.order, $0.id) < ($1.at, $1.order, $1.id) }
        var pieces: [Splice.Piece] = []
        pieces.reserveCapacity(2 * edits.count + 1)
        var cursor = 0
        for e in edits {
            guard e.at >= cursor else { return nil }  // overlapping edits: not a shape this handles
            if e.at > cursor { pieces.append(.old(cursor..<e.at)) }
            pieces += e.pieces
            cursor = e.end
        }
        if cursor < old.count { pieces.append(.old(cursor..<old.count)) }
        let count = pieces.reduce(0) { n, p in
            switch p {
            case .old(let r): return n + r.count
            case .new(let t): return n + t.count
            }
        }
        return Splice(pieces: pieces, count: count)
    }

    /// The edits of one map (`tasks`, …). Adding and changing entities in a map that has some
    /// (the common case) finds each by a binary search; anything else (a removal, a map that is
    /// `{}` or absent) lays the map out again from its entities, keeping each unchanged one as
    /// its old bytes.
    static func edits(_ name: String, _ changes: [EntityChange], in b: UnsafeBufferPointer<UInt8>) throws -> [Edit]? {
        let removes = changes.contains { $0.after == nil }
        if !removes, let section = Section.named(name, in: b) {
            var out: [Edit] = []
            for change in changes {
                guard let after = change.after else { return nil }
                let text = try entityText(change.id, after)
                switch section.locate(change.id, in: b) {
                case nil: return nil
                case .existing(let start, let end)?:
                    guard change.before != nil else { return nil }
                    out.append(Edit(at: start, end: end, order: 1, id: change.id, text: text))
                case .before(let start)?:
                    guard change.before == nil else { return nil }
                    out.append(Edit(at: start, end: start, order: 0, id: change.id, text: text + Array(",\n".utf8)))
                case .atEnd(let end)?:
                    guard change.before == nil else { return nil }
                    out.append(Edit(at: end, end: end, order: 0, id: change.id, text: Array(",\n".utf8) + text))
                }
            }
            return out
        }
        return try relaid(name, changes, in: b)
    }

    /// The map `name` laid out again: its entities in key order, each unchanged one as its old
    /// bytes, each added or changed one as its new text, the removed ones left out; `{}` when none
    /// is left (`memories`, which the state writes only when it has some, goes altogether), and
    /// a new top-level key when the map was absent.
    static func relaid(_ name: String, _ changes: [EntityChange], in b: UnsafeBufferPointer<UInt8>) throws -> [Edit]? {
        let header = Array("\n  \"\(name)\": {".utf8)
        var existing: [(key: String, range: Range<Int>)] = []
        // The value's range (`{` … `}`), or nil when the key is absent.
        var value: Range<Int>?
        if let h = topLevelKey(name, in: b) {
            let open = h + header.count - 1
            guard open + 1 < b.count else { return nil }
            if b[open + 1] == 0x7D {
                value = open..<(open + 2)
            } else {
                guard let section = Section.named(name, in: b) else { return nil }
                var p = section.bodyStart
                while p < section.bodyEnd {
                    guard let key = Section.key(at: p, in: b), let end = section.entryEnd(p, in: b) else { return nil }
                    existing.append((key, p..<end))
                    guard end < section.bodyEnd else { break }
                    guard b[end] == 0x2C, let next = section.nextEntry(from: end + 1, in: b) else { return nil }
                    p = next
                }
                value = open..<(section.bodyEnd + 4)  // `\n  }` closes it
            }
        }
        var entries: [(key: String, piece: Splice.Piece)] = []
        let changed = Dictionary(changes.map { ($0.id, $0) }, uniquingKeysWith: { _, b in b })
        for e in existing where changed[e.key] == nil { entries.append((e.key, .old(e.range))) }
        for c in changes {
            guard let after = c.after else { continue }
            entries.append((c.id, .new(try entityText(c.id, after))))
        }
        entries.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        var pieces: [Splice.Piece] = []
        if entries.isEmpty {
            pieces = [.new(Array("{}".utf8))]
        } else {
            pieces.append(.new(Array("{\n".utf8)))
            for (i, e) in entries.enumerated() {
                if i > 0 { pieces.append(.new(Array(",\n".utf8))) }
                pieces.append(e.piece)
            }
            pieces.append(.new(Array("\n  }".utf8)))
        }
        if let value {
            if entries.isEmpty && name == "memories" {
                // The key goes with its line and the separator after it (`memories` is never last).
                guard let h = topLevelKey(name, in: b), value.upperBound + 2 <= b.count,
                    b[value.upperBound] == 0x2C, b[value.upperBound + 1] == newline
                else { return nil }
                return [Edit(at: h + 1, end: value.upperBound + 2, order: 1, id: name, pieces: [])]
            }
            return [Edit(at: value.lowerBound, end: value.upperBound, order: 1, id: name, pieces: pieces)]
        }
        guard !entries.isEmpty else { return [] }
        // An absent map: a new top-level key, before the first key that sorts after it.
        guard let next = nextTopLevelKey(after: name, in: b) else { return nil }
        let lead = Splice.Piece.new(Array("  \"\(name)\": ".utf8))
        return [
            Edit(at: next, end: next, order: 0, id: name, pieces: [lead] + pieces + [.new(Array(",\n".utf8))])
        ]
    }

    /// The start of the first top-level key line whose key sorts after `name`.
    static func nextTopLevelKey(after name: String, in b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count > 2, b[0] == 0x7B, b[1] == newline else { return nil }
        let wanted = Array(name.utf8)
        let marker: [UInt8] = [newline, space, space, quote]
        var p = 1
        while matches(marker, in: b, at: p) {
            var end = p + 4
            while end < b.count, b[end] != quote { end += 1 }
            let key = Array(UnsafeBufferPointer(rebasing: b[(p + 4)..<end]))
            if wanted.lexicographicallyPrecedes(key) { return p + 1 }
            guard let next = find(marker, in: b, from: p + 1) else { return nil }
            p = next
        }
        return nil
    }

    /// A spliced file: runs of the old bytes and new texts, in order (``splice(_:in:)``).
    public struct Splice: Sendable {
        public enum Piece: Sendable, Equatable {
            /// These bytes of the old file, as they are.
            case old(Range<Int>)
            /// New text.
            case new([UInt8])
        }
        public var pieces: [Piece]
        /// The size of the new file.
        public var count: Int

        public init(pieces: [Piece], count: Int) {
            self.pieces = pieces
            self.count = count
        }

        /// A whole new file: one run of `bytes`.
        public static func whole(_ bytes: [UInt8]) -> Splice {
            Splice(pieces: [.old(0..<bytes.count)], count: bytes.count)
        }

        /// The new file's bytes, `old` being the file the splice was made from.
        public func bytes(from old: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count)
            for p in pieces {
                switch p {
                case .old(let r): out.append(contentsOf: old[r])
                case .new(let t): out.append(contentsOf: t)
                }
            }
            return out
        }

        /// Calls `body` with the pieces as buffers (valid only during the call), `old` being the
        /// file the splice was made from.
        public func withBuffers<T>(from old: [UInt8], _ body: ([UnsafeRawBufferPointer]) throws -> T) rethrows -> T {
            try old.withUnsafeBytes { base in
                // The new texts stay alive (and their storage fixed) for the call: `pieces` holds them.
                var buffers: [UnsafeRawBufferPointer] = []
                buffers.reserveCapacity(pieces.count)
                var kept: [[UInt8]] = []
                for p in pieces {
                    switch p {
                    case .old(let r): buffers.append(UnsafeRawBufferPointer(rebasing: base[r]))
                    case .new(let t): kept.append(t)
                    }
                }
                return try Self.withTexts(kept[...]) { texts in
                    var next = texts.makeIterator()
                    var all: [UnsafeRawBufferPointer] = []
                    all.reserveCapacity(pieces.count)
                    var oldIndex = 0
                    for p in pieces {
                        switch p {
                        case .old:
                            all.append(buffers[oldIndex])
                            oldIndex += 1
                        case .new:
                            if let t = next.next() { all.append(t) }
                        }
                    }
                    return try body(all)
                }
            }
        }

        /// Pins each text's storage for the duration of `body`.
        private static func withTexts<T>(
            _ texts: ArraySlice<[UInt8]>, _ body: ([UnsafeRawBufferPointer]) throws -> T
        ) rethrows -> T {
            guard let first = texts.first else { return try body([]) }
            return try first.withUnsafeBytes { head in
                try withTexts(texts.dropFirst()) { rest in try body([head] + rest) }
            }
        }
    }

    /// The byte range of one entity's text (its key line through its closing brace) in a
    /// canonical file, or nil when it is not there or the file is not laid out canonically.
    /// Used to decode one entity without parsing the rest.
    public static func entityRange(kind: String, id: String, in bytes: [UInt8]) -> Range<Int>? {
        guard let name = mapName(kind), isPlainKey(id) else { return nil }
        return bytes.withUnsafeBufferPointer { buf -> Range<Int>? in
            guard let section = Section.named(name, in: buf),
                case .existing(let start, let end)? = section.locate(id, in: buf)
            else { return nil }
            return start..<end
        }
    }

    /// The value (`{` … `}`) of the entity whose text ``entityRange(kind:id:in:)`` returns.
    public static func entityValue(kind: String, id: String, in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard let range = entityRange(kind: kind, id: id, in: bytes) else { return nil }
        let skip = 4 + 2 + id.utf8.count + 2  // `    "` id `": `
        guard range.count > skip, bytes[range.lowerBound + skip] == 0x7B else { return nil }
        return bytes[(range.lowerBound + skip)..<range.upperBound]
    }

    /// The keys of one map (`tasks`, …) in a canonical file, in file order, found by scanning
    /// its key lines only; nil when the file is not laid out canonically.
    public static func keys(kind: String, in bytes: [UInt8]) -> [String]? {
        guard let name = mapName(kind) else { return nil }
        return bytes.withUnsafeBufferPointer { buf -> [String]? in
            guard let section = Section.named(name, in: buf) else { return nil }
            var out: [String] = []
            if section.isEmpty { return out }
            var p = section.bodyStart
            while p < section.bodyEnd {
                guard let key = Section.key(at: p, in: buf) else { return nil }
                out.append(key)
                guard let next = section.nextEntry(from: p + 5, in: buf) else { break }
                p = next
            }
            return out
        }
    }

    /// The value (`{` … `}`) of the top-level map `name` of a canonical file; nil when the file
    /// has no such key or is not laid out canonically.
    public static func mapValue(_ name: String, in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        bytes.withUnsafeBufferPointer { b -> Range<Int>? in
            let header = Array("\n  \"\(name)\": {".utf8)
            guard let h = topLevelKey(name, in: b) else { return nil }
            let open = h + header.count - 1
            guard open + 1 < b.count else { return nil }
            if b[open + 1] == 0x7D { return open..<(open + 2) }
            guard let section = Section.named(name, in: b) else { return nil }
            return open..<(section.bodyEnd + 4)
        }.map { bytes[$0] }
    }

    /// The project object (`{` … `}`) of a canonical file, without parsing the rest.
    public static func projectValue(in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard let range = bytes.withUnsafeBufferPointer({ projectValue(in: $0) }) else { return nil }
        return bytes[range]
    }

    // MARK: - Internals

    struct Edit {
        var at: Int
        var end: Int
        /// Inserts before a replacement at the same place.
        var order: Int
        var id: String
        var pieces: [Splice.Piece]

        init(at: Int, end: Int, order: Int, id: String, text: [UInt8]) {
            self.init(at: at, end: end, order: order, id: id, pieces: [.new(text)])
        }

        init(at: Int, end: Int, order: Int, id: String, pieces: [Splice.Piece]) {
            self.at = at
            self.end = end
            self.order = order
            self.id = id
            self.pieces = pieces
        }
    }

    static func mapName(_ kind: String) -> String? {
        switch kind {
        case "task": return "tasks"
        case "milestone": return "milestones"
        case "goal": return "goals"
        case "memory": return "memories"
        default: return nil
        }
    }

    /// A key JSON writes as itself between quotes (printable ASCII, no quote or backslash), so
    /// its key line is known without an encoder.
    static func isPlainKey(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    }

    static func entityText(_ id: String, _ value: EntityValue) throws -> [UInt8] {
        var text = Array("    \"\(id)\": ".utf8)
        switch value {
        case .task(let t): text += try encode(t, depth: 2)
        case .milestone(let m): text += try encode(m, depth: 2)
        case .goal(let g): text += try encode(g, depth: 2)
        case .memory(let m): text += try encode(m, depth: 2)
        case .project(let p): text += try encode(p, depth: 2)
        }
        return text
    }

    static func encode<T: Encodable>(_ value: T, depth: Int) throws -> [UInt8] {
        var w = JSONWriter(style: .canonical, depth: depth)
        w.value(try JSONValue(encoding: value))
        return w.bytes
    }

    static let newline: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22

    /// The range of the project object's value: from its `{` through the `}` that closes it.
    static func projectValue(in b: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        let header = Array("\n  \"project\": {".utf8)
        guard let h = topLevelKey("project", in: b) else { return nil }
        let open = h + header.count - 1
        // `{}` cannot be: the name is required. The object closes at the first line `  }`.
        guard let close = find(Array("\n  }".utf8), in: b, from: open) else { return nil }
        return open..<(close + 4)
    }

    /// The position of the `\n` that starts the top-level key line `"name": {`, found by
    /// stepping from one top-level key line to the next (lines indented by exactly two spaces)
    /// while the keys sort before `name`.
    static func topLevelKey(_ name: String, in b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count > 2, b[0] == 0x7B, b[1] == newline else { return nil }
        let header = Array("\n  \"\(name)\": {".utf8)
        let wanted = Array(name.utf8)
        var p = 1
        let marker: [UInt8] = [newline, space, space, quote]
        while true {
            guard matches(marker, in: b, at: p) else { return nil }
            if matches(header, in: b, at: p) { return p }
            // Keys are sorted: past `name`, it is not there (so a missing `memories` never
            // scans the tasks after it).
            var end = p + 4
            while end < b.count, b[end] != quote { end += 1 }
            let key = Array(UnsafeBufferPointer(rebasing: b[(p + 4)..<end]))
            if !key.lexicographicallyPrecedes(wanted) { return nil }
            guard let next = find(marker, in: b, from: p + 1) else { return nil }
            p = next
        }
    }

    static func matches(_ pattern: [UInt8], in b: UnsafeBufferPointer<UInt8>, at p: Int) -> Bool {
        guard p >= 0, p + pattern.count <= b.count else { return false }
        for i in 0..<pattern.count where b[p + i] != pattern[i] { return false }
        return true
    }

    static func find(_ pattern: [UInt8], in b: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int? = nil)
        -> Int?
    {
        let end = min(limit ?? b.count, b.count) - pattern.count
        guard let first = pattern.first, start <= end else { return nil }
        var i = start
        while i <= end {
            if b[i] == first, matches(pattern, in: b, at: i) { return i }
            i += 1
        }
        return nil
    }

    enum Place: Equatable {
        /// The entity's text is `start..<end` (its key line through its closing `}`).
        case existing(start: Int, end: Int)
        /// Absent; it belongs before the entity starting at `start`.
        case before(start: Int)
        /// Absent; it belongs after the last entity, which ends at `end`.
        case atEnd(end: Int)
    }

    /// One map of the state file: `bodyStart..<bodyEnd` runs from the first entity's key line to
    /// the `}` closing the last entity.
    struct Section {
        var bodyStart: Int
        var bodyEnd: Int
        var isEmpty: Bool { bodyStart >= bodyEnd }

        /// The map `name`; nil when it is missing or empty (`{}`: nothing to place an entity
        /// after) or the file is not laid out canonically.
        static func named(_ name: String, in b: UnsafeBufferPointer<UInt8>) -> Section? {
            let header = Array("\n  \"\(name)\": {".utf8)
            guard let h = topLevelKey(name, in: b) else { return nil }
            let start = h + header.count
            guard start < b.count, b[start] == newline else { return nil }  // `{}`
            // The map closes at the first line that is `  }` (deeper lines are indented more).
            let close: Int
            if name == "tasks" {
                // The last key: the file ends with it, so do not scan 10 MB to find its end.
                let tail = Array("\n  }\n}\n".utf8)
                guard b.count >= tail.count, matches(tail, in: b, at: b.count - tail.count) else { return nil }
                close = b.count - tail.count
            } else {
                guard let c = CanonicalSplice.find(Array("\n  }".utf8), in: b, from: start) else { return nil }
                close = c
            }
            let section = Section(bodyStart: start + 1, bodyEnd: close)
            guard !section.isEmpty, key(at: section.bodyStart, in: b) != nil else { return nil }
            return section
        }

        /// The key of the entity whose key line starts at `p`.
        static func key(at p: Int, in b: UnsafeBufferPointer<UInt8>) -> String? {
            guard matches([space, space, space, space, quote], in: b, at: p) else { return nil }
            var i = p + 5
            while i < b.count, b[i] != quote {
                if b[i] == 0x5C || b[i] == newline { return nil }
                i += 1
            }
            guard matches(Array("\": {".utf8), in: b, at: i) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: b[(p + 5)..<i]), as: UTF8.self)
        }

        /// The start of the first key line at or after `p` (and before the map's end).
        func nextEntry(from p: Int, in b: UnsafeBufferPointer<UInt8>) -> Int? {
            if p <= bodyStart { return bodyStart }
            var i = p - 1
            while i < bodyEnd {
                if b[i] == newline, i + 5 < bodyEnd, b[i + 5] == quote, b[i + 4] == space, b[i + 3] == space,
                    b[i + 2] == space, b[i + 1] == space
                {
                    return i + 1
                }
                i += 1
            }
            return nil
        }

        /// The position just after the `}` closing the entity whose key line starts at `p`.
        func entryEnd(_ p: Int, in b: UnsafeBufferPointer<UInt8>) -> Int? {
            guard
                let close = CanonicalSplice.find(
                    [newline, space, space, space, space, 0x7D], in: b, from: p, limit: bodyEnd)
            else { return nil }
            return close + 6
        }

        /// Where the entity `id` is, or belongs, in this map. Nil when the lines are not as the
        /// canonical form lays them out.
        func locate(_ id: String, in b: UnsafeBufferPointer<UInt8>) -> Place? {
            let target = Array(id.utf8)
            // Invariant: every entity before `lo` has a smaller key; `lo` is a key line; the
            // entity, if present, starts before `hi`.
            var lo = bodyStart
            var hi = bodyEnd
            while hi - lo > 4096 {
                let mid = lo + (hi - lo) / 2
                guard let q = nextEntry(from: mid, in: b), q < hi else {
                    hi = mid
                    continue
                }
                guard let k = Self.key(at: q, in: b) else { return nil }
                let c = compare(Array(k.utf8), target)
                if c == 0 {
                    guard let end = entryEnd(q, in: b) else { return nil }
                    return .existing(start: q, end: end)
                }
                if c < 0 { lo = q } else { hi = q }
            }
            var p = lo
            while true {
                guard let k = Self.key(at: p, in: b) else { return nil }
                let c = compare(Array(k.utf8), target)
                if c > 0 { return .before(start: p) }
                guard let end = entryEnd(p, in: b) else { return nil }
                if c == 0 { return .existing(start: p, end: end) }
                if end == bodyEnd { return .atEnd(end: end) }
                guard b[end] == 0x2C, let next = nextEntry(from: end + 1, in: b) else { return nil }
                p = next
            }
        }

        /// The order JSONEncoder's `.sortedKeys` gives keys of plain ASCII: byte order.
        func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
            if a == b { return 0 }
            return a.lexicographicallyPrecedes(b) ? -1 : 1
        }
    }
}
