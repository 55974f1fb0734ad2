import Foundation

/// The one byte form of the state file: keys sorted, two-space indent, `"key": value`, no escaped
/// slashes, a trailing newline. Every write produces it, and `check` can demand it like a
/// formatter does.
public enum CanonicalJSON {
    /// The canonical form of `value`, with the trailing newline.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var w = JSONWriter(style: .canonical)
        w.value(try JSONValue(encoding: value))
        w.bytes.append(0x0A)
        return w.bytes
    }

    /// Compact single-line encoding (sorted keys), used for journal lines and index blobs.
    public static func encodeCompact<T: Encodable>(_ value: T) throws -> [UInt8] {
        try JSONValue(encoding: value).json(.compact)
    }
}

/// Why bytes are not a usable state file. The store adds the file's path to the message.
public enum StateDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case conflictMarkers(line: Int)
    case malformedJSON(String)
    case schema(String)
    case unsupportedSchema(found: Int, supported: Int)
    /// The same key twice in one object: a JSON reader keeps one copy, so a rewrite would drop
    /// the other silently. (What a text merge without the merge driver leaves behind.)
    case duplicateKey(path: String, firstLine: Int, line: Int)

    public var description: String {
        switch self {
        case .conflictMarkers(let line):
            return
                "unresolved git conflict markers (line \(line)); resolve them (edit the file, or git checkout --ours/--theirs it) and commit"
        case .malformedJSON(let reason): return "not valid JSON: \(reason)"
        case .schema(let reason): return "does not match schema 1: \(reason)"
        case .unsupportedSchema(let found, let supported):
            return ModelError.unsupportedSchema(found: found, supported: supported).description
        case .duplicateKey(let path, let first, let line):
            return
                "'\(path)' appears twice (lines \(first) and \(line)); a write would keep only one: merge the copies by hand and delete one"
        }
    }
}

public enum StateCodec {
    /// Decodes and validates a state file's bytes.
    ///
    /// The happy path parses once (plus a scan for repeated keys, which the decoder would
    /// silently collapse). Only when decoding fails is the text parsed again, untyped, to tell a
    /// syntax error from a newer schema from a field of the wrong shape. `check` passes
    /// `allowingDuplicates` to report every duplicate itself and go on checking.
    public static func decode(_ bytes: [UInt8], allowingDuplicates: Bool = false) throws -> ProjectState {
        // One tokenizer reads the bytes: strictly (Foundation's reader would take a trailing
        // comma), onto a tape the files this tool writes decode from without Foundation.
        switch TapeDecoder.read(ProjectState.self, from: bytes) {
        case .syntaxError(let offset, let reason):
            let line = JSONScanner.line(atOffset: offset, in: bytes)
            // A merge's conflict markers are where the JSON stops being JSON.
            if startsWithConflictMarker(bytes, line: line) { throw StateDecodeError.conflictMarkers(line: line) }
            throw StateDecodeError.malformedJSON("\(reason) (line \(line))")
        case .decoded(let state):
            guard state.schema == ProjectState.currentSchema else {
                throw StateDecodeError.unsupportedSchema(found: state.schema, supported: ProjectState.currentSchema)
            }
            try validate(state)
            return state
        case .declined: break
        }
        // Valid JSON the tape decoder leaves to Foundation (a number with a fraction, an
        // escaped key, a key twice), whose results and messages are the reference.
        if !allowingDuplicates, let d = JSONScanner.duplicateKeys(in: bytes).first {
            throw StateDecodeError.duplicateKey(
                path: JSONPathComponent.render(d.path), firstLine: d.firstLine, line: d.line)
        }
        let data = Data(bytes)
        let state: ProjectState
        do {
            state = try JSONDecoder().decode(ProjectState.self, from: data)
        } catch let error as DecodingError {
            throw diagnose(data, error)
        }
        guard state.schema == ProjectState.currentSchema else {
            throw StateDecodeError.unsupportedSchema(found: state.schema, supported: ProjectState.currentSchema)
        }
        try validate(state)
        return state
    }

    /// The task `id` as a state file's bytes record it, read from its own lines when the file is
    /// laid out canonically (``CanonicalSplice/entityValue(kind:id:in:)``); otherwise the whole
    /// file is decoded. Nil when the file has no such task or cannot be read. Used to walk the
    /// state file's history and to read other copies, where each version would otherwise be
    /// parsed whole.
    public static func task(_ id: String, in bytes: [UInt8]) -> TaskRecord? {
        if let t = decodeEntity(TaskRecord.self, kind: "task", id: id, in: bytes) { return t }
        return (try? decode(bytes))?.tasks[id]
    }

    /// One entity of a canonical file, decoded from its own lines; nil when it is not there or
    /// the file is not laid out canonically.
    public static func decodeEntity<T: Decodable>(_ type: T.Type, kind: String, id: String, in bytes: [UInt8]) -> T? {
        guard let slice = CanonicalSplice.entityValue(kind: kind, id: id, in: bytes) else { return nil }
        return decodeValue(type, from: Array(slice))
    }

    /// The project record of a canonical file, decoded from its own lines.
    public static func project(in bytes: [UInt8]) -> ProjectInfo? {
        guard let slice = CanonicalSplice.projectValue(in: bytes) else { return nil }
        return decodeValue(ProjectInfo.self, from: Array(slice))
    }

    /// The committed memories of a canonical file, decoded from their own section (empty when
    /// the file has none).
    public static func memories(in bytes: [UInt8]) throws -> [String: Memory] {
        guard let slice = CanonicalSplice.mapValue("memories", in: bytes) else { return [:] }
        guard let map = decodeValue([String: Memory].self, from: Array(slice)) else {
            throw StateDecodeError.schema("memories: cannot be read from its lines")
        }
        return map
    }

    /// A value of a file this tool wrote, through the tape decoder, else Foundation's.
    static func decodeValue<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        if let v = TapeDecoder.decode(type, from: bytes) { return v }
        return try? JSONDecoder().decode(type, from: Data(bytes))
    }

    private static func diagnose(_ data: Data, _ error: DecodingError) -> StateDecodeError {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            return .malformedJSON(syntaxReason(error))
        }
        guard let top = object as? [String: Any] else { return .schema("the top level must be an object") }
        guard let raw = top["schema"] else { return .schema("schema: missing (expected the integer 1)") }
        guard let schema = exactInt(raw) else {
            return .schema("schema: expected the integer \(ProjectState.currentSchema), found \(render(raw))")
        }
        if schema != ProjectState.currentSchema {
            return .unsupportedSchema(found: schema, supported: ProjectState.currentSchema)
        }
        return .schema(describe(error, in: object))
    }

    /// The dotted path and value of the first number (in key order) that is not an exact integer.
    private static func firstNonInteger(in value: Any, path: String) -> (String, Any)? {
        switch value {
        case let o as [String: Any]:
            for key in o.keys.sorted() {
                if let found = firstNonInteger(in: o[key] as Any, path: path.isEmpty ? key : path + "." + key) {
                    return found
                }
            }
        case let a as [Any]:
            for (i, v) in a.enumerated() {
                if let found = firstNonInteger(in: v, path: "\(path)[\(i)]") { return found }
            }
        case let n as NSNumber where !isBoolean(n) && exactInt(n) == nil:
            return (path, n)
        default: break
        }
        return nil
    }

    /// The integer a JSON number holds exactly (not 1.5, not 10^25, not `"1"`, not `true`).
    private static func exactInt(_ value: Any) -> Int? {
        guard let n = value as? NSNumber, !isBoolean(n) else { return nil }
        guard let d = Double(exactly: n.doubleValue), d.rounded() == d, abs(d) < 1e15 else { return nil }
        return Int(d)
    }

    /// JSONSerialization gives `true` and `false` as NSNumbers of type char.
    private static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    /// A short rendering of a JSON value for a message: `"1"`, `1.5`, `1e+25`, `null`, `an object`.
    static func render(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let s as String:
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return "\"" + String(shown.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
                + "\""
        case is [String: Any]: return "an object"
        case is [Any]: return "an array"
        case let n as NSNumber:
            if isBoolean(n) { return n.boolValue ? "true" : "false" }
            return "\(n)"
        default: return "\(value)"
        }
    }

    /// The value at a decoder's coding path in the untyped parse, if it is there.
    private static func value(at path: [CodingKey], in object: Any) -> Any? {
        var current: Any = object
        for key in path {
            if let i = key.intValue, let a = current as? [Any] {
                guard a.indices.contains(i) else { return nil }
                current = a[i]
            } else if let o = current as? [String: Any], let next = o[key.stringValue] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }

    /// Before a state read from `bytes` is rewritten: throws if the file holds fields this
    /// version does not know, which a rewrite would silently drop. (A file that only differs in
    /// formatting is fine: the rewrite makes it canonical.)
    /// A guard: when it cannot tell (the state does not re-encode, the text does not parse), it
    /// refuses rather than let a lossy write through.
    /// Returns whether `bytes` are already the canonical encoding of `decoded`.
    @discardableResult
    public static func checkNothingDropped(_ bytes: [UInt8], decoded: ProjectState) throws -> Bool {
        let canonical: [UInt8]
        do {
            canonical = try encode(decoded)
        } catch {
            throw StateDecodeError.schema("cannot be written back (\(error)); refusing to rewrite it")
        }
        if canonical == bytes { return true }
        guard let unknown = JSONScanner.unknownKeys(in: bytes, known: canonical) else {
            throw StateDecodeError.schema("cannot compare with its rewrite; refusing to rewrite it")
        }
        if let path = unknown.first {
            throw StateDecodeError.schema(
                "unknown field '\(JSONPathComponent.render(path))'; this codex-state would drop it on write (upgrade codex-state, or remove the field)"
            )
        }
        return false
    }

    public static func encode(_ state: ProjectState) throws -> [UInt8] {
        try CanonicalJSON.encode(state)
    }

    /// Structural rules the decoder cannot express. References to missing entities are not
    /// errors here (the drift check reports them); a file that breaks these rules is unusable.
    static func validate(_ state: ProjectState) throws {
        func require(_ ok: Bool, _ reason: @autoclosure () -> String) throws {
            if !ok { throw StateDecodeError.schema(reason()) }
        }
        func requireID(_ id: String, _ kind: EntityKind, at path: @autoclosure () -> String) throws {
            try require(
                Identifiers.isWellFormed(id, kind: kind),
                "\(path()): \(Identifiers.quoted(id)) is not a \(kind.rawValue) id ('\(kind.idPrefix)' and 10 of 0-9a-f)"
            )
        }
        for (key, task) in state.tasks.sorted(by: { $0.key < $1.key }) {
            try requireID(key, .task, at: "tasks")
            try require(key == task.id, "tasks.\(key): key does not match its id \(Identifiers.quoted(task.id))")
            try require((0...4).contains(task.priority), "tasks.\(key).priority: \(task.priority) is not 0-4")
            try require(!task.title.isEmpty, "tasks.\(key).title: must not be empty")
            for (i, d) in task.deps.enumerated() { try requireID(d, .task, at: "tasks.\(key).deps[\(i)]") }
            if let p = task.parent { try requireID(p, .task, at: "tasks.\(key).parent") }
            if let m = task.milestone { try requireID(m, .milestone, at: "tasks.\(key).milestone") }
        }
        for (key, m) in state.milestones.sorted(by: { $0.key < $1.key }) {
            try requireID(key, .milestone, at: "milestones")
            try require(key == m.id, "milestones.\(key): key does not match its id \(Identifiers.quoted(m.id))")
        }
        for (key, g) in state.goals.sorted(by: { $0.key < $1.key }) {
            try requireID(key, .goal, at: "goals")
            try require(key == g.id, "goals.\(key): key does not match its id \(Identifiers.quoted(g.id))")
        }
        for (key, m) in state.memoryMap {
            try require(key == m.id, "memories.\(key): key does not match its id '\(m.id)'")
            try require(key.hasPrefix(EntityKind.memory.idPrefix), "memories.\(key): memory ids start with 'mem-'")
            try require(
                m.isForgotten || !m.text.trimmingWhitespace.isEmpty, "memories.\(key).text: must not be empty")
        }
    }

    /// Whether the 1-based `line` of `bytes` is a conflict marker line (`<<<<<<< `, `=======`,
    /// `>>>>>>> `).
    static func startsWithConflictMarker(_ bytes: [UInt8], line: Int) -> Bool {
        var start = 0
        var n = 1
        while n < line, let nl = bytes[start...].firstIndex(of: 0x0A) {
            start = nl + 1
            n += 1
        }
        guard start + 7 <= bytes.count,
            let c = [UInt8](arrayLiteral: 0x3C, 0x3D, 0x3E).first(where: { $0 == bytes[start] })
        else { return false }
        guard bytes[start..<(start + 7)].allSatisfy({ $0 == c }) else { return false }
        let after = start + 7 < bytes.count ? bytes[start + 7] : 0x0A
        return c == 0x3D ? (after == 0x0A || after == 0x0D) : (after == 0x20 || after == 0x0A)
    }

    private static func syntaxReason(_ error: Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return ns.localizedDescription
    }

    /// As ``describe(_:)``, naming the value found where the decoder expected another shape.
    static func describe(_ error: DecodingError, in object: Any) -> String {
        let expected: String
        let codingPath: [CodingKey]
        switch error {
        case .typeMismatch(let type, let ctx):
            (expected, codingPath) = (expectation(type), ctx.codingPath)
        case .dataCorrupted(let ctx) where ctx.codingPath.isEmpty:
            // Foundation on Linux reports a number that does not fit an integer field (1.5, or
            // 10^25) as "not valid JSON" at the top level. Every number in the schema is an
            // integer: name the first one that is not.
            guard let (path, found) = firstNonInteger(in: object, path: "") else { return describe(error) }
            return "\(path): expected an integer, found \(render(found))"
        case .dataCorrupted(let ctx):
            // Foundation reports a number that does not fit the field (1.5 for an integer) as
            // "not valid JSON"; the field and the value say more.
            guard let found = value(at: ctx.codingPath, in: object) as? NSNumber, !isBoolean(found) else {
                return describe(error)
            }
            (expected, codingPath) = ("an integer", ctx.codingPath)
        default: return describe(error)
        }
        let name = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
        guard let found = value(at: codingPath, in: object) else { return "\(name): expected \(expected)" }
        return "\(name): expected \(expected), found \(render(found))"
    }

    private static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return name
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ p: [CodingKey]) -> String {
            p.isEmpty
                ? "(top level)"
                : p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                    .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return "\(path(ctx.codingPath + [key])): missing"
        case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)): expected \(type)"
        case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)): expected \(type), found null"
        case .dataCorrupted(let ctx):
            return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
