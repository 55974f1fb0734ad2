import Foundation
import GRDB
import StateModel

/// A task's summary row in the index (`tasks`).
struct TaskRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "tasks"
    /// Every column but the full record.
    static let summaryColumns = """
        id, title, status, priority, parent, deps, labels, milestone, created_at, started_actor, started_branch,
        started_at, completion_commit, completion_branch, claim_actor, claim_expires, conflicts, updated_at
        """
    var summary: TaskSummary
    /// The task's canonical compact JSON (written, never read into a summary).
    var record: Data = Data()

    init(summary: TaskSummary, record: Data) {
        self.summary = summary
        self.record = record
    }

    init(row: Row) throws {
        func time(_ column: String) -> Timestamp? { (row[column] as Int64?).map(Timestamp.init(seconds:)) }
        summary = TaskSummary(
            id: row["id"], title: row["title"], status: TaskStatus(rawValue: row["status"]) ?? .open,
            priority: row["priority"], parent: row["parent"], deps: Self.split(row["deps"]),
            labels: Self.split(row["labels"]), milestone: row["milestone"],
            createdAt: Timestamp(seconds: row["created_at"]), startedActor: row["started_actor"],
            startedBranch: row["started_branch"], startedAt: time("started_at"),
            completionCommit: row["completion_commit"], completionBranch: row["completion_branch"],
            claimActor: row["claim_actor"], claimExpires: time("claim_expires"), conflictCount: row["conflicts"],
            updatedAt: time("updated_at"))
    }

    /// Every column, in the order of ``values``.
    static let columns = [
        "id", "title", "status", "priority", "parent", "deps", "labels", "milestone", "created_at", "started_actor",
        "started_branch", "started_at", "completion_commit", "completion_branch", "claim_actor", "claim_expires",
        "conflicts", "updated_at", "record",
    ]

    var values: [(any DatabaseValueConvertible)?] {
        let t = summary
        return [
            t.id, t.title, t.status.rawValue, t.priority, t.parent, Self.join(t.deps), Self.join(t.labels), t.milestone,
            t.createdAt.seconds, t.startedActor, t.startedBranch, t.startedAt?.seconds, t.completionCommit,
            t.completionBranch, t.claimActor, t.claimExpires?.seconds, t.conflictCount, t.updatedAt?.seconds, record,
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

/// A task's row of the evaluated graph (`evaluated`), with the ranking terms `next` orders by
/// and the other copies' facts about it (to re-decide it after an edit).
struct EvaluatedRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "evaluated"
    var task: EvaluatedTask
    var priority: Int
    var created: Timestamp
    /// The task's milestone (what ``GraphTotals/milestones`` counts it under).
    var milestone: String?
    /// Where, by whom and when it was started (the work started on a branch is read through
    /// an index of the in-progress, stale and blocked rows by branch).
    var startedBranch: String?
    var startedActor: String?
    var startedAt: Timestamp?
    /// ``CopyFact/encode(_:copies:)`` of this task's facts in the other copies, against the
    /// listing stored with the evaluation; nil when no other copy records it.
    var facts: Data?

    init(task: EvaluatedTask, summary: TaskSummary, facts: Data?) {
        self.task = task
        self.priority = summary.priority
        self.created = summary.createdAt
        self.milestone = summary.milestone
        self.startedBranch = summary.startedBranch
        self.startedActor = summary.startedActor
        self.startedAt = summary.startedAt
        self.facts = facts
    }

    init(row: Row) throws { try self.init(row: row, prefix: "") }

    /// Reads the row's columns, named `prefix` + column where the row joins another table's.
    init(row: Row, prefix: String) throws {
        func json<T: Decodable>(_ column: String, _ type: T.Type) throws -> T? {
            guard let text = row[column] as String? else { return nil }
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        }
        let p = prefix
        task = EvaluatedTask(
            id: row["id"], status: EffectiveStatus(rawValue: row[p + "status"]) ?? .open, ready: row["ready"],
            offerableStale: row["offerable_stale"], waitsOnDeps: TaskRow.split(row["waits_on_deps"]),
            waitsOnChildren: TaskRow.split(row["waits_on_children"]), unblocks: row["unblocks"],
            milestoneRank: row["milestone_rank"], elsewhere: try json("elsewhere", Elsewhere.self),
            disagreement: row["disagreement"], recovered: try json("recovered", RecoveredAnchor.self),
            deadline: (row["deadline"] as Int64?).map(Timestamp.init(seconds:)), deps: TaskRow.split(row[p + "deps"]),
            parent: row[p + "parent"])
        priority = row[p + "priority"]
        created = Timestamp(seconds: row[p + "created_at"])
        milestone = row[p + "milestone"]
        startedBranch = row[p + "started_branch"]
        startedActor = row[p + "started_actor"]
        startedAt = (row[p + "started_at"] as Int64?).map(Timestamp.init(seconds:))
        facts = row.hasColumn("facts") ? row["facts"] : nil
    }

    /// Every column, in the order of ``values()``.
    static let columns = [
        "id", "status", "ready", "offerable_stale", "candidate", "waits_on_deps", "waits_on_children", "unblocks",
        "milestone_rank", "rank_key", "priority", "created_at", "elsewhere", "disagreement", "recovered", "deadline",
        "deps", "parent", "milestone", "started_branch", "started_actor", "started_at", "facts",
    ]

    func values() throws -> [(any DatabaseValueConvertible)?] {
        func json<T: Encodable>(_ value: T?) throws -> String? {
            try value.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        }
        let t = task
        return [
            t.id, t.status.rawValue, t.ready, t.offerableStale, t.candidate, TaskRow.join(t.waitsOnDeps),
            TaskRow.join(t.waitsOnChildren), t.unblocks, t.milestoneRank,
            // Tasks without a milestone (or with one not in order) rank after every milestone.
            t.milestoneRank.map(Int64.init) ?? Int64.max, priority, created.seconds, try json(t.elsewhere),
            t.disagreement, try json(t.recovered), t.deadline?.seconds, TaskRow.join(t.deps), t.parent, milestone,
            startedBranch, startedActor, startedAt?.seconds, facts,
        ]
    }

    func encode(to container: inout PersistenceContainer) throws {
        for (c, v) in zip(Self.columns, try values()) { container[c] = v }
    }

    /// Writes the row through one cached statement with positional arguments (a record's
    /// `insert` builds them through a dictionary, which costs a tenth of a full evaluation's time
    /// at 10,000 rows).
    func save(_ db: Database) throws {
        try db.cachedStatement(sql: StateIndex.insertSQL("evaluated", Self.columns)).execute(
            arguments: StatementArguments(try values()))
    }

    /// The keys of `eval_totals` this row counts under: its status and readiness, and its
    /// milestone (all tasks, and those finished: done here or cancelled).
    var totalKeys: [String] {
        var keys = ["s:\(task.status.rawValue):\(task.ready ? 1 : 0)"]
        if let m = milestone {
            keys.append("m:" + m)
            if task.status == .done || task.status == .cancelled { keys.append("f:" + m) }
        }
        return keys
    }
}

/// What the index knows about its stored evaluation.
public struct StoredEvaluation: Sendable {
    /// What the evaluation was made for (HEAD, branch, the other copies, …: the caller's key).
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

/// Counts over the whole evaluated graph (``StateIndex/totals()``), kept by the index with the
/// rows (each stored or updated row moves the counts it falls under), so reading them costs the
/// number of statuses and milestones, not of tasks.
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
    public var active: [ListedTask] = []
    public var waiting: [ListedTask] = []
    public var blocked: [ListedTask] = []
    public var activeTotal = 0
    public var waitingTotal = 0
    public var blockedTotal = 0
    public init() {}
    public var all: [ListedTask] { active + waiting + blocked }
}

/// A task the index listed with its evaluated row.
public struct ListedTask: Sendable {
    public var summary: TaskSummary
    public var row: EvaluatedTask
}

/// What `tasks` asks the index for: a superset of what it lists, narrowed by status.
public struct ListingQuery: Sendable {
    /// Effective statuses, or `ready` / `waiting` (any of them); empty: any.
    public var statuses: [String]
    /// Leave out tasks done here and cancelled ones.
    public var hideFinished: Bool
    public init(statuses: [String], hideFinished: Bool) {
        self.statuses = statuses
        self.hideFinished = hideFinished
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

    /// Replaces the evaluated graph with `rows` (every task of the state with content `hash`),
    /// made for `context`. Returns false, storing nothing, when the index no longer holds that
    /// state (another process wrote meanwhile).
    @discardableResult
    public func storeEvaluation(
        _ rows: [EvaluatedTask], summaries: [String: TaskSummary], facts: [String: [UInt8]], hash: String,
        context: String, copies: String?, validUntil: Timestamp?
    ) throws -> Bool {
        try wrap {
            var stored = false
            try queue.inTransaction(.immediate) { db in
                let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'hash'")
                guard current == hash else { return .rollback }
                try Self.dropEvaluation(db)
                var totals: [String: Int] = [:]
                for r in rows {
                    guard let t = summaries[r.id] else { continue }
                    let row = EvaluatedRow(task: r, summary: t, facts: facts[r.id].map { Data($0) })
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

    /// The current summaries of these tasks (absent: removed).
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

    /// Brings the evaluated graph up to date after the edits of `dirty` (as read from
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
                let rowStmt = try db.cachedStatement(
                    sql: "SELECT * FROM evaluated WHERE id = ?")
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
                    guard let t = summary(r.id) else { continue }
                    let old = row(r.id)
                    let new = EvaluatedRow(task: r, summary: t, facts: old?.facts)
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

    /// Every stored row, by id (for tests and `check`).
    public func evaluatedRows() throws -> [String: EvaluatedTask] {
        try wrap {
            try queue.read { db in
                var out: [String: EvaluatedTask] = [:]
                let cursor = try EvaluatedRow.fetchCursor(db, sql: "SELECT * FROM evaluated")
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

    private static let listedColumns = """
        SELECT t.id, t.title, t.status, t.priority, t.parent, t.deps, t.labels, t.milestone, t.created_at,
               t.started_actor, t.started_branch, t.started_at, t.completion_commit, t.completion_branch,
               t.claim_actor, t.claim_expires, t.conflicts, t.updated_at,
               e.status AS e_status, e.ready, e.offerable_stale, e.waits_on_deps, e.waits_on_children,
               e.unblocks, e.milestone_rank, e.elsewhere, e.disagreement, e.recovered, e.deadline,
               e.deps AS e_deps, e.parent AS e_parent, e.priority AS e_priority, e.created_at AS e_created_at,
               e.milestone AS e_milestone, e.started_branch AS e_started_branch,
               e.started_actor AS e_started_actor, e.started_at AS e_started_at
        FROM evaluated e JOIN tasks t ON t.id = e.id
        """

    private static func listed(_ row: Row) throws -> ListedTask {
        ListedTask(summary: try TaskRow(row: row).summary, row: try EvaluatedRow(row: row, prefix: "e_").task)
    }

    /// `next`'s candidates for `actor` on `branch`, best first (``Ranking`` orders the same
    /// terms): what the actor resumes, then the ready tasks, then the stale ones offered again.
    /// Reads the `limit` best of each kind through the ranking index, never the whole frontier.
    public func nextCandidates(actor: String, branch: String?, limit: Int) throws -> [(ListedTask, RankTerms)] {
        try wrap {
            try queue.read { db in
                var seen = Set<String>()
                var out: [(ListedTask, RankTerms)] = []
                func add(_ sql: String, _ arguments: StatementArguments, indexedBy: String? = nil) throws {
                    let cursor = try Row.fetchCursor(
                        db, sql: Self.listedSQL(sql, indexedBy: indexedBy), arguments: arguments)
                    while let r = try cursor.next() {
                        let l = try Self.listed(r)
                        let terms = l.row.terms(l.summary, actor: actor, branch: branch)
                        guard terms.resume || l.row.ready || l.row.offerableStale, seen.insert(l.summary.id).inserted
                        else { continue }
                        out.append((l, terms))
                    }
                }
                let order = "ORDER BY e.priority, e.unblocks DESC, e.rank_key, e.created_at, e.id LIMIT ?"
                // Through the index of the work started on a branch: the `limit` best of the actor's.
                try add(
                    """
                    WHERE e.status IN ('in_progress', 'stale', 'blocked') AND e.started_branch IS ?
                      AND e.status != 'blocked' AND e.elsewhere IS NULL AND e.started_actor = ?
                    """ + " " + order, [branch, actor, limit], indexedBy: "evaluated_here")
                try add("WHERE e.ready = 1 " + order, [limit])
                try add("WHERE e.offerable_stale = 1 " + order, [limit])
                out.sort { Ranking.precedes($0.1, $1.1) }
                return Array(out.prefix(limit))
            }
        }
    }

    /// The tasks `query` narrows to, in `tasks`' order (in progress first, then priority, age, id).
    public func listing(_ query: ListingQuery) throws -> [ListedTask] {
        try wrap {
            try queue.read { db in
                var clauses: [String] = []
                var arguments: [(any DatabaseValueConvertible)?] = []
                for s in query.statuses {
                    switch s {
                    case "ready": clauses.append("e.ready = 1")
                    case "waiting": clauses.append("(e.status = 'open' AND e.ready = 0)")
                    default:
                        clauses.append("e.status = ?")
                        arguments.append(s)
                    }
                }
                var filter = clauses.isEmpty ? "" : "(" + clauses.joined(separator: " OR ") + ")"
                if query.statuses.isEmpty && query.hideFinished {
                    filter = "e.status NOT IN ('done', 'cancelled')"
                }
                let sql =
                    Self.listedColumns + (filter.isEmpty ? "" : " WHERE " + filter)
                    + " ORDER BY t.status = 'in_progress' DESC, t.priority, t.created_at, t.id"
                var out: [ListedTask] = []
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
                while let r = try cursor.next() { out.append(try Self.listed(r)) }
                return out
            }
        }
    }

    /// `next`'s ready tasks in rank order (what the preamble lists), read through the ranking
    /// index: the first `limit`.
    public func readyRanked(limit: Int) throws -> [ListedTask] {
        try rows(
            "WHERE e.ready = 1 ORDER BY e.priority, e.unblocks DESC, e.rank_key, e.created_at, e.id LIMIT ?", [limit])
    }

    /// The work started on `branch` (the preamble's): the first `limit` tasks in progress or
    /// stale there and done nowhere else (the actor's first, then by priority, start and id),
    /// the first `limit` of those waiting on something, the first `limit` blocked there (by
    /// priority and id), and how many there are of each. Read through the index of in-progress,
    /// stale and blocked rows by branch, and only the rows shown are decoded.
    public func startedHere(branch: String?, actor: String, limit: Int) throws -> WorkHere {
        let here = """
            WHERE e.status IN ('in_progress', 'stale', 'blocked') AND e.started_branch IS ?
              AND e.started_at IS NOT NULL
            """
        let active = here + " AND e.status != 'blocked' AND e.elsewhere IS NULL"
        let waiting = active + " AND (e.waits_on_deps != '' OR e.waits_on_children != '')"
        let blocked = here + " AND e.status = 'blocked'"
        let order =
            " ORDER BY e.started_actor IS ? DESC, e.priority, COALESCE(e.started_at, e.created_at), e.id LIMIT ?"
        // The few ids are chosen from the evaluated rows alone; only they are joined with their
        // task rows and decoded (the caller orders them).
        func first(_ clause: String, _ arguments: StatementArguments) throws -> [ListedTask] {
            try rows("WHERE e.id IN (SELECT e.id FROM evaluated e INDEXED BY evaluated_here \(clause))", arguments)
        }
        var out = WorkHere()
        out.active = try first(active + order, [branch, actor, limit])
        out.waiting = try first(waiting + order, [branch, actor, limit])
        out.blocked = try first(blocked + " ORDER BY e.priority, e.id LIMIT ?", [branch, limit])
        try wrap {
            try queue.read { db in
                func count(_ clause: String) throws -> Int {
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM evaluated e INDEXED BY evaluated_here " + clause,
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
    /// Read through an index of the tasks done elsewhere.
    public func drift(limit: Int) throws -> [ListedTask] {
        try rows(
            """
            WHERE e.status IN ('done_elsewhere', 'done_unknown') AND t.status = 'done'
            ORDER BY e.unblocks DESC, e.priority, e.id LIMIT ?
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
                        SELECT e.status, count(*) FROM evaluated e INDEXED BY evaluated_drift JOIN tasks t ON t.id = e.id
                        WHERE e.status IN ('done_elsewhere', 'done_unknown') AND t.status = 'done' GROUP BY e.status
                        """)
                for r in rows { if let s = EffectiveStatus(rawValue: r[0]) { out[s] = r[1] } }
                return out
            }
        }
    }

    /// The title and evaluated status of these tasks, those that exist.
    public func titlesAndStatuses(_ ids: [String]) throws -> [String: (title: String, status: EffectiveStatus)] {
        try wrap {
            try queue.read { db in
                var out: [String: (title: String, status: EffectiveStatus)] = [:]
                let stmt = try db.cachedStatement(
                    sql: "SELECT t.title, e.status FROM evaluated e JOIN tasks t ON t.id = e.id WHERE e.id = ?")
                for id in ids {
                    if let r = try Row.fetchOne(stmt, arguments: [id]), let s = EffectiveStatus(rawValue: r[1]) {
                        out[id] = (r[0], s)
                    }
                }
                return out
            }
        }
    }

    /// These tasks, those that exist.
    public func listed(ids: [String]) throws -> [ListedTask] {
        var out: [ListedTask] = []
        for id in Set(ids).sorted() { out += try rows("WHERE e.id = ?", [id]) }
        return out
    }

    private static func listedSQL(_ clause: String, indexedBy: String?) -> String {
        let sql = listedColumns + " " + clause
        guard let i = indexedBy else { return sql }
        return sql.replacingOccurrences(of: "FROM evaluated e ", with: "FROM evaluated e INDEXED BY \(i) ")
    }

    /// The listed tasks `clause` selects, read through the index `indexedBy` when given (the
    /// planner prefers the status index and a sort over a partial index that needs none).
    private func rows(_ clause: String, _ arguments: StatementArguments, indexedBy: String? = nil) throws
        -> [ListedTask]
    {
        try wrap {
            try queue.read { db in
                var out: [ListedTask] = []
                let cursor = try Row.fetchCursor(
                    db, sql: Self.listedSQL(clause, indexedBy: indexedBy), arguments: arguments)
                while let r = try cursor.next() { out.append(try Self.listed(r)) }
                return out
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

    /// The totals counted from every stored row (what ``totals()`` keeps incrementally; for tests
    /// and `check`).
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
