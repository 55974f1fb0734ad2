/// Project memory: decisions, constraints and notes that later sessions recall.
///
/// A memory lives in the state file (`memories`, keyed by id) and so travels with the branch it
/// was recorded on: it is current on that branch and wherever it is merged. Its text is stored
/// exactly as given (after secret redaction) and never edited; a later memory may *supersede*
/// it, and `forget` leaves a tombstone (id, kind, origin, when forgotten) so that a merge from a
/// branch that still has the text does not bring it back. Private memories have the same shape
/// but live under the git directory, never in the committed file.
public enum MemoryKind: String, Codable, CaseIterable, Sendable {
    /// A choice and its rationale ("JWT access tokens; cookie sessions rejected because …").
    case decision
    /// A hard rule, kept byte-exact and checked against its hash ("`any` is banned").
    case constraint
    /// Debugging context, conventions, preferences.
    case note
}

/// Who recorded a memory, when, the branch (nil on a detached HEAD) and HEAD (nil on an unborn
/// branch): the same record a task keeps of where work on it started.
public typealias MemoryOrigin = StartRecord

public struct Memory: Codable, Hashable, Sendable {
    public var id: String
    public var kind: MemoryKind
    /// Exactly as given (secrets redacted); empty once forgotten.
    public var text: String
    /// The rationale, when given.
    public var why: String?
    /// Scope: linked task ids (sorted, unique). Empty with no paths: the whole project.
    public var tasks: [String]
    /// Scope: repository paths or path prefixes (sorted, unique).
    public var paths: [String]
    /// Scope: commits it concerns (full ids, sorted, unique), e.g. the one that fixed a bug; nil
    /// (absent from the file) when none.
    public var commits: [String]?
    /// Ids of the memories this one replaces (sorted, unique).
    public var supersedes: [String]
    /// SHA-256 (hex) of `text`'s UTF-8 bytes: duplicate detection, and `check` reports a
    /// constraint whose text no longer matches it. Nil once forgotten.
    public var hash: String?
    public var created: MemoryOrigin
    /// The tombstone: when and by whom it was forgotten.
    public var forgotten: Stamp?
    /// Unresolved merge conflict records (a memory superseded differently on two branches).
    public var conflicts: [FieldConflict]?
    /// Where an imported memory came from (`codex-memories:MEMORY.md#<block>`): a later import
    /// of a changed block supersedes it instead of adding a copy. Nil when recorded here.
    public var source: String?

    public init(
        id: String, kind: MemoryKind, text: String, why: String? = nil, tasks: [String] = [], paths: [String] = [],
        supersedes: [String] = [], created: MemoryOrigin
    ) {
        self.id = id
        self.kind = kind
        self.text = text
        self.why = why
        self.tasks = tasks
        self.paths = paths
        self.supersedes = supersedes
        self.hash = Self.hash(of: text)
        self.created = created
    }

    public static func hash(of text: String) -> String { ContentHash.sha256(Array(text.utf8)) }

    public var isForgotten: Bool { forgotten != nil }

    /// True when the stored hash still matches the text (a hand edit breaks it).
    public var hashMatches: Bool { isForgotten || hash == Self.hash(of: text) }
}

/// What a new memory is made of; the model validates, redacts and stamps it.
public struct NewMemory: Sendable {
    public var kind: MemoryKind
    public var text: String
    public var why: String?
    public var tasks: [String]
    public var paths: [String]
    public var supersedes: [String]
    /// Full commit ids (the Workspace resolves revisions).
    public var commits: [String]

    public init(
        kind: MemoryKind, text: String, why: String? = nil, tasks: [String] = [], paths: [String] = [],
        supersedes: [String] = [], commits: [String] = []
    ) {
        self.kind = kind
        self.text = text
        self.why = why
        self.tasks = tasks
        self.paths = paths
        self.supersedes = supersedes
        self.commits = commits
    }
}

/// The outcome of recording a memory: its id and what redaction replaced.
public struct RememberResult: Sendable, Equatable {
    public var id: String
    public var redactions: [Redaction.RuleHit]
}

/// Limits and checks shared by the committed and the private memory stores.
public enum MemoryRules {
    /// Text (or rationale) longer than this is refused: a memory is a fact, not a document.
    public static let maxTextBytes = 16 * 1024

    /// Validates and redacts a new memory's text and rationale; throws on empty, oversized or
    /// undecodable text.
    static func prepared(_ new: NewMemory) throws -> (text: String, why: String?, hits: [Redaction.RuleHit]) {
        try checkText(new.text, field: "text")
        if let why = new.why { try checkText(why, field: "--why") }
        let text = Redaction.redact(new.text)
        let why = new.why.map(Redaction.redact)
        return (text.text, why?.text, text.hits + (why?.hits ?? []))
    }

    static func checkText(_ text: String, field: String) throws {
        guard !text.trimmingWhitespace.isEmpty else { throw ModelError.emptyText(field: "memory \(field)") }
        let bytes = text.utf8.count
        guard bytes <= maxTextBytes else {
            throw ModelError.invalidValue(
                field: "memory \(field)", value: "\(bytes) bytes",
                reason:
                    "longer than the \(maxTextBytes)-byte limit; remember the fact and keep the material in a file (--path)"
            )
        }
        // Arguments that are not UTF-8 reach Swift with U+FFFD in place of the bad bytes.
        guard !text.unicodeScalars.contains("\u{FFFD}") else {
            throw ModelError.invalidValue(
                field: "memory \(field)", value: String(text.prefix(40)), reason: "is not valid UTF-8")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" })
        else {
            throw ModelError.invalidValue(
                field: "memory \(field)", value: String(text.prefix(40)), reason: "contains control characters")
        }
    }

    /// Adds a memory to `memories` (the committed map or the private one). `others` are the
    /// memories of the other store, consulted for duplicates and supersession.
    static func add(
        _ new: NewMemory, to memories: inout [String: Memory], others: [String: Memory],
        resolveTask: (String) throws -> String, _ ctx: MutationContext
    ) throws -> RememberResult {
        let prepared = try prepared(new)
        let all = memories.merging(others) { a, _ in a }
        var supersedes: [String] = []
        for raw in new.supersedes {
            let id = try Identifiers.resolve(raw, kind: .memory, among: all.keys)
            guard let target = all[id], !target.isForgotten else {
                throw ModelError.invalidValue(field: "--supersedes", value: raw, reason: "that memory was forgotten")
            }
            if let by = all.values.first(where: { $0.supersedes.contains(id) && !$0.isForgotten }) {
                throw ModelError.invalidValue(
                    field: "--supersedes", value: id, reason: "already superseded by \(by.id); supersede that one")
            }
            if !supersedes.contains(id) { supersedes.append(id) }
        }
        var tasks: [String] = []
        for raw in new.tasks {
            let id = try resolveTask(raw)
            if !tasks.contains(id) { tasks.append(id) }
        }
        var paths: [String] = []
        for raw in new.paths {
            let p = MemoryRules.normalizedPath(raw)
            guard !p.isEmpty else { throw ModelError.emptyText(field: "--path") }
            if !paths.contains(p) { paths.append(p) }
        }
        let hash = Memory.hash(of: prepared.text)
        for m in all.values.sorted(by: { $0.id < $1.id }) where !m.isForgotten && !supersedes.contains(m.id) {
            if m.hash == hash {
                throw MemoryError.duplicate(of: m.id, exact: true)
            }
            if MemoryText.nearDuplicate(m.text, prepared.text) {
                throw MemoryError.duplicate(of: m.id, exact: false)
            }
        }
        let id = Identifiers.make(
            kind: .memory, text: prepared.text, actor: ctx.actor, at: ctx.now, nonce: ctx.nonce,
            existing: { all[$0] != nil })
        var memory = Memory(
            id: id, kind: new.kind, text: prepared.text, why: prepared.why, tasks: tasks.sorted(),
            paths: paths.sorted(),
            supersedes: supersedes.sorted(),
            created: MemoryOrigin(at: ctx.now, actor: ctx.actor, branch: ctx.branch, commit: ctx.head))
        let commits = Set(new.commits).sorted()
        memory.commits = commits.isEmpty ? nil : commits
        // Every other string of it (paths, the actor, the branch) redacted too, in both stores.
        let redacted = Redaction.redactingStrings(memory)
        memories[id] = redacted.value
        return RememberResult(id: id, redactions: prepared.hits + redacted.hits)
    }

    /// Leaves a tombstone in place of `id`'s content.
    static func forget(_ id: String, in memories: inout [String: Memory], _ ctx: MutationContext) throws {
        guard var m = memories[id] else { throw ModelError.unknownID(kind: .memory, id: id) }
        guard !m.isForgotten else {
            throw ModelError.invalidValue(field: "memory", value: id, reason: "already forgotten")
        }
        m.text = ""
        m.why = nil
        m.hash = nil
        m.commits = nil
        m.forgotten = Stamp(at: ctx.now, actor: ctx.actor)
        memories[id] = m
    }

    /// `./src/auth/` → `src/auth`: paths compare as repository-relative, without dots or slashes
    /// at the ends.
    public static func normalizedPath(_ raw: String) -> String {
        var p = raw.trimmingWhitespace
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.hasSuffix("/") { p.removeLast() }
        while p.hasPrefix("/") { p.removeFirst() }
        return p
    }
}

/// Refusals specific to memories.
public enum MemoryError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicate(of: String, exact: Bool)

    public var description: String {
        switch self {
        case .duplicate(let id, let exact):
            return exact
                ? "already remembered as \(id) (same text); nothing stored"
                : "nearly the same as \(id); nothing stored (pass --supersedes \(id) if this replaces it)"
        }
    }
}

extension ProjectState {
    /// The committed memories (empty when the file has none).
    public var memoryMap: [String: Memory] {
        get { memories ?? [:] }
        set { memories = newValue.isEmpty ? nil : newValue }
    }
}

extension StateRecords {
    /// Records a committed memory: validated, redacted, refused when it duplicates a live one
    /// here or in `privateMemories`. The tasks it names are resolved as the operation's own.
    @discardableResult
    public mutating func remember(
        _ new: NewMemory, privateMemories: [String: Memory] = [:], _ ctx: MutationContext
    ) throws -> RememberResult {
        var map = try committedMemories()
        let result = try MemoryRules.add(new, to: &map, others: privateMemories, resolveTask: resolveTask, ctx)
        try setCommittedMemories(map)
        return result
    }

    public mutating func forgetMemory(_ id: String, _ ctx: MutationContext) throws {
        var map = try committedMemories()
        try MemoryRules.forget(id, in: &map, ctx)
        try setCommittedMemories(map)
    }
}

/// The private memories of one clone (`<git common dir>/codex-state/private-memories.json`).
public struct PrivateMemories: Codable, Hashable, Sendable {
    public var memories: [String: Memory]

    public init(memories: [String: Memory] = [:]) { self.memories = memories }

    @discardableResult
    public mutating func remember(
        _ new: NewMemory, committed: [String: Memory], knownTasks: Set<String>, _ ctx: MutationContext
    ) throws -> RememberResult {
        try remember(
            new, committed: committed, resolveTask: { try Identifiers.resolve($0, kind: .task, among: knownTasks) }, ctx
        )
    }

    /// As above, the tasks named resolved by `resolveTask` (through the index).
    @discardableResult
    public mutating func remember(
        _ new: NewMemory, committed: [String: Memory], resolveTask: (String) throws -> String, _ ctx: MutationContext
    ) throws -> RememberResult {
        try MemoryRules.add(new, to: &memories, others: committed, resolveTask: resolveTask, ctx)
    }

    public mutating func forget(_ id: String, _ ctx: MutationContext) throws {
        try MemoryRules.forget(id, in: &memories, ctx)
    }
}

/// What decides whether a committed memory is current at HEAD.
public struct MemoryHead: Sendable, Equatable {
    public var branch: String?
    public var commit: String?
    /// The ids of the memories in the state file committed at HEAD (empty on an unborn branch or
    /// before the file was first committed).
    public var committedIDs: Set<String>

    public init(branch: String?, commit: String?, committedIDs: Set<String>) {
        self.branch = branch
        self.commit = commit
        self.committedIDs = committedIDs
    }

    /// Whether a committed memory is true here: it is in HEAD's committed state file (recorded on
    /// this line of history, or merged into it), or it is not committed yet and was recorded on
    /// this branch (on a detached HEAD: at this very commit).
    public func holds(_ m: Memory) -> Bool {
        if committedIDs.contains(m.id) { return true }
        if let b = m.created.branch { return b == branch }
        return m.created.commit == commit
    }
}

/// Where a memory stands at one HEAD.
public enum MemoryStatus: String, Codable, Sendable, CaseIterable {
    /// Committed at HEAD, or recorded on this branch and not committed yet (or private), and
    /// not superseded.
    case current
    /// A current memory supersedes it.
    case superseded
    /// Recorded on another branch and not merged here (the file came over without the history).
    case elsewhere
    /// Forgotten (a tombstone).
    case forgotten
}

/// Memories evaluated at a HEAD: which are current, which superseded and by what.
public struct MemoryEvaluation: Sendable {
    public let memories: [String: Memory]
    public let privateIDs: Set<String>
    public private(set) var status: [String: MemoryStatus] = [:]
    /// For each memory, the live memories that supersede it (sorted).
    public private(set) var supersededBy: [String: [String]] = [:]

    /// `head` says which committed memories hold at HEAD (see ``MemoryHead/holds(_:)``).
    public init(committed: [String: Memory], private: [String: Memory], head: MemoryHead) {
        var all = committed
        for (id, m) in `private` { all[id] = m }
        memories = all
        privateIDs = Set(`private`.keys)
        var live: [String: Bool] = [:]
        for (id, m) in all {
            if m.isForgotten {
                status[id] = .forgotten
            } else if privateIDs.contains(id) {
                live[id] = true
            } else if !head.holds(m) {
                status[id] = .elsewhere
            } else {
                live[id] = true
            }
        }
        for (id, m) in all where live[id] == true {
            for target in m.supersedes { supersededBy[target, default: []].append(id) }
        }
        for key in supersededBy.keys { supersededBy[key]?.sort() }
        for id in live.keys { status[id] = supersededBy[id] != nil ? .superseded : .current }
    }

    public func isCurrent(_ id: String) -> Bool { status[id] == .current }

    /// Current memories, oldest first (then by id).
    public var current: [Memory] {
        memories.values.filter { status[$0.id] == .current }.sorted {
            ($0.created.at, $0.id) < ($1.created.at, $1.id)
        }
    }
}

/// Which memories the preamble shows: every current constraint, and the current decisions most
/// relevant to the work in progress.
public enum MemoryRelevance {
    /// The work the preamble is about: tasks in progress and the paths they touched.
    public struct Work: Sendable {
        public var taskIDs: [String]
        public var titles: [String]
        public var paths: [String]
        public init(taskIDs: [String], titles: [String], paths: [String]) {
            self.taskIDs = taskIDs
            self.titles = titles
            self.paths = paths
        }
    }

    /// Decisions best first: linked to a task in progress (8), about a path it touched (4), one
    /// point per topic word shared with its titles; then the newest.
    public static func decisions(_ current: [Memory], for work: Work) -> [Memory] {
        let words = Set(work.titles.flatMap(topicWords))
        func score(_ m: Memory) -> Int {
            var s = 0
            if m.tasks.contains(where: work.taskIDs.contains) { s += 8 }
            if m.paths.contains(where: { p in work.paths.contains { pathsOverlap(p, $0) } }) { s += 4 }
            s += Set(topicWords(m.text + " " + (m.why ?? ""))).intersection(words).count
            return s
        }
        let scored = current.filter { $0.kind == .decision && !$0.isForgotten }.map { ($0, score($0)) }
        return scored.sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            if a.0.created.at != b.0.created.at { return a.0.created.at > b.0.created.at }
            return a.0.id < b.0.id
        }.map(\.0)
    }

    static func topicWords(_ text: String) -> [String] {
        MemoryText.terms(text).map(\.whole).filter { !MemoryText.stopwords.contains($0) }.map(MemoryText.stem)
    }

    /// `src/auth` covers `src/auth/jwt.ts` and the other way round.
    public static func pathsOverlap(_ a: String, _ b: String) -> Bool {
        a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/")
    }
}
