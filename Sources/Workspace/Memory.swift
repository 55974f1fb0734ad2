import Foundation
import GitKit
import Reports
import StateModel
import StateStore

/// Only the memory ids of a committed state file.
private struct MemoryKeys: Decodable {
    struct Ignored: Decodable {}
    var memories: [String: Ignored]?
}

/// One memory as the commands show it: the record, where it stands at HEAD, and whether it is
/// private to this clone.
public struct MemoryItem: Sendable {
    public var memory: Memory
    public var status: MemoryStatus
    public var isPrivate: Bool
    /// Live memories that supersede this one.
    public var supersededBy: [String]
}

/// One recall result: the memory, its score and why it matched.
public struct RecallHit: Sendable {
    public var item: MemoryItem
    public var score: Double
    /// The query's terms found in the memory (text, rationale or scope).
    public var matched: [String]
    /// `strict` when every query term matched, `relaxed` when some did, `semantic` when only
    /// the model found it.
    public var pass: String
    /// The cosine similarity with the query (nil without a model).
    public var similarity: Double?
    /// The identifier-like query terms the memory holds whole (the exact path).
    public var exact: [String] = []
    /// The lexical score before fusion (bm25 × coverage × strictness; 0 when only the model
    /// found it).
    public var lexical: Double = 0
    /// The share of the query's topic terms it holds (parts and related words count half).
    public var coverage: Double = 0
    /// The model that ranked it (nil: lexical search only).
    public var model: String?
}

/// Filters for `memories`.
public struct MemoryFilter: Sendable {
    public var kind: MemoryKind?
    public var task: String?
    public var path: String?
    public var branch: String?
    /// Include superseded, elsewhere and forgotten memories.
    public var history = false

    public init(kind: MemoryKind? = nil, task: String? = nil, path: String? = nil, branch: String? = nil) {
        self.kind = kind
        self.task = task
        self.path = path
        self.branch = branch
    }
}

public enum MemoryQueryError: Error, Sendable, CustomStringConvertible {
    case noWords(String)

    public var description: String {
        switch self {
        case .noWords(let q):
            return "recall: the query '\(q.prefix(60))' has no words to search for (only punctuation or operators)"
        }
    }
}

/// What a private memory is checked against: the committed memories (duplicates) and the tasks
/// it may name.
struct CommittedMemories {
    var memories: [String: Memory]
    var resolveTask: (String) throws -> String
}

/// The memories of this worktree (committed) and clone (private), evaluated at HEAD.
public struct MemoryView {
    public let head: HeadInfo
    public let evaluation: MemoryEvaluation
    let index: MemoryIndex?
    /// The keys private memories are searched and sealed with (nil: none yet, or no private
    /// memory).
    let keys: PrivateKeyring?
    /// Why the private memories are left out (no key, a wrong one, a damaged file).
    public let privateUnreadable: String?

    public func item(_ id: String) -> MemoryItem? {
        guard let m = evaluation.memories[id] else { return nil }
        return MemoryItem(
            memory: m, status: evaluation.status[id] ?? .current, isPrivate: evaluation.privateIDs.contains(id),
            supersededBy: evaluation.supersededBy[id] ?? [])
    }
}

extension Workspace {
    var privateMemoryFile: PrivateMemoryFile { PrivateMemoryFile(paths: paths, environment: environment) }

    // MARK: - Writes

    /// Records a memory: redacted, checked for duplicates against both stores, then written
    /// through the one transaction path (committed) or the private file (under the same lock).
    public func remember(_ new: NewMemory, isPrivate: Bool, command: String) throws -> (MemoryItem, [Redaction.RuleHit])
    {
        var new = new
        // Revisions (`HEAD~2`, a short id) become full commit ids before anything is locked.
        new.commits = try new.commits.map { rev in
            do {
                return try repository.resolveCommit(rev).hex
            } catch let e as GitError {
                throw ModelError.invalidValue(field: "--commit", value: rev, reason: e.message)
            }
        }
        if isPrivate {
            var result: RememberResult?
            let memory = try privateTransaction(command: command) { priv, committed, ctx, redactions in
                let r = try priv.remember(
                    new, committed: committed.memories, resolveTask: committed.resolveTask, ctx)
                result = r
                redactions = r.redactions
                return priv.memories[r.id]
            }
            guard let memory, let result else { throw ModelError.invalidState("memory was not recorded") }
            embedRemembered()
            return (MemoryItem(memory: memory, status: .current, isPrivate: true, supersededBy: []), result.redactions)
        }
        let footprint = Footprint(tasks: new.tasks, memories: true)
        let (result, memory) = try transaction(command: command, footprint: footprint) {
            state, ctx -> (RememberResult, Memory?) in
            let priv = try privateMemoryFile.read().memories
            let r = try state.remember(new, privateMemories: priv.memories, ctx)
            state.redactions = r.redactions
            return (r, try state.committedMemories()[r.id])
        }
        guard let memory else { throw ModelError.invalidState("memory was not recorded") }
        embedRemembered()
        return (MemoryItem(memory: memory, status: .current, isPrivate: false, supersededBy: []), result.redactions)
    }

    /// After a memory is recorded, its vector is made and cached while the model is at hand, so
    /// the next `recall` embeds only its query. Best effort: the memory is saved either way.
    func embedRemembered() {
        guard let ranker = semanticRanker(), let view = try? memoryView() else { return }
        _ = memoryVectors(view, ranker: ranker)
    }

    /// Tombstones a memory (committed or private).
    public func forget(_ idOrPrefix: String, command: String) throws -> MemoryItem {
        let view = try memoryView()
        let id = try Identifiers.resolve(idOrPrefix, kind: .memory, among: view.evaluation.memories.keys)
        if view.evaluation.privateIDs.contains(id) {
            let m = try privateTransaction(command: command) { priv, _, ctx, _ in
                try priv.forget(id, ctx)
                return priv.memories[id]
            }
            guard let m else { throw ModelError.unknownID(kind: .memory, id: id) }
            return MemoryItem(memory: m, status: .forgotten, isPrivate: true, supersededBy: [])
        }
        let m = try transaction(command: command, footprint: Footprint(memories: true)) { state, ctx -> Memory? in
            try state.forgetMemory(id, ctx)
            return try state.committedMemories()[id]
        }
        guard let m else { throw ModelError.unknownID(kind: .memory, id: id) }
        return MemoryItem(memory: m, status: .forgotten, isPrivate: false, supersededBy: [])
    }

    /// Undoes one journaled operation (`op`, or a unique prefix of it; default: this worktree's
    /// latest) through the same transaction paths, as a new operation. Refuses when a later
    /// change touched the same fields (``Undo``).
    public func undo(_ op: String?, command: String) throws -> JournalRecord {
        let records = try journal()
        let target: JournalRecord
        if let op {
            let wanted = op.hasPrefix("op-") ? op : "op-" + op
            let found = records.filter { $0.op.hasPrefix(wanted.lowercased()) }
            guard let first = found.last else {
                throw ModelError.invalidValue(field: "operation", value: op, reason: "not in this clone's journal")
            }
            guard Set(found.map(\.op)).count == 1 else {
                throw ModelError.invalidValue(field: "operation", value: op, reason: "ambiguous; give more of the id")
            }
            target = first
        } else {
            guard let last = records.last(where: { $0.worktree == paths.workdir }) else {
                throw ModelError.invalidState("nothing to undo: no operation in this worktree's journal")
            }
            target = last
        }
        if target.privateStore == true {
            try privateTransaction(command: command) { priv, _, ctx, _ in
                var unused = ProjectState(projectName: "")
                let before = priv
                try Undo.apply(target.changes, to: &unused, privateMemories: &priv.memories, isPrivate: true, ctx)
                if priv == before { throw Self.alreadyUndone(target) }
            }
        } else {
            // The footprint is what the operation changed.
            let footprint = Footprint(
                tasks: target.changes.filter { $0.kind == "task" }.map(\.id),
                memories: target.changes.contains { $0.kind == "memory" })
            try transaction(command: command, footprint: footprint) { state, ctx in
                var unused: [String: Memory] = [:]
                let before = state
                try Undo.apply(target.changes, to: &state, privateMemories: &unused, isPrivate: false, ctx)
                if state.changes(since: before).isEmpty { throw Self.alreadyUndone(target) }
            }
        }
        return target
    }

    static func alreadyUndone(_ r: JournalRecord) -> ModelError {
        ModelError.invalidState("nothing to undo: the changes of \(r.op) (\(r.command)) are not in the state any more")
    }

    /// The private store's transaction: the worktree lock, the state read for duplicate and
    /// task checks, the private file replaced atomically, one journal record.
    private func privateTransaction<T>(
        command: String,
        _ body: (inout PrivateMemories, CommittedMemories, MutationContext, inout [Redaction.RuleHit]) throws -> T
    ) throws -> T {
        let head = try headRef()
        let ctx = try mutationContext()
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        // The committed memories (from their own lines) and the tasks a memory may name (through
        // the index), without decoding the rest of the state.
        let canonical = try canonicalFile(command: command)
        let state = CommittedMemories(
            memories: try StateCodec.memories(in: canonical.content.bytes),
            resolveTask: { try self.resolveForWrite($0, index: canonical.index) })
        let file = privateMemoryFile
        let contents = try file.read()
        if let why = contents.unreadable {
            throw ModelError.invalidState("private memories are unreadable, nothing was written: \(why)")
        }
        let (before, beforeHash) = (contents.memories, contents.hash)
        var priv = before
        var redactions: [Redaction.RuleHit] = []
        let result = try body(&priv, state, ctx, &redactions)
        guard priv != before else { return result }
        let afterHash = try file.write(priv)
        var changes: [EntityChange] = []
        for id in Set(before.memories.keys).union(priv.memories.keys).sorted()
        where before.memories[id] != priv.memories[id] {
            changes.append(
                EntityChange(
                    kind: "memory", id: id, before: before.memories[id].map(EntityValue.memory),
                    after: priv.memories[id].map(EntityValue.memory)))
        }
        // The record names the memories; their text and the command line (which holds it) are
        // sealed with the same key as the file.
        var rec = JournalRecord(
            at: ctx.now, actor: actor, command: Self.sealedCommand, worktree: paths.workdir, branch: head.branch,
            head: head.commit, stateBefore: beforeHash.isEmpty ? nil : beforeHash, stateAfter: afterHash,
            changes: changes.map { EntityChange(kind: $0.kind, id: $0.id, before: nil, after: nil) })
        rec.sealed = try PrivateJournal.seal(
            command: Redaction.redact(command).text, changes: changes,
            keys: try PrivateKeyring.loadOrCreate(environment: environment))
        rec.redactions = redactions.isEmpty ? nil : redactions
        rec.client = client
        rec.privateStore = true
        do {
            try store.appendJournal(rec)
        } catch {
            warnings.append("warning: operation saved, but not journaled: \(error)")
        }
        return result
    }

    // MARK: - Reads

    /// Every memory evaluated at HEAD: the committed ones from the memory index (rebuilt when
    /// the state file or the private file changed), the private ones opened from their file.
    public func memoryView() throws -> MemoryView {
        let head = try headRef()
        // What the state's memories are keyed by: from the index made current (no task read),
        // the state at which they last changed, so a task edit keeps the memory index; else the
        // file's content hash.
        let memoriesKey =
            try store.currentIndex(openIndex()).flatMap { try? $0.memoriesSource() } ?? store.readState().hash
        let priv = try privateMemoryFile.read()
        var privateMap = priv.memories.memories
        if let why = priv.unreadable {
            privateMap = [:]
            warnOnce("private memories are unreadable and left out: \(why)")
        }
        // Private memories are searched under keyed tokens (MemoryIndex.rebuild): the key is
        // made on first use, as for the first sealed write.
        var keys: PrivateKeyring?
        if !privateMap.isEmpty {
            do {
                keys = try PrivateKeyring.loadOrCreate(environment: environment)
            } catch {
                warnOnce("private memories cannot be searched: \(error)")
            }
        }
        // An index another process holds (past a short wait) is not waited for: the memories
        // come from the files, searched in an index built in memory for this command.
        var index: MemoryIndex? = (try? store.openMemoryIndex()) ?? (try? MemoryIndex())
        var committed: [String: Memory]
        let source = memoriesKey + ":" + priv.hash + ":" + (keys?.newest?.id ?? "-")
        if let current = index, (try? current.builtFrom()) == source, let loaded = try? current.load() {
            committed = loaded
        } else {
            if let bytes = try? Files.read(paths.stateFile), !Self.mentionsMemories(bytes) {
                // A state without memories (most, and the largest) is not parsed again for them.
                committed = [:]
            } else {
                committed = try store.readState().state.memoryMap
            }
            func rebuild(_ index: MemoryIndex?) throws {
                try index?.rebuild(
                    committed: committed, private: privateMap, source: source, privateKey: keys?.indexKey)
            }
            if (try? rebuild(index)) == nil {
                index = try? MemoryIndex()
                try? rebuild(index)
            }
        }
        let memoryHead = MemoryHead(
            branch: head.branch, commit: head.commit,
            committedIDs: committed.isEmpty ? [] : try committedMemoryIDs(head: head, index: index))
        return MemoryView(
            head: head,
            evaluation: MemoryEvaluation(committed: committed, private: privateMap, head: memoryHead),
            index: index, keys: keys, privateUnreadable: priv.unreadable)
    }

    /// A warning said once per command.
    func warnOnce(_ text: String) {
        if !warnings.contains(text) { warnings.append(text) }
    }

    /// The command line a private operation's journal record shows (the real one is sealed).
    static let sealedCommand = "(private memory operation: its command line is sealed)"

    /// The journal's records with the changes of private operations opened where the key is at
    /// hand (``journal()``): `log` and `undo` see them as before sealing.
    func openPrivateRecords(_ records: [JournalRecord]) -> [JournalRecord] {
        guard records.contains(where: { $0.sealed != nil }) else { return records }
        let keys = try? PrivateKeyring.load(environment: environment)
        return records.map { r in
            guard let sealed = r.sealed, let keys, let opened = PrivateJournal.open(sealed, keys: keys) else {
                return r
            }
            var out = r
            out.changes = opened.changes
            return out
        }
    }

    /// Whether the bytes contain `"memories"` anywhere: when not, the file has no memories.
    static func mentionsMemories(_ bytes: [UInt8]) -> Bool {
        Data(bytes).range(of: Data("\"memories\"".utf8)) != nil
    }

    /// The ids of the memories in the state file committed at HEAD, cached per HEAD commit (a
    /// commit's tree never changes).
    func committedMemoryIDs(head: HeadInfo, index: MemoryIndex?) throws -> Set<String> {
        guard let hex = head.commit, let commit = ObjectID(hex: hex) else { return [] }
        if let cached = try? index?.committedIDs(head: hex) { return cached }
        var ids: Set<String> = []
        if let bytes = try repository.fileContents(StateFileName.relative, at: commit),
            let keys = try? JSONDecoder().decode(MemoryKeys.self, from: Data(bytes)).memories?.keys
        {
            ids = Set(keys)
        }
        try? index?.storeCommittedIDs(head: hex, ids)
        return ids
    }

    /// Memories matching `filter`, oldest first: current ones, or all with `history`.
    public func memories(_ filter: MemoryFilter) throws -> [MemoryItem] {
        let view = try memoryView()
        let eval = view.evaluation
        let taskID = try filter.task.map { raw -> String in
            let known = Set(eval.memories.values.flatMap(\.tasks))
            return (try? Identifiers.resolve(raw, kind: .task, among: known)) ?? raw
        }
        let path = filter.path.map(MemoryRules.normalizedPath)
        // Oldest first; times are to the second, so memories of the same second go by kind
        // (constraints, decisions, notes), then id.
        func kindRank(_ k: MemoryKind) -> Int { k == .constraint ? 0 : k == .decision ? 1 : 2 }
        return eval.memories.values.sorted {
            ($0.created.at, kindRank($0.kind), $0.id) < ($1.created.at, kindRank($1.kind), $1.id)
        }.compactMap { m in
            guard let item = view.item(m.id) else { return nil }
            if !filter.history, item.status != .current { return nil }
            if let k = filter.kind, m.kind != k { return nil }
            if let t = taskID, !m.tasks.contains(t) { return nil }
            if let p = path, !m.paths.contains(where: { Self.pathsOverlap($0, p) }) { return nil }
            if let b = filter.branch, m.created.branch != b { return nil }
            return item
        }
    }

    static func pathsOverlap(_ a: String, _ b: String) -> Bool {
        a.isEmpty || b.isEmpty || MemoryRelevance.pathsOverlap(a, b)
    }

    /// The work a preamble's decisions are chosen for: the tasks in progress it lists, and the
    /// paths changed since the first of them was started.
    func preambleWork(_ input: PreambleInput, record: (String) -> TaskRecord?, head: HeadInfo) -> MemoryRelevance.Work {
        var paths: [String] = []
        if let top = input.inProgress.first, let start = record(top.id)?.started?.commit,
            let base = ObjectID(hex: start), let tip = head.commit.flatMap(ObjectID.init(hex:))
        {
            paths = (try? repository.changedPaths(from: base, to: tip, limit: 200).paths) ?? []
        }
        return MemoryRelevance.Work(
            taskIDs: input.inProgress.map(\.id), titles: input.inProgress.map(\.title), paths: paths)
    }

    /// Memories ranked for `query` (``MemoryRanking``): FTS5 bm25 over every quoted term (the
    /// strict pass, all terms; the relaxed pass, any term or part), weighted by how much of the
    /// query matched; with a semantic model, fused with the cosine similarity of the query and
    /// each memory over the lexical candidates and the nearest memories, identifiers kept exact;
    /// then by status (superseded and other-branch memories only with `history`, and lower) and
    /// a little by recency.
    public func recall(_ query: String, limit: Int = 10, history: Bool = false) throws -> [RecallHit] {
        guard let q = MemoryText.query(query) else { throw MemoryQueryError.noWords(query) }
        let view = try memoryView()
        guard let index = view.index else { return [] }
        // Private memories are indexed under keyed tokens: each term looks for its token too.
        let tokens =
            view.keys?.indexKey.flatMap { try? index.privateTokens(q.relaxedTerms, key: $0) } ?? [:]
        let expressions = q.expressions(privateTokens: tokens)
        let strict = try index.search(expressions.strict, limit: 200)
        let relaxed = try index.search(expressions.relaxed, limit: 200)
        let strictIDs = Set(strict.map(\.id))
        var raw: [String: Double] = [:]
        for (id, s) in relaxed { raw[id] = s }
        for (id, s) in strict { raw[id] = max(raw[id] ?? 0, s) }
        // Cosine similarities, when a model is installed (loaded here, on first use).
        var similarity: [String: Double] = [:]
        var modelID: String?
        if let ranker = semanticRanker(), let vectors = memoryVectors(view, ranker: ranker) {
            do {
                if let qv = try ranker.embed([query]).first {
                    modelID = ranker.modelID
                    for (id, v) in vectors { similarity[id] = MemoryRanking.cosine(qv, v) }
                }
            } catch {
                semanticFailed("embedding the query failed: \(error)")
            }
        }
        var ids = Set(raw.keys)
        if modelID != nil {
            let eligible = similarity.filter { id, _ in
                view.item(id).map { MemoryRanking.statusWeight($0.status, history: history) > 0 } ?? false
            }
            let nearest = eligible.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            ids.formUnion(nearest.prefix(MemoryRanking.Weights().neighbours).map(\.key))
        }
        // What each memory matched, as FTS5 found it (with its stemming).
        let containing = try index.memoriesContaining(q.terms + q.parts + q.optional, privateTokens: tokens)
        let order = view.evaluation.memories.values.sorted { ($0.created.at, $0.id) < ($1.created.at, $1.id) }
        var recency: [String: Double] = [:]
        for (i, m) in order.enumerated() { recency[m.id] = order.count > 1 ? Double(i) / Double(order.count - 1) : 1 }
        var candidates: [MemoryRanking.Candidate] = []
        for id in ids {
            guard let item = view.item(id) else { continue }
            var matched: [String] = []
            var credit = 0.0
            for (term, alts) in zip(q.terms, q.alternatives) {
                if containing[term]?.contains(id) == true {
                    matched.append(term)
                    credit += 1
                } else if let alt = alts.first(where: { containing[$0]?.contains(id) == true }) {
                    matched.append(alt)
                    credit += 0.5
                }
            }
            for word in q.optional where containing[word]?.contains(id) == true { matched.append(word) }
            candidates.append(
                MemoryRanking.Candidate(
                    id: id, bm25: raw[id] ?? 0, strict: strictIDs.contains(id), matched: matched, credit: credit,
                    exact: q.identifiers.filter { containing[$0]?.contains(id) == true }, similarity: similarity[id],
                    status: item.status, recency: recency[id] ?? 0, hasRationale: !(item.memory.why ?? "").isEmpty))
        }
        let ranked = MemoryRanking.rank(
            candidates,
            MemoryRanking.Query(
                termCount: q.terms.count, asksWhy: q.asksWhy, history: history, semantic: modelID != nil))
        return ranked.prefix(max(limit, 0)).compactMap { r in
            guard let item = view.item(r.candidate.id) else { return nil }
            return RecallHit(
                item: item, score: r.score, matched: r.candidate.matched,
                pass: r.candidate.bm25 == 0 ? "semantic" : r.candidate.strict ? "strict" : "relaxed",
                similarity: r.candidate.similarity, exact: r.candidate.exact, lexical: r.lexical,
                coverage: r.coverage, model: modelID)
        }
    }
}

extension Workspace {
    /// The Markdown journal page of `day` (`YYYY-MM-DD`; default: today, UTC) from this clone's
    /// sessions and operation journal. Private memories are left out.
    public func dailyJournal(day: String?) throws -> (day: String, markdown: String) {
        let today = String(try now().iso8601.prefix(10))
        let day = day ?? today
        guard day.count == 10, Timestamp(iso8601: day + "T00:00:00Z") != nil else {
            throw ModelError.invalidValue(field: "--date", value: day, reason: "expected a date like 2026-01-31")
        }
        let sessions = try self.sessions(.all).entries.map(\.record)
        let operations = try journal().filter { $0.privateStore != true }.map {
            DailyJournal.Operation(at: $0.at, actor: $0.actor, branch: $0.branch, changes: $0.changes)
        }
        let memories = try store.readState().state.memoryMap
        return (day, DailyJournal.render(day: day, sessions: sessions, operations: operations, memories: memories))
    }
}

extension Workspace {
    /// Writes a journal page atomically, making its directory.
    public func writeJournalPage(_ markdown: String, to path: String) throws {
        try ProjectFiles.writeDocument(Array(markdown.utf8), to: path)
    }
}
