import Foundation
import GRDB
import StateModel

/// A task's record row in the index (`tasks`): this worktree's file as it is, its summary
/// columns and the full record.
struct TaskRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "tasks"
    /// Every column but the full record.
    static let summaryColumns = """
        id, title, status, priority, parent, deps, labels, milestone, created_at, started_actor, started_branch,
        started_at, completion_commit, completion_branch, claim_actor, claim_expires, conflicts, updated_at
        """
    var summary: TaskSummary
    /// The commit its start recorded (what a rewrite re-points, with the completion's).
    var startedCommit: String?
    /// The task's canonical compact JSON (written, never read into a summary).
    var record: Data = Data()

    init(_ t: TaskRecord, record: Data) {
        summary = TaskSummary(t)
        startedCommit = t.started?.commit
        self.record = record
    }

    init(row: Row) throws { summary = Self.summary(row, prefix: "") }

    /// The summary in `row`'s columns, named `prefix` + column.
    static func summary(_ row: Row, prefix p: String) -> TaskSummary {
        func time(_ column: String) -> Timestamp? { (row[p + column] as Int64?).map(Timestamp.init(seconds:)) }
        return TaskSummary(
            id: row["id"], title: row[p + "title"], status: TaskStatus(rawValue: row[p + "status"]) ?? .open,
            priority: row[p + "priority"], parent: row[p + "parent"], deps: split(row[p + "deps"]),
            labels: split(row[p + "labels"]), milestone: row[p + "milestone"],
            createdAt: Timestamp(seconds: row[p + "created_at"]), startedActor: row[p + "started_actor"],
            startedBranch: row[p + "started_branch"], startedAt: time("started_at"),
            completionCommit: row[p + "completion_commit"], completionBranch: row[p + "completion_branch"],
            claimActor: row[p + "claim_actor"], claimExpires: time("claim_expires"),
            conflictCount: row[p + "conflicts"],
            updatedAt: time("updated_at"))
    }

    /// The summary's columns, in the order of ``values(_:)``.
    static let summaryColumnList = [
        "id", "title", "status", "priority", "parent", "deps", "labels", "milestone", "created_at", "started_actor",
        "started_branch", "started_at", "completion_commit", "completion_branch", "claim_actor", "claim_expires",
        "conflicts", "updated_at",
    ]

    /// Every column, in the order of ``values``.
    static let columns = summaryColumnList + ["started_commit", "record"]

    var values: [(any DatabaseValueConvertible)?] { Self.values(summary) + [startedCommit, record] }

    /// The summary columns' values, in the order of ``columns``.
    static func values(_ t: TaskSummary) -> [(any DatabaseValueConvertible)?] {
        [
            t.id, t.title, t.status.rawValue, t.priority, t.parent, join(t.deps), join(t.labels), t.milestone,
            t.createdAt.seconds, t.startedActor, t.startedBranch, t.startedAt?.seconds, t.completionCommit,
            t.completionBranch, t.claimActor, t.claimExpires?.seconds, t.conflictCount, t.updatedAt?.seconds,
        ]
    }

    func encode(to container: inout PersistenceContainer) throws {
        for (c, v) in zip(Self.columns, values) { container[c] = v }
    }

    /// Lists of ids and labels as one text column (U+001F never occurs in either).
    static func join(_ list: [String]) -> String { list.joined(separator: "\u{1F}") }

    static func split(_ s: String) -> [String] {
        s.isEmpty ? [] : s.split(separator: "\u{1F}", omittingEmptySubsequences: true).map(String.init)
    }
}

/// A row of the read model (`evaluated`): the task as it is at HEAD over every copy
/// (``EvaluatedTask``), self-contained (a task only other copies have has no `tasks` row), with
/// the ranking key `next` orders by and the other copies' facts about it (to re-decide it after
/// an edit).
struct EvaluatedRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "evaluated"
    var task: EvaluatedTask
    /// ``CopyFact/encode(_:copies:)`` of this task's facts in the other copies, against the
    /// listing stored with the evaluation; nil when no other copy records it.
    var facts: Data?

    init(task: EvaluatedTask, facts: Data?) {
        self.task = task
        self.facts = facts
    }

    init(row: Row) throws {
        func time(_ column: String) -> Timestamp? { (row[column] as Int64?).map(Timestamp.init(seconds:)) }
        var elsewhere: Elsewhere?
        if let kind = (row["elsewhere_kind"] as String?).flatMap(Elsewhere.Kind.init(rawValue:)) {
            elsewhere = Elsewhere(
                kind: kind, branch: row["elsewhere_branch"], worktree: row["elsewhere_worktree"],
                copy: row["elsewhere_copy"] ?? "", actor: row["elsewhere_actor"], commit: row["elsewhere_commit"])
        }
        var recovered: RecoveredAnchor?
        if let method = (row["recovered_method"] as String?).flatMap(RecoveredAnchor.Method.init(rawValue:)),
            let commit = row["recovered_commit"] as String?
        {
            recovered = RecoveredAnchor(method: method, commit: commit)
        }
        task = EvaluatedTask(
            task: TaskRow.summary(row, prefix: "t_"), onlyIn: row["only_in"],
            status: EffectiveStatus(rawValue: row["status"]) ?? .open, ready: row["ready"],
            offerableStale: row["offerable_stale"], waitsOnDeps: TaskRow.split(row["waits_on_deps"]),
            waitsOnChildren: TaskRow.split(row["waits_on_children"]), unblocks: row["unblocks"],
            milestoneRank: row["milestone_rank"], elsewhere: elsewhere, disagreement: row["disagreement"],
            recovered: recovered, deadline: time("deadline"))
        facts = row.hasColumn("facts") ? row["facts"] : nil
    }

    /// The columns a read decodes (every one but the copies' facts).
    static let readColumns = """
        id, only_in, t_title, t_status, t_priority, t_parent, t_deps, t_labels, t_milestone, t_created_at,
        t_started_actor, t_started_branch, t_started_at, t_completion_commit, t_completion_branch, t_claim_actor,
        t_claim_expires, t_conflicts, t_updated_at, status, ready, offerable_stale, waits_on_deps, waits_on_children,
        unblocks, milestone_rank, elsewhere_kind, elsewhere_branch, elsewhere_worktree, elsewhere_copy,
        elsewhere_actor, elsewhere_commit, disagreement, recovered_method, recovered_commit, deadline
        """

    /// Every column, in the order of ``values()``.
    static let columns =
        ["id", "only_in"] + TaskRow.summaryColumnList.dropFirst().map { "t_" + $0 } + [
            "status", "ready", "offerable_stale", "candidate", "waits_on_deps", "waits_on_children", "unblocks",
            "milestone_rank", "rank_key", "elsewhere_kind", "elsewhere_branch", "elsewhere_worktree", "elsewhere_copy",
            "elsewhere_actor", "elsewhere_commit", "disagreement", "recovered_method", "recovered_commit", "deadline",
            "facts",
        ]

    func values() -> [(any DatabaseValueConvertible)?] {
        let t = task
        let e = t.elsewhere
        return [t.id, t.onlyIn] + TaskRow.values(t.task).dropFirst() + [
            t.status.rawValue, t.ready, t.offerableStale, t.candidate, TaskRow.join(t.waitsOnDeps),
            TaskRow.join(t.waitsOnChildren), t.unblocks, t.milestoneRank, t.rankKey, e?.kind.rawValue, e?.branch,
            e?.worktree, e?.copy, e?.actor, e?.commit, t.disagreement, t.recovered?.method.rawValue,
            t.recovered?.commit, t.deadline?.seconds, facts,
        ]
    }

    func encode(to container: inout PersistenceContainer) throws {
        for (c, v) in zip(Self.columns, values()) { container[c] = v }
    }

    /// Writes the row through one cached statement with positional arguments (a record's
    /// `insert` builds them through a dictionary, which costs a tenth of a full evaluation's time
    /// at 10,000 rows).
    func save(_ db: Database) throws {
        try db.cachedStatement(sql: StateIndex.insertSQL("evaluated", Self.columns)).execute(
            arguments: StatementArguments(values()))
    }

    /// The keys of `eval_totals` this row counts under: its status and readiness, and its
    /// milestone (all tasks, and those finished: done here or cancelled). Only this worktree's
    /// tasks are counted.
    var totalKeys: [String] {
        guard task.isHere else { return [] }
        var keys = ["s:\(task.status.rawValue):\(task.ready ? 1 : 0)"]
        if let m = task.task.milestone {
            keys.append("m:" + m)
            if task.isFinished { keys.append("f:" + m) }
        }
        return keys
    }
}

/// What the index knows about its stored evaluation.
public struct StoredEvaluation: Sendable {
    /// What the evaluation was made for (``Workspace``'s read fingerprint).
    public var context: String
    /// Until when it holds (a claim expiring or a start going stale changes it); nil: for good.
    public var validUntil: Timestamp?
    /// The other copies the stored facts are encoded against (``CopyFact/encode(_:copies:)``).
    public var copies: String?
    /// Tasks changed since (their rows and their neighbours' are out of date).
    public var dirty: [String]

    public func holds(context: String, at now: Timestamp) -> Bool {
        self.context == context && (validUntil.map { now < $0 } ?? true)
    }
}

/// Counts over this worktree's evaluated tasks (``StateIndex/totals(conflictIDs:)``), kept by the
/// index with the rows (each stored or updated row moves the counts it falls under), so reading
/// them costs the number of statuses and milestones, not of tasks.
public struct GraphTotals: Sendable, Equatable {
    public var ready = 0
    public var waiting = 0
    public var blocked = 0
    /// Tasks by effective status.
    public var statuses: [EffectiveStatus: Int] = [:]
    /// Per milestone: tasks done here or cancelled, and all its tasks.
    public var milestones: [String: (done: Int, total: Int)] = [:]
    /// Tasks with unresolved conflict records, how many records they hold, and the first ids.
    public var conflictTasks = 0
    public var conflictRecords = 0
    public var conflictTaskIDs: [String] = []
    public init() {}

    /// Every task evaluated.
    public var tasks: Int { statuses.values.reduce(0, +) }

    public static func == (a: GraphTotals, b: GraphTotals) -> Bool {
        a.ready == b.ready && a.waiting == b.waiting && a.blocked == b.blocked && a.statuses == b.statuses
            && a.milestones.mapValues { [$0.done, $0.total] } == b.milestones.mapValues { [$0.done, $0.total] }
            && a.conflictTasks == b.conflictTasks && a.conflictRecords == b.conflictRecords
            && a.conflictTaskIDs == b.conflictTaskIDs
    }
}

/// The work started on one branch, as the preamble shows it
/// (``StateIndex/startedHere(branch:actor:limit:)``).
public struct WorkHere: Sendable {
    public var active: [EvaluatedTask] = []
    public var waiting: [EvaluatedTask] = []
    public var blocked: [EvaluatedTask] = []
    public var activeTotal = 0
    public var waitingTotal = 0
    public var blockedTotal = 0
    public init() {}
}

/// Which rows `tasks` reads: a superset of what it lists, narrowed by status.
public struct RowQuery: Sendable {
    /// Effective statuses, or `ready` / `waiting` (any of them); empty: any.
    public var statuses: [String]
    /// Leave out tasks done here and cancelled ones.
    public var hideFinished: Bool
    /// Also the tasks only other copies have.
    public var everywhere: Bool
    public init(statuses: [String] = [], hideFinished: Bool = false, everywhere: Bool = false) {
        self.statuses = statuses
        self.hideFinished = hideFinished
        self.everywhere = everywhere
    }
}

extension StateIndex {
    static func insertSQL(_ table: String, _ columns: [String]) -> String {
        "INSERT OR REPLACE INTO \(table)(\(columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    }

    /// The stored evaluation, if there is one.
    public func storedEvaluation() throws -> StoredEvaluation? {
        try wrap {
            try queue.read { db in
                var meta: [String: String] = [:]
                for r in try Row.fetchAll(
                    db, sql: "SELECT key, value FROM meta WHERE key IN ('eval_context', 'eval_until', 'eval_copies')")
                {
                    meta[r[0]] = r[1]
                }
                guard let context = meta["eval_context"] else { return nil }
                return StoredEvaluation(
                    context: context, validUntil: meta["eval_until"].flatMap(Int64.init).map(Timestamp.init(seconds:)),
                    copies: meta["eval_copies"], dirty: try String.fetchAll(db, sql: "SELECT id FROM eval_dirty"))
            }
        }
    }

    static func dropEvaluation(_ db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM meta WHERE key IN ('eval_context', 'eval_until', 'eval_copies');
                DELETE FROM evaluated; DELETE FROM eval_dirty; DELETE FROM eval_totals
                """)
    }

    /// Moves the stored totals by `delta` per key (rows leaving count -1, rows arriving +1).
    static func addTotals(_ delta: [String: Int], _ db: Database) throws {
        let upsert = try db.cachedStatement(
            sql: "INSERT INTO eval_totals(key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + excluded.n")
        for (key, n) in delta where n != 0 { try upsert.execute(arguments: [key, n]) }
        try db.execute(sql: "DELETE FROM eval_totals WHERE n = 0")
    }

    /// Replaces the read model with `rows` (every task of the state with content `hash`, and
    /// every task only other copies have), made for `context`. Returns false, storing nothing,
    /// when the index no longer holds that state (another process wrote meanwhile).
    @discardableResult
    public func storeEvaluation(
        _ rows: [EvaluatedTask], facts: [String: [UInt8]], hash: String, context: String, copies: String?,
        validUntil: Timestamp?
    ) throws -> Bool {
        try wrap {
            var stored = false
            try queue.inTransaction(.immediate) { db in
                let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'hash'")
                guard current == hash else { return .rollback }
                try Self.dropEvaluation(db)
                var totals: [String: Int] = [:]
                for r in rows {
                    let row = EvaluatedRow(task: r, facts: facts[r.id].map { Data($0) })
                    try row.save(db)
                    for k in row.totalKeys { totals[k, default: 0] += 1 }
                }
                try Self.addTotals(totals, db)
                try Self.setEvaluationMeta(db, context: context, copies: copies, validUntil: validUntil)
                stored = true
                return .commit
            }
            return stored
        }
    }

    private static func setEvaluationMeta(_ db: Database, context: String, copies: String?, validUntil: Timestamp?)
        throws
    {
        try db.execute(
            sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('eval_context', ?)", arguments: [context])
        try db.execute(sql: "DELETE FROM meta WHERE key IN ('eval_until', 'eval_copies')")
        if let v = validUntil {
            try db.execute(
                sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('eval_until', ?)", arguments: ["\(v.seconds)"])
        }
        if let c = copies {
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('eval_copies', ?)", arguments: [c])
        }
    }

    /// The current summaries of these tasks in this worktree's file (absent: removed).
    public func summaries(_ ids: [String]) throws -> [String: TaskSummary] {
        try wrap { try queue.read { db in try Self.summaries(ids, db) } }
    }

    static func summaries(_ ids: [String], _ db: Database) throws -> [String: TaskSummary] {
        var out: [String: TaskSummary] = [:]
        let stmt = try db.cachedStatement(sql: "SELECT \(TaskRow.summaryColumns) FROM tasks WHERE id = ?")
        for id in ids { if let r = try TaskRow.fetchOne(stmt, arguments: [id]) { out[id] = r.summary } }
        return out
    }

    /// The stored copy facts of these tasks.
    public func evaluatedFacts(_ ids: [String]) throws -> [String: [UInt8]] {
        try wrap {
            try queue.read { db in
                var out: [String: [UInt8]] = [:]
                let stmt = try db.cachedStatement(sql: "SELECT facts FROM evaluated WHERE id = ?")
                for id in ids { if let f = try Data.fetchOne(stmt, arguments: [id]) { out[id] = Array(f) } }
                return out
            }
        }
    }

    /// Whether an edit of `ids` reaches a task only other copies have (one of them is such a
    /// task, or such a task names one of them as dependency or parent): the incremental update
    /// keeps to this worktree's graph, so those are evaluated in full.
    public func touchesOtherCopies(_ ids: [String]) throws -> Bool {
        try wrap {
            try queue.read { db in
                let stmt = try db.cachedStatement(
                    sql: """
                        SELECT 1 FROM evaluated INDEXED BY evaluated_elsewhere_only
                        WHERE only_in IS NOT NULL AND (id = ? OR t_parent = ? OR instr(t_deps, ?) > 0) LIMIT 1
                        """)
                for id in ids where try Bool.fetchOne(stmt, arguments: [id, id, id]) == true { return true }
                return false
            }
        }
    }

    /// Brings the read model up to date after the edits of `dirty` (as read from
    /// ``storedEvaluation()``), given each dirty task resolved anew. Returns false, changing
    /// nothing, when the rows cannot be updated in place (another edit came in meanwhile, or the
    /// rows do not match the tasks): the caller evaluates everything.
    public func updateEvaluation(
        dirty: [String], resolved: [String: ResolvedTask], milestoneOrder: [String: Int], context: String
    ) throws -> Bool {
        try wrap {
            var done = false
            try queue.inTransaction(.immediate) { db in
                let ctx = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'eval_context'")
                let now = try String.fetchAll(db, sql: "SELECT id FROM eval_dirty")
                guard ctx == context, Set(now) == Set(dirty) else { return .rollback }
                var summaries: [String: TaskSummary?] = [:]
                var rows: [String: EvaluatedRow?] = [:]
                let summaryStmt = try db.cachedStatement(
                    sql: "SELECT \(TaskRow.summaryColumns) FROM tasks WHERE id = ?")
                let rowStmt = try db.cachedStatement(sql: "SELECT * FROM evaluated WHERE id = ?")
                let dependentsStmt = try db.cachedStatement(sql: "SELECT task_id FROM task_deps WHERE dep_id = ?")
                let childrenStmt = try db.cachedStatement(sql: "SELECT id FROM tasks WHERE parent = ? ORDER BY id")
                var failure: Error?
                func attempt<T>(_ body: () throws -> T?) -> T? {
                    do { return try body() } catch {
                        failure = failure ?? error
                        return nil
                    }
                }
                func summary(_ id: String) -> TaskSummary? {
                    if let s = summaries[id] { return s }
                    let s = attempt { try TaskRow.fetchOne(summaryStmt, arguments: [id])?.summary }
                    summaries[id] = .some(s)
                    return s
                }
                func row(_ id: String) -> EvaluatedRow? {
                    if let r = rows[id] { return r }
                    let r = attempt { try EvaluatedRow.fetchOne(rowStmt, arguments: [id]) }
                    rows[id] = .some(r)
                    return r
                }
                let update = EvaluatedGraph.update(
                    dirty: Set(dirty), resolved: resolved, summary: summary, row: { row($0)?.task },
                    dependents: { id in attempt { try String.fetchAll(dependentsStmt, arguments: [id]) } ?? [] },
                    children: { id in attempt { try String.fetchAll(childrenStmt, arguments: [id]) } ?? [] },
                    milestoneOrder: milestoneOrder)
                if let failure { throw failure }
                guard let update else { return .rollback }
                var totals: [String: Int] = [:]
                for r in update.rows {
                    let old = row(r.id)
                    let new = EvaluatedRow(task: r, facts: old?.facts)
                    try new.save(db)
                    for k in old?.totalKeys ?? [] { totals[k, default: 0] -= 1 }
                    for k in new.totalKeys { totals[k, default: 0] += 1 }
                }
                for id in update.removed {
                    for k in row(id)?.totalKeys ?? [] { totals[k, default: 0] -= 1 }
                    try db.execute(sql: "DELETE FROM evaluated WHERE id = ?", arguments: [id])
                }
                if let failure { throw failure }
                try Self.addTotals(totals, db)
                try db.execute(sql: "DELETE FROM eval_dirty")
                // A new claim or start can go stale earlier than anything evaluated before.
                let deadlines = dirty.compactMap { resolved[$0]?.deadline }
                if let earliest = deadlines.min() {
                    let until = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'eval_until'")
                        .flatMap(Int64.init)
                    if until.map({ earliest.seconds < $0 }) ?? true {
                        try db.execute(
                            sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('eval_until', ?)",
                            arguments: ["\(earliest.seconds)"])
                    }
                }
                done = true
                return .commit
            }
            return done
        }
    }

    /// Every stored row, by id (the tests' view of the whole read model).
    public func evaluatedRows() throws -> [String: EvaluatedTask] {
        try wrap {
            try queue.read { db in
                var out: [String: EvaluatedTask] = [:]
                let cursor = try EvaluatedRow.fetchCursor(db, sql: "SELECT \(EvaluatedRow.readColumns) FROM evaluated")
                while let r = try cursor.next() { out[r.task.id] = r.task }
                return out
            }
        }
    }

    /// The header of the state (hash, project name, milestones, goals), without any task.
    public func header() throws -> IndexedState {
        try wrap {
            try queue.read { db in
                var meta: [String: String] = [:]
                for r in try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key IN ('hash', 'project')") {
                    meta[r[0]] = r[1]
                }
                return IndexedState(
                    hash: meta["hash"] ?? "", projectName: meta["project"] ?? "", goals: try Self.goals(db),
                    milestones: try Self.milestones(db), tasks: [:])
            }
        }
    }

    /// The milestones alone.
    public func milestones() throws -> [Milestone] {
        try wrap { try queue.read { db in try Self.milestones(db) } }
    }

    static func milestones(_ db: Database) throws -> [Milestone] {
        let decoder = JSONDecoder()
        return try Data.fetchAll(db, sql: "SELECT record FROM milestones").map {
            try decoder.decode(Milestone.self, from: $0)
        }
    }

    static func goals(_ db: Database) throws -> [Goal] {
        let decoder = JSONDecoder()
        return try Data.fetchAll(db, sql: "SELECT record FROM goals").map { try decoder.decode(Goal.self, from: $0) }
    }

    /// `next`'s candidates for `actor` on `branch`, best first (``Ranking/precedes(_:_:)``): what
    /// the actor resumes, then the ready tasks, then the stale ones offered again. Reads the
    /// `limit` best of each kind through the ranking key's indexes, never the whole frontier.
    public func nextCandidates(actor: String, branch: String?, limit: Int) throws -> [(EvaluatedTask, RankTerms)] {
        var seen = Set<String>()
        var out: [(EvaluatedTask, RankTerms)] = []
        func add(_ rows: [EvaluatedTask]) {
            for r in rows {
                let terms = r.terms(actor: actor, branch: branch)
                guard terms.resume || r.ready || r.offerableStale, seen.insert(r.id).inserted else { continue }
                out.append((r, terms))
            }
        }
        // Through the index of the work started on a branch: the `limit` best of the actor's.
        add(
            try rows(
                """
                WHERE status IN ('in_progress', 'stale', 'blocked') AND t_started_branch IS ? AND only_in IS NULL
                  AND status != 'blocked' AND elsewhere_kind IS NULL AND t_started_actor = ?
                ORDER BY rank_key LIMIT ?
                """, [branch, actor, limit], indexedBy: "evaluated_here"))
        add(try rows("WHERE ready = 1 AND only_in IS NULL ORDER BY rank_key LIMIT ?", [limit]))
        add(try rows("WHERE offerable_stale = 1 AND only_in IS NULL ORDER BY rank_key LIMIT ?", [limit]))
        out.sort { Ranking.precedes($0.1, $1.1) }
        return Array(out.prefix(limit))
    }

    /// The task `next --claim` takes: the best ready task, else the best stale one offered
    /// again (what an actor resumes is already theirs).
    public func bestClaimable() throws -> EvaluatedTask? {
        if let r = try rows("WHERE ready = 1 AND only_in IS NULL ORDER BY rank_key LIMIT 1", []).first { return r }
        return try rows("WHERE offerable_stale = 1 AND only_in IS NULL ORDER BY rank_key LIMIT 1", []).first
    }

    /// The rows `query` narrows to, in `tasks`' order (in progress first, then priority, age, id).
    public func rows(_ query: RowQuery) throws -> [EvaluatedTask] {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for s in query.statuses {
            switch s {
            case "ready": clauses.append("ready = 1")
            case "waiting": clauses.append("(status = 'open' AND ready = 0)")
            default:
                clauses.append("status = ?")
                arguments.append(s)
            }
        }
        var filters: [String] = []
        if !clauses.isEmpty { filters.append("(" + clauses.joined(separator: " OR ") + ")") }
        if query.statuses.isEmpty && query.hideFinished { filters.append("status NOT IN ('done', 'cancelled')") }
        if !query.everywhere { filters.append("only_in IS NULL") }
        return try rows(
            (filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND "))
                + " ORDER BY t_status = 'in_progress' DESC, t_priority, t_created_at, id",
            StatementArguments(arguments))
    }

    /// `next`'s ready tasks in rank order (what the preamble lists), read through the ranking
    /// key's index: the first `limit`.
    public func readyRanked(limit: Int) throws -> [EvaluatedTask] {
        try rows("WHERE ready = 1 AND only_in IS NULL ORDER BY rank_key LIMIT ?", [limit])
    }

    /// The work started on `branch` (the preamble's): the first `limit` tasks in progress or
    /// stale there and done nowhere else (the actor's first, then by priority, start and id),
    /// the first `limit` of those waiting on something, the first `limit` blocked there (by
    /// priority and id), and how many there are of each. Read through the index of in-progress,
    /// stale and blocked rows by branch.
    public func startedHere(branch: String?, actor: String, limit: Int) throws -> WorkHere {
        let here = """
            WHERE status IN ('in_progress', 'stale', 'blocked') AND t_started_branch IS ?
              AND t_started_at IS NOT NULL AND only_in IS NULL
            """
        let active = here + " AND status != 'blocked' AND elsewhere_kind IS NULL"
        let waiting = active + " AND (waits_on_deps != '' OR waits_on_children != '')"
        let blocked = here + " AND status = 'blocked'"
        let order =
            " ORDER BY t_started_actor IS ? DESC, t_priority, COALESCE(t_started_at, t_created_at), id LIMIT ?"
        var out = WorkHere()
        out.active = try rows(active + order, [branch, actor, limit], indexedBy: "evaluated_here")
        out.waiting = try rows(waiting + order, [branch, actor, limit], indexedBy: "evaluated_here")
        out.blocked = try rows(
            blocked + " ORDER BY t_priority, id LIMIT ?", [branch, limit], indexedBy: "evaluated_here")
        try wrap {
            try queue.read { db in
                func count(_ clause: String) throws -> Int {
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM evaluated INDEXED BY evaluated_here " + clause,
                        arguments: [branch]) ?? 0
                }
                out.activeTotal = try count(active)
                out.waitingTotal = try count(waiting)
                out.blockedTotal = try count(blocked)
            }
        }
        return out
    }

    /// The first `limit` tasks this worktree's file records as done whose completion does not
    /// count here (its commit is on another branch only, or not in this clone), those most tasks
    /// wait on first, then by priority and id: the preamble's drift (``driftCounts()`` counts
    /// them all). A task another copy alone says is done is ordinary work elsewhere, not drift.
    public func drift(limit: Int) throws -> [EvaluatedTask] {
        try rows(
            """
            WHERE status IN ('done_elsewhere', 'done_unknown') AND only_in IS NULL AND t_status = 'done'
            ORDER BY unblocks DESC, t_priority, id LIMIT ?
            """, [limit], indexedBy: "evaluated_drift")
    }

    /// How many completions ``drift(limit:)`` would list without a limit, by effective status
    /// (`done_elsewhere`, `done_unknown`).
    public func driftCounts() throws -> [EffectiveStatus: Int] {
        try wrap {
            try queue.read { db in
                var out: [EffectiveStatus: Int] = [:]
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT status, count(*) FROM evaluated INDEXED BY evaluated_drift
                        WHERE status IN ('done_elsewhere', 'done_unknown') AND only_in IS NULL AND t_status = 'done'
                        GROUP BY status
                        """)
                for r in rows { if let s = EffectiveStatus(rawValue: r[0]) { out[s] = r[1] } }
                return out
            }
        }
    }

    /// The rows of these tasks, those that exist (here or only in other copies), by id.
    public func rows(ids: [String]) throws -> [String: EvaluatedTask] {
        try wrap {
            try queue.read { db in
                var out: [String: EvaluatedTask] = [:]
                let stmt = try db.cachedStatement(
                    sql: "SELECT \(EvaluatedRow.readColumns) FROM evaluated WHERE id = ?")
                for id in Set(ids) { if let r = try EvaluatedRow.fetchOne(stmt, arguments: [id]) { out[id] = r.task } }
                return out
            }
        }
    }

    /// The rows `clause` selects, read through the index `indexedBy` when given (the planner
    /// prefers the status index and a sort over a partial index that needs none).
    private func rows(_ clause: String, _ arguments: StatementArguments, indexedBy: String? = nil) throws
        -> [EvaluatedTask]
    {
        try wrap {
            try queue.read { db in
                var out: [EvaluatedTask] = []
                let from = "FROM evaluated" + (indexedBy.map { " INDEXED BY " + $0 } ?? "")
                let cursor = try EvaluatedRow.fetchCursor(
                    db, sql: "SELECT \(EvaluatedRow.readColumns) \(from) \(clause)", arguments: arguments)
                while let r = try cursor.next() { out.append(r.task) }
                return out
            }
        }
    }

    /// This worktree's tasks that name `id` as a dependency, and its children (by id): the graph
    /// the evaluated rows were made over.
    public func dependentsAndChildren(of id: String) throws -> (dependents: [String], children: [String]) {
        try wrap {
            try queue.read { db in
                let dependents = try String.fetchAll(
                    db, sql: "SELECT task_id FROM task_deps WHERE dep_id = ? ORDER BY task_id", arguments: [id])
                let children = try String.fetchAll(
                    db, sql: "SELECT id FROM tasks WHERE parent = ? ORDER BY id", arguments: [id])
                return (dependents, children)
            }
        }
    }

    /// Counts over the whole graph: tasks by status, ready, waiting and blocked ones, each
    /// milestone's finished (done here or cancelled) and total tasks, and the tasks holding
    /// conflict records (the first `conflictIDs` of them by id). Read from the totals the index
    /// keeps with the rows, and from an index of the conflicted tasks alone.
    public func totals(conflictIDs: Int = 0) throws -> GraphTotals {
        try wrap {
            try queue.read { db in
                var counts: [String: Int] = [:]
                for r in try Row.fetchAll(db, sql: "SELECT key, n FROM eval_totals") { counts[r[0]] = r[1] }
                var out = Self.totals(counts)
                if let r = try Row.fetchOne(
                    db,
                    sql: "SELECT COUNT(*), TOTAL(conflicts) FROM tasks INDEXED BY tasks_conflicts WHERE conflicts > 0")
                {
                    out.conflictTasks = r[0]
                    out.conflictRecords = Int(r[1] as Double)
                }
                if conflictIDs > 0 {
                    out.conflictTaskIDs = try String.fetchAll(
                        db,
                        sql: "SELECT id FROM tasks INDEXED BY tasks_conflicts WHERE conflicts > 0 ORDER BY id LIMIT ?",
                        arguments: [conflictIDs])
                }
                return out
            }
        }
    }

    /// ``GraphTotals`` from the `eval_totals` counts.
    static func totals(_ counts: [String: Int]) -> GraphTotals {
        var out = GraphTotals()
        var done: [String: Int] = [:]
        for (key, n) in counts {
            let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "s":
                let sr = parts[1].split(separator: ":").map(String.init)
                guard sr.count == 2, let status = EffectiveStatus(rawValue: sr[0]) else { continue }
                out.statuses[status, default: 0] += n
                if status == .open { if sr[1] == "1" { out.ready += n } else { out.waiting += n } }
                if status == .blocked { out.blocked += n }
            case "m": out.milestones[parts[1]] = (done: out.milestones[parts[1]]?.done ?? 0, total: n)
            case "f": done[parts[1]] = n
            default: continue
            }
        }
        for (m, n) in done { out.milestones[m] = (done: n, total: out.milestones[m]?.total ?? 0) }
        return out
    }

    /// The totals counted from every stored row (what ``totals(conflictIDs:)`` keeps
    /// incrementally; for tests).
    public func recountedTotals(conflictIDs: Int = 0) throws -> GraphTotals {
        try wrap {
            try queue.read { db in
                var counts: [String: Int] = [:]
                let cursor = try EvaluatedRow.fetchCursor(db, sql: "SELECT * FROM evaluated")
                while let r = try cursor.next() { for k in r.totalKeys { counts[k, default: 0] += 1 } }
                var out = Self.totals(counts)
                let conflicted = try Row.fetchAll(
                    db, sql: "SELECT id, conflicts FROM tasks NOT INDEXED WHERE conflicts > 0 ORDER BY id")
                out.conflictTasks = conflicted.count
                out.conflictRecords = conflicted.reduce(0) { $0 + ($1[1] as Int) }
                out.conflictTaskIDs = Array(conflicted.prefix(conflictIDs).map { $0[0] as String })
                return out
            }
        }
    }
}
