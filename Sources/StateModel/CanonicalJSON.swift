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

    /// The same bytes as ``encode(_:)``, written straight from the value's `Encodable`
    /// conformance (``CanonicalBytesEncoder``) when it can be, without the ``JSONValue`` tree in
    /// between: what `check` compares a 10 MB state file with.
    public static func encodeDirectly<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let bytes = CanonicalBytesEncoder.encode(value) { return bytes }
        return try encode(value)
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
    /// Past one of the ``Limits`` (file size, field length): refused before it is decoded.
    case limit(String)

    public var description: String {
        switch self {
        case .limit(let reason): return reason
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
        if let line = conflictMarkerLine(bytes) { throw StateDecodeError.conflictMarkers(line: line) }
        if let problem = Limits.stateFileProblem(bytes) { throw StateDecodeError.limit(problem) }
        // The files this tool writes decode without Foundation (several times faster, no copy
        // of the bytes); what the tape decoder does not take exactly as Foundation would, it
        // leaves to the path below. Its documents repeat no key.
        if let state = TapeDecoder.decode(ProjectState.self, from: bytes) {
            guard state.schema == ProjectState.currentSchema else {
                throw StateDecodeError.unsupportedSchema(found: state.schema, supported: ProjectState.currentSchema)
            }
            try validate(state)
            return state
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
        if !allowingDuplicates, let d = JSONScanner.duplicateKeys(in: bytes).first {
            throw StateDecodeError.duplicateKey(
                path: JSONPathComponent.render(d.path), firstLine: d.firstLine, line: d.line)
        }
        return state
    }

    /// The task `id` as a state file's bytes record it, read without decoding the rest of the
    /// file when the file is laid out canonically (the task is the object after `"<id>": `);
    /// otherwise the whole file is decoded. Nil when the file has no such task or cannot be read.
    /// Used to walk the state file's history, where each version would otherwise be parsed whole.
    public static func task(_ id: String, in bytes: [UInt8]) -> TaskRecord? {
        if let slice = objectSlice(after: Array("\"\(id)\": {".utf8), in: bytes) {
            return try? JSONDecoder().decode(TaskRecord.self, from: Data(slice))
        }
        return (try? decode(bytes))?.tasks[id]
    }

    /// The JSON object starting at the `{` that ends the first occurrence of `key` (one not
    /// inside a string), through its matching `}`.
    static func objectSlice(after key: [UInt8], in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard let first = key.first, bytes.count >= key.count else { return nil }
        var i = 0
        while i <= bytes.count - key.count {
            if bytes[i] == first, bytes[i..<(i + key.count)].elementsEqual(key), i == 0 || bytes[i - 1] != 0x5C {
                let start = i + key.count - 1
                var depth = 0
                var inString = false
                var j = start
                while j < bytes.count {
                    let b = bytes[j]
                    if inString {
                        if b == 0x5C {
                            j += 1
                        } else if b == 0x22 {
                            inString = false
                        }
                    } else if b == 0x22 {
                        inString = true
                    } else if b == 0x7B {
                        depth += 1
                    } else if b == 0x7D {
                        depth -= 1
                        if depth == 0 { return bytes[start...j] }
                    }
                    j += 1
                }
                return nil
            }
            i += 1
        }
        return nil
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
        guard let original = try? JSONSerialization.jsonObject(with: Data(bytes)),
            let known = try? JSONSerialization.jsonObject(with: Data(canonical))
        else {
            throw StateDecodeError.schema("cannot compare with its rewrite; refusing to rewrite it")
        }
        if let path = firstUnknownKey(original, known, path: "") {
            throw StateDecodeError.schema(
                "unknown field '\(path)'; this codex-state would drop it on write (upgrade codex-state, or remove the field)"
            )
        }
        return false
    }

    private static func firstUnknownKey(_ a: Any, _ b: Any, path: String) -> String? {
        switch (a, b) {
        case (let x as [String: Any], let y as [String: Any]):
            for key in x.keys.sorted() {
                let sub = path.isEmpty ? key : path + "." + key
                guard let yv = y[key] else {
                    if x[key] is NSNull { continue }  // an explicit null decodes to absent: nothing lost
                    return sub
                }
                if let found = firstUnknownKey(x[key] as Any, yv, path: sub) { return found }
            }
        case (let x as [Any], let y as [Any]) where x.count == y.count:
            for (i, (xv, yv)) in zip(x, y).enumerated() {
                if let found = firstUnknownKey(xv, yv, path: "\(path)[\(i)]") { return found }
            }
        default: break
        }
        return nil
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

    /// The 1-based line of the first `<<<<<<< `, `=======` or `>>>>>>> ` line, if any. Looks only
    /// at line starts, jumping from one to the next with `memchr` (the bytes between are not
    /// inspected one by one: 10 MB in about a millisecond).
    public static func conflictMarkerLine(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { b -> Int? in
            guard let base = b.baseAddress else { return nil }
            var line = 1
            var i = 0
            while i < b.count {
                let c = b[i]
                if c == 0x3C || c == 0x3E || c == 0x3D, i + 7 <= b.count {
                    var run = true
                    for j in (i + 1)..<(i + 7) where b[j] != c {
                        run = false
                        break
                    }
                    if run {
                        let after = i + 7 < b.count ? b[i + 7] : 0x0A
                        if c == 0x3D ? (after == 0x0A || after == 0x0D) : (after == 0x20 || after == 0x0A) {
                            return line
                        }
                    }
                }
                guard let newline = memchr(base + i, 0x0A, b.count - i) else { return nil }
                i = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
                line += 1
            }
            return nil
        }
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
