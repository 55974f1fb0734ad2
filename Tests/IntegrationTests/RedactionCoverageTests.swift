import Foundation
import StateStore
import Testing

@testable import StateModel

/// Every string field of every stored type is redacted (issue 19, item 3), held by walking the
/// types rather than listing their fields: a maximal sample of each (Mirror checks that no
/// optional is nil and no collection empty, so a field added later is in the sample or this
/// fails), then each of its strings in turn is replaced by text holding a secret; where the type
/// still decodes (the field takes free text), the write path's redaction must leave no trace of
/// the secret in the encoded result: the state file's bytes, the session file's, the journal line.
@Suite struct RedactionCoverageTests {
    static let secret = "ghp" + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    static let at = Timestamp(seconds: 1_768_467_600)
    static let commit = String(repeating: "ab", count: 20)

    static func conflict(_ field: String) -> FieldConflict {
        FieldConflict(
            field: field, kept: .string("kept text"), other: .array([.string("other text")]), winner: .ours,
            rule: .laterUpdate, at: at, otherUpdated: Stamp(at: at, actor: "other actor"))
    }

    /// One of everything the state file can hold, every optional set, every list non-empty.
    static var state: ProjectState {
        var s = ProjectState(projectName: "demo")
        s.project.conflicts = [conflict("name")]
        var task = TaskRecord(
            id: "t-0123456789", title: "title", body: "body", status: .inProgress, priority: 1,
            parent: "t-0123456780", deps: ["t-0123456781"], labels: ["label"], milestone: "m-0123456789",
            acceptance: ["criterion"], notes: [Note(at: at, actor: "note actor", text: "note")],
            created: Stamp(at: at, actor: "creator"), updated: Stamp(at: at, actor: "updater"),
            started: StartRecord(at: at, actor: "starter", branch: "topic", commit: commit),
            completion: Completion(commit: commit, branch: "main", at: at, actor: "finisher", note: "done note"),
            claim: Claim(actor: "claimer", expires: at), blocker: "blocker")
        task.conflicts = [conflict("title")]
        task.source = TaskSource(
            id: "beads:bd-1", fields: ["design": .string("design notes"), "assignee": .array([.string("who")])],
            digest: String(repeating: "cd", count: 32), imported: Stamp(at: at, actor: "importer"))
        task.links = [TaskLink(kind: "related", target: "external:project:thing")]
        s.tasks = [task.id: task]
        var milestone = Milestone(
            id: "m-0123456789", title: "milestone", due: "2026-02-01", created: Stamp(at: at, actor: "m actor"))
        milestone.conflicts = [conflict("title")]
        s.milestones = [milestone.id: milestone]
        var goal = Goal(id: "g-0123456789", text: "goal", created: Stamp(at: at, actor: "g actor"))
        goal.conflicts = [conflict("text")]
        s.goals = [goal.id: goal]
        s.memories = [memory.id: memory]
        return s
    }

    static var memory: Memory {
        var m = Memory(
            id: "mem-0123456789", kind: .decision, text: "memory text", why: "why", tasks: ["t-0123456789"],
            paths: ["src/path"], supersedes: ["mem-0123456780"],
            created: MemoryOrigin(at: at, actor: "mem actor", branch: "main", commit: commit))
        m.commits = [commit]
        m.forgotten = Stamp(at: at, actor: "forgetter")
        m.conflicts = [conflict("supersedes")]
        m.source = "codex-memories:MEMORY.md#block"
        return m
    }

    static var openSession: OpenSession {
        OpenSession(
            id: "s-0123456789", branch: "topic", headStart: commit, actor: "session actor", started: at,
            source: "codex:thread", summary: "summary", journalOffset: 7)
    }

    static var sessionRecord: SessionRecord {
        var activity = SessionActivity()
        activity.created = [SessionTask(id: "t-0123456789", title: "created")]
        activity.started = [SessionTask(id: "t-0123456789", title: "started")]
        activity.completed = [SessionTask(id: "t-0123456789", title: "completed")]
        activity.updated = [SessionTask(id: "t-0123456789", title: "updated")]
        return SessionRecord(
            open: openSession, headEnd: commit, ended: at, closedBy: "session-end", summary: "summary",
            decisions: ["decision"], followUps: ["follow-up"], activity: activity,
            commits: [SessionCommit(sha: commit, subject: "subject")], commitsOmitted: 1, files: ["src/file"],
            filesOmitted: 1)
    }

    // MARK: - The walk

    /// Where the sample leaves a field empty (nil, or an empty collection): its strings would
    /// escape the walk.
    static func emptySpots(_ value: Any, _ path: String) -> [String] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let inner = mirror.children.first else { return [path] }
            return emptySpots(inner.value, path)
        case .collection, .set:
            if mirror.children.isEmpty { return [path] }
            return mirror.children.flatMap { emptySpots($0.value, path + "[]") }
        case .dictionary:
            if mirror.children.isEmpty { return [path] }
            return mirror.children.flatMap { pair in
                Mirror(reflecting: pair.value).children.dropFirst().flatMap { emptySpots($0.value, path + "[:]") }
            }
        case .struct, .class, .enum:
            return mirror.children.flatMap { emptySpots($0.value, path + "." + ($0.label ?? "?")) }
        default:
            return []
        }
    }

    enum Step: CustomStringConvertible {
        case key(String)
        case index(Int)
        var description: String {
            switch self {
            case .key(let k): return "." + k
            case .index(let i): return "[\(i)]"
            }
        }
    }

    static func stringPaths(_ v: JSONValue, _ path: [Step] = []) -> [[Step]] {
        switch v {
        case .string: return [path]
        case .array(let a): return a.indices.flatMap { stringPaths(a[$0], path + [.index($0)]) }
        case .object(let o): return o.keys.sorted().flatMap { stringPaths(o[$0] ?? .null, path + [.key($0)]) }
        default: return []
        }
    }

    static func setting(_ v: JSONValue, _ path: ArraySlice<Step>, _ text: String) -> JSONValue {
        guard let step = path.first else { return .string(text) }
        switch (v, step) {
        case (.array(var a), .index(let i)):
            a[i] = setting(a[i], path.dropFirst(), text)
            return .array(a)
        case (.object(var o), .key(let k)):
            o[k] = setting(o[k] ?? .null, path.dropFirst(), text)
            return .object(o)
        default: return v
        }
    }

    /// For each string field of `sample`: put a secret in it; where `decode` still accepts the
    /// result, `redact` must leave no trace of the secret in `encode`'s output. Returns the
    /// fields that took free text and those that refused it (ids, times, statuses).
    static func walk<T: Encodable>(
        _ sample: T, decode: ([UInt8]) throws -> T, redact: (T) throws -> T, encode: (T) throws -> [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (free: [String], checked: [String]) {
        #expect(
            emptySpots(sample, "").isEmpty, "fill these in the sample: \(emptySpots(sample, ""))",
            sourceLocation: sourceLocation)
        let encoded = try JSONValue(encoding: sample)
        var free: [String] = []
        var checked: [String] = []
        for path in stringPaths(encoded) {
            let name = path.map(\.description).joined()
            let tokened = setting(encoded, path[...], "x \(secret) y")
            guard let value = try? decode(tokened.json(.compact)) else {
                checked.append(name)
                continue
            }
            free.append(name)
            let out = String(decoding: try encode(try redact(value)), as: UTF8.self)
            #expect(!out.contains(secret), "\(T.self)\(name) is stored unredacted", sourceLocation: sourceLocation)
        }
        return (free, checked)
    }

    @Test func everyStringOfTheStateFileIsRedacted() throws {
        let (free, checked) = try Self.walk(
            Self.state, decode: { try StateCodec.decode($0) },
            redact: { s in
                var s = s
                _ = try s.redactChangedText(since: ProjectState(projectName: ""))
                return s
            }, encode: { try StateCodec.encode($0) })
        // The walk reached the fields the issue named, and refused only checked forms.
        for field in [".labels[0]", ".created.actor", ".paths[0]", ".started.branch", ".notes[0].actor", ".name"] {
            #expect(free.contains { $0.hasSuffix(field) }, "\(field) not exercised: \(free)")
        }
        for name in checked {
            let last = name.split(separator: ".").last.map(String.init) ?? name
            #expect(
                ["id", "at", "expires", "status", "kind", "winner", "rule", "due", "hash"].contains {
                    last.hasPrefix($0)
                }
                    || last.contains("t-") || last.contains("m-") || last.contains("mem-") || last.contains("g-")
                    || ["parent", "milestone", "deps[0]", "tasks[0]", "supersedes[0]"].contains(last),
                "\(name) refused free text: is it a checked form?")
        }
    }

    @Test func everyStringOfASessionAndAMemoryIsRedacted() throws {
        let decoder = JSONDecoder()
        _ = try Self.walk(
            Self.sessionRecord, decode: { try decoder.decode(SessionRecord.self, from: Data($0)) },
            redact: { Redaction.redactingStrings($0).value }, encode: { try CanonicalJSON.encode($0) })
        _ = try Self.walk(
            Self.openSession, decode: { try decoder.decode(OpenSession.self, from: Data($0)) },
            redact: { Redaction.redactingStrings($0).value }, encode: { try CanonicalJSON.encode($0) })
        // A memory as both stores make it (MemoryRules.add).
        _ = try Self.walk(
            Self.memory, decode: { try decoder.decode(Memory.self, from: Data($0)) },
            redact: { Redaction.redactingStrings($0).value }, encode: { try CanonicalJSON.encode($0) })
    }

    static var journalRecord: JournalRecord {
        var r = JournalRecord(
            at: at, actor: "actor", command: "codex-state task add x", worktree: "/work/tree", branch: "topic",
            head: commit, stateBefore: commit, stateAfter: commit,
            changes: [
                EntityChange(
                    kind: "task", id: "t-0123456789", before: .task(state.tasks.values.first!),
                    after: .task(state.tasks.values.first!)),
                EntityChange(kind: "memory", id: memory.id, before: .memory(memory), after: .memory(memory)),
            ])
        r.redactions = [Redaction.RuleHit(rule: "github-token", line: 1)]
        r.client = "cli"
        r.privateStore = true
        r.sealed = "key:00:c2VhbGVk"
        return r
    }

    /// The journal line as `Journal.append` writes it.
    @Test func everyStringOfAJournalRecordIsRedacted() throws {
        let dir = NSTemporaryDirectory() + "/journal-walk-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var n = 0
        let decoder = JSONDecoder()
        let (free, checked) = try Self.walk(
            Self.journalRecord, decode: { try decoder.decode(JournalRecord.self, from: Data($0)) },
            redact: { $0 },
            encode: { record in
                n += 1
                let path = dir + "/journal-\(n).jsonl"
                try Journal(path: path).append(record)
                return Array(FileManager.default.contents(atPath: path) ?? Data())
            })
        #expect(free.contains(".actor") && free.contains(".branch") && free.contains(".worktree"), "\(free) \(checked)")
    }

    /// A memory recorded with a secret in its path keeps its text's hash (redacting other fields
    /// never touches the text it was computed from).
    @Test func rememberingRedactsPathsAndKeepsTheHash() throws {
        var state = ProjectState(projectName: "demo")
        let ctx = MutationContext(actor: "me", now: Self.at, branch: "main", head: Self.commit, nonce: 1)
        let r = try state.remember(
            NewMemory(kind: .note, text: "Keys live in the vault", paths: ["conf/" + Self.secret]), ctx)
        let m = try #require(state.memoryMap[r.id])
        #expect(m.paths == ["conf/[REDACTED:github-token]"])
        #expect(m.hashMatches)
        #expect(r.redactions.map(\.rule) == ["github-token"])
    }
}
