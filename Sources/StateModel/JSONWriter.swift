/// The one JSON writer: every byte of JSON this tool writes (the state file, journal lines, index
/// blobs, `--json` output, MCP results, Codex files) comes from here.
///
/// Two styles, both with keys sorted by their UTF-8 bytes:
/// - `.canonical`: two-space indent, `"key": value`, `{}` and `[]` when empty (the state file's
///   form, without its trailing newline);
/// - `.compact`: no whitespace at all.
///
/// Strings are written as Foundation's `JSONEncoder` writes them with `.withoutEscapingSlashes`:
/// `"` and `\` escaped; `\b`, `\f`, `\n`, `\r`, `\t`; other C0 controls as `\u00xx` (lowercase
/// hex); everything else, `/` and non-ASCII included, as UTF-8. Numbers as `JSONEncoder` writes
/// them: integers in decimal, doubles by Swift's shortest round-trip form with a `.0` dropped.
/// (`JSONWriterTests` fuzzes all of it against Foundation.)
///
/// Two ways to write: a whole ``JSONValue`` (``value(_:)``), or streaming with ``beginObject()``,
/// ``key(_:)``, ``endObject()``, ``beginArray()``, ``endArray()`` and the scalar writers. When
/// streaming, the caller gives an object's keys in sorted order (``JSONWriter/precedes(_:_:)``).
public struct JSONWriter: Sendable {
    public enum Style: Sendable { case canonical, compact }

    public var bytes: [UInt8]
    public let style: Style
    /// The depth the next value is written at (for `.canonical` indentation).
    public private(set) var depth: Int
    /// Per open container: whether it has no element yet.
    private var empty: [Bool] = []
    /// A key was just written: the value follows it on the same line.
    private var afterKey = false

    /// A writer appending to `bytes`; `depth` is the indentation of the first value (a value
    /// spliced into a canonical document at depth `n` is written with `depth: n`).
    public init(style: Style = .canonical, depth: Int = 0, into bytes: [UInt8] = []) {
        self.style = style
        self.depth = depth
        self.bytes = bytes
    }

    /// The order of keys in an object: by UTF-8 bytes, as Foundation's `.sortedKeys` orders them.
    @inlinable
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: Whole values

    /// Writes `value` (and everything in it).
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let fields):
            beginObject()
            if fields.count == 1, let (k, v) = fields.first {
                key(k)
                self.value(v)
            } else {
                for k in fields.keys.sorted(by: Self.precedes) {
                    key(k)
                    self.value(fields[k] ?? .null)
                }
            }
            endObject()
        }
    }

    // MARK: Streaming

    public mutating func beginObject() {
        element()
        bytes.append(0x7B)
        enterContainer()
    }

    /// The next member's key; its value is the next thing written.
    public mutating func key(_ k: String) {
        element()
        Self.appendString(k, to: &bytes)
        bytes.append(0x3A)
        if style == .canonical { bytes.append(0x20) }
        afterKey = true
    }

    public mutating func endObject() { leaveContainer(0x7D) }

    public mutating func beginArray() {
        element()
        bytes.append(0x5B)
        enterContainer()
    }

    public mutating func endArray() { leaveContainer(0x5D) }

    public mutating func null() {
        element()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    public mutating func bool(_ b: Bool) {
        element()
        if b {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    public mutating func int<I: BinaryInteger>(_ i: I) {
        element()
        Self.appendInteger(i, to: &bytes)
    }

    /// A double as `JSONEncoder` writes it (`1`, `0.5`, `1e+25`, `-0`). Not finite: `null`
    /// (`JSONEncoder` would throw; nothing in this tool writes one).
    public mutating func double(_ d: Double) {
        element()
        guard d.isFinite else { return bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
        var s = d.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func string(_ s: String) {
        element()
        Self.appendString(s, to: &bytes)
    }

    /// Bytes that already are one JSON value in this writer's style (a spliced entity).
    public mutating func raw<C: Collection>(_ json: C) where C.Element == UInt8 {
        element()
        bytes.append(contentsOf: json)
    }

    // MARK: Pieces

    private mutating func element() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = empty.last else { return }
        if !last { bytes.append(0x2C) }
        empty[empty.count - 1] = false
        newline()
    }

    private mutating func enterContainer() {
        empty.append(true)
        depth += 1
    }

    private mutating func leaveContainer(_ bracket: UInt8) {
        depth -= 1
        if empty.popLast() == false { newline() }
        bytes.append(bracket)
    }

    private mutating func newline() {
        guard style == .canonical else { return }
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(0x20, count: depth * 2))
    }

    /// `s` as a JSON string (quotes included), escaped as described above.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i])) }
                start = i + 1
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x08: out.append(contentsOf: [0x5C, 0x62])
                case 0x0C: out.append(contentsOf: [0x5C, 0x66])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                default: out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigit(b >> 4), hexDigit(b & 0xF)])
                }
            }
            if start < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        out.append(0x22)
    }

    private static func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? 0x30 + n : 0x57 + n }

    static func appendInteger<I: BinaryInteger>(_ i: I, to out: inout [UInt8]) {
        if i >= 0 && i < 10 {
            out.append(0x30 + UInt8(i))
        } else {
            out.append(contentsOf: String(i).utf8)
        }
    }
}

extension JSONValue {
    /// The value's JSON in `style` (no trailing newline).
    public func json(_ style: JSONWriter.Style = .compact) -> [UInt8] {
        var w = JSONWriter(style: style)
        w.value(self)
        return w.bytes
    }
}
