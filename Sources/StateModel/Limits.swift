/// The size limits of every input the tool reads, in one place. Each bounds the time and memory
/// one hostile input can cost; docs/threat-model.md lists them with what each protects, and
/// the tests hold every reader to its limit (one-line error, linear time, bounded peak memory).
public enum Limits {
    /// One MCP message (one line of the stdio stream). A longer line is skipped as it arrives,
    /// never held, and answered with an error: tool arguments are bounded by ``fieldBytes``, so
    /// a real request is far smaller.
    public static let mcpMessageBytes = 4 << 20

    /// One line of a Codex rollout. Longer lines (a pasted file, an image) are skipped as they
    /// stream past and counted; the import reads the rest.
    public static let rolloutLineBytes = 16 << 20

    /// The state file. A 10,000-task state is about 9 MB; a larger file is refused before it is
    /// read (the whole file is held and decoded, at several times its size).
    public static let stateFileBytes = 64 << 20

    /// One session file, and one open-session file: at most 50 commits, 200 paths and a few
    /// fields of at most ``fieldBytes`` each.
    public static let sessionFileBytes = 4 << 20

    /// Codex's config.toml and hooks.json (the user's own files, parsed whole).
    public static let codexConfigBytes = 4 << 20

    /// A Codex hook's JSON on standard input.
    public static let hookInputBytes = 4 << 20

    /// One string field (a title, a body, a note, a label, an actor): what a command or tool may
    /// store, and the longest string a state file may hold.
    public static let fieldBytes = 64 << 10

    /// What may be wrong with one string.
    public enum StringProblem: Equatable, Sendable {
        /// Longer than ``Limits/fieldBytes``.
        case tooLong(bytes: Int)
        /// Holds U+0000, which no C string (SQLite's text, a terminal, git) carries whole: a
        /// title with one was cut wherever it was shown.
        case nul
    }

    /// The first string of `bytes` (JSON text) longer than ``fieldBytes`` or holding an escaped
    /// U+0000 (a raw one is not JSON): its 1-based line and the problem. One pass, no
    /// allocation: a file holding a 100 MB title is refused before anything decodes it.
    public static func stringProblem(in bytes: [UInt8]) -> (line: Int, problem: StringProblem)? {
        bytes.withUnsafeBufferPointer { b -> (line: Int, problem: StringProblem)? in
            var line = 1
            var i = 0
            let n = b.count
            while i < n {
                let c = b[i]
                if c == 0x0A {
                    line += 1
                } else if c == 0x22 {  // a string: find its end, skipping escapes
                    let start = i + 1
                    var j = start
                    while j < n, b[j] != 0x22 {
                        if b[j] == 0x5C {
                            // \u0000
                            if j + 5 < n, b[j + 1] == 0x75, b[j + 2] == 0x30, b[j + 3] == 0x30, b[j + 4] == 0x30,
                                b[j + 5] == 0x30
                            {
                                return (line, .nul)
                            }
                            j += 2
                        } else {
                            j += 1
                        }
                    }
                    if j - start > fieldBytes { return (line, .tooLong(bytes: j - start)) }
                    i = j
                }
                i += 1
            }
            return nil
        }
    }

    /// What is wrong with a state file's bytes before any decoding: larger than
    /// ``stateFileBytes``, or a string longer than ``fieldBytes``. One linear pass.
    public static func stateFileProblem(_ bytes: [UInt8]) -> String? {
        if bytes.count > stateFileBytes {
            return "\(bytes.count) bytes; a state file holds at most \(stateFileBytes >> 20) MiB (docs/threat-model.md)"
        }
        switch stringProblem(in: bytes) {
        case (let line, .tooLong(let n))?:
            return
                "line \(line): a string of \(n) bytes; a field holds at most \(fieldBytes) bytes (docs/threat-model.md)"
        case (let line, .nul)?:
            return
                "line \(line): a string holds U+0000 (NUL), which codex-state does not store (SQLite, terminals and git cut text there); remove it"
        case nil:
            return nil
        }
    }

    /// Throws ``LimitError`` when a string of `value` (an entity, a record) is longer than
    /// ``fieldBytes`` or holds U+0000, naming it by `path` and its place in the value.
    public static func checkStrings(_ value: JSONValue, path: String) throws {
        switch value {
        case .string(let s):
            let n = s.utf8.count
            if n > fieldBytes { throw LimitError.fieldTooLong(field: path, bytes: n) }
            if s.utf8.contains(0) { throw LimitError.nul(field: path) }
        case .array(let items):
            for (i, item) in items.enumerated() { try checkStrings(item, path: path + "[\(i)]") }
        case .object(let members):
            for key in members.keys.sorted() {
                if let member = members[key] { try checkStrings(member, path: path + "." + key) }
            }
        default: break
        }
    }
}

/// An input past one of the ``Limits``.
public enum LimitError: Error, Equatable, Sendable, CustomStringConvertible {
    case fieldTooLong(field: String, bytes: Int)
    /// An input read in chunks and given up at `limit` bytes.
    case inputTooLarge(what: String, limit: Int)
    /// A field holding U+0000 (``Limits/StringProblem/nul``).
    case nul(field: String)

    public var description: String {
        switch self {
        case .nul(let field):
            return
                "\(field): holds U+0000 (NUL), which codex-state does not store (SQLite, terminals and git cut text there)"
        case .inputTooLarge(let what, let limit):
            return "\(what): more than \(limit) bytes, the limit (docs/threat-model.md); nothing stored"
        case .fieldTooLong(let field, let bytes):
            return
                "\(field): \(bytes) bytes; a field holds at most \(Limits.fieldBytes) bytes (\(Limits.fieldBytes >> 10) KiB); keep the material in a file and refer to it"
        }
    }
}
