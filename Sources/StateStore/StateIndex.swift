import Foundation
import GRDB
import StateModel

/// What read commands need, straight from the index.
public struct IndexedState: Sendable {
    public var hash: String
    public var projectName: String
    public var goals: [Goal]
    public var milestones: [Milestone]
    public var tasks: [String: TaskSummary]
}

/// The SQLite index (GRDB, WAL): a cache of the state file keyed by its content hash.
///
/// It is derived data and nothing else. It is rebuilt whenever the file's hash differs from the
/// one it was built from (an edit by hand, a checkout, a merge), it is deleted and rebuilt if it
/// is damaged or from another version, and nothing in it is ever written back to the state file.
/// It also caches reachability answers by (HEAD, commit), which depend only on git objects.
public final class StateIndex {
    /// Bump when the tables change; an index of another version is dropped and rebuilt.
    static let version = 12
    let queue: DatabaseQueue
    public let path: String
    /// Set when another process held the index past the busy wait: from then on every use of
    /// this handle fails at once (the command answers from memory), so one command waits once.
    public private(set) var held = false

    /// Opens (creating if needed) the index at `path`. `busyTimeout` bounds the wait for another
    /// process's write transaction; past it the open fails and the caller parses the file.
    public init(path: String, busyTimeout: Double = 10) throws {
        self.path = path
        do {
            queue = try Self.open(path, busyTimeout: busyTimeout)
        } catch let error as DatabaseError where Self.isDamage(error) {
            // A damaged cache is thrown away and made again. Only damage: a busy or locked
            // database belongs to a live process, and unlinking its WAL would lose its writes.
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            do {
                queue = try Self.open(path, busyTimeout: busyTimeout)
            } catch {
                throw StoreError.index(path: path, reason: "\(error)")
            }
        } catch {
            throw StoreError.index(path: path, reason: "\(error)")
        }
    }

    /// An index held in memory, with the same tables: what a read answers from when the file
    /// cannot be used (held by another process past the busy wait, unwritable, damaged beyond
    /// re-creating). It is built from the state file, and goes with the process.
    public static func inMemory() throws -> StateIndex { try StateIndex(path: nil) }

    /// The ``path`` of an index held in memory.
    public static let memoryPath = ":memory:"

    private init(path: String?) throws {
        self.path = path ?? Self.memoryPath
        do {
            queue = try DatabaseQueue(configuration: Self.configuration(busyTimeout: 0, wal: false))
            try Self.createTables(queue)
        } catch {
            throw StoreError.index(path: self.path, reason: "\(error)")
        }
    }

    /// SQLite's codes for a file that is not a usable database (as opposed to one that is
    /// merely busy, locked, read-only or out of space).
    static func isDamage(_ error: DatabaseError) -> Bool {
        [ResultCode.SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT].contains(error.resultCode)
    }

    /// The connection settings of both indexes: WAL, `synchronous = NORMAL`, the busy timeout.
    ///
    /// Not GRDB's `journalMode = .wal`: that setup also makes sure a non-empty `-wal` file
    /// exists (for `DatabasePool` readers) by creating and dropping a table, and SQLite deletes
    /// the `-wal` file whenever the last connection closes, so every process wrote three pages
    /// and its close checkpointed them with four `fdatasync`s, a read included. WAL mode is
    /// stored in the database file: it is set once, when the file does not have it yet.
    static func configuration(busyTimeout: Double, wal: Bool = true) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        guard wal else { return config }
        config.prepareDatabase { db in
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw DatabaseError(message: "could not activate WAL mode")
                }
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return config
    }

    private static func open(_ path: String, busyTimeout: Double) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: path, configuration: configuration(busyTimeout: busyTimeout))
        try createTables(queue)
        return queue
    }

    /// Creates the tables of this version, dropping those of any other.
    private static func createTables(_ queue: DatabaseQueue) throws {
        try queue.write { db in
            let v = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if v == version { return }
            for table in [
                "meta", "tasks", "milestones", "goals", "reach", "reach_heads", "recovered", "commit_facts", "rendered",
                "tip_blobs", "copy_facts", "file_stamps", "contains", "copy_merged", "introduced", "head_trailers",
                "evaluated", "eval_dirty", "eval_totals", "task_deps",
            ] {
                try db.execute(sql: "DROP TABLE IF EXISTS \(table)")
            }
            try db.execute(
                sql: """
                    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE tasks(
                        id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL,
                        priority INTEGER NOT NULL, parent TEXT, deps TEXT NOT NULL, labels TEXT NOT NULL,
                        milestone TEXT, created_at INTEGER NOT NULL, started_actor TEXT,
                        started_branch TEXT, started_at INTEGER, completion_commit TEXT,
                        completion_branch TEXT, claim_actor TEXT, claim_expires INTEGER,
                        conflicts INTEGER NOT NULL, updated_at INTEGER, started_commit TEXT,
                        record BLOB NOT NULL) WITHOUT ROWID;
                    CREATE INDEX tasks_parent ON tasks(parent) WHERE parent IS NOT NULL;
                    CREATE INDEX tasks_completion_commit ON tasks(completion_commit) WHERE completion_commit IS NOT NULL;
                    CREATE INDEX tasks_started_commit ON tasks(started_commit) WHERE started_commit IS NOT NULL;
                    CREATE INDEX tasks_conflicts ON tasks(id, conflicts) WHERE conflicts > 0;
                    CREATE TABLE task_deps(task_id TEXT NOT NULL, dep_id TEXT NOT NULL);
                    CREATE INDEX task_deps_dep ON task_deps(dep_id);
                    CREATE INDEX task_deps_task ON task_deps(task_id);
                    CREATE TABLE evaluated(
                        id TEXT PRIMARY KEY, only_in TEXT, t_title TEXT NOT NULL, t_status TEXT NOT NULL,
                        t_priority INTEGER NOT NULL, t_parent TEXT, t_deps TEXT NOT NULL, t_labels TEXT NOT NULL,
                        t_milestone TEXT, t_created_at INTEGER NOT NULL, t_started_actor TEXT, t_started_branch TEXT,
                        t_started_at INTEGER, t_completion_commit TEXT, t_completion_branch TEXT, t_claim_actor TEXT,
                        t_claim_expires INTEGER, t_conflicts INTEGER NOT NULL, t_updated_at INTEGER,
                        status TEXT NOT NULL, ready INTEGER NOT NULL, offerable_stale INTEGER NOT NULL,
                        candidate INTEGER NOT NULL, waits_on_deps TEXT NOT NULL, waits_on_children TEXT NOT NULL,
                        unblocks INTEGER NOT NULL, milestone_rank INTEGER, rank_key TEXT NOT NULL, elsewhere_kind TEXT,
                        elsewhere_branch TEXT, elsewhere_worktree TEXT, elsewhere_copy TEXT, elsewhere_actor TEXT,
                        elsewhere_commit TEXT, disagreement TEXT, recovered_method TEXT, recovered_commit TEXT,
                        deadline INTEGER, facts BLOB) WITHOUT ROWID;
                    CREATE INDEX evaluated_ready ON evaluated(rank_key) WHERE ready = 1 AND only_in IS NULL;
                    CREATE INDEX evaluated_offerable ON evaluated(rank_key) WHERE offerable_stale = 1 AND only_in IS NULL;
                    CREATE INDEX evaluated_status ON evaluated(status);
                    CREATE INDEX evaluated_here ON evaluated(t_started_branch)
                        WHERE status IN ('in_progress', 'stale', 'blocked') AND only_in IS NULL;
                    CREATE INDEX evaluated_drift ON evaluated(unblocks DESC, t_priority, id)
                        WHERE status IN ('done_elsewhere', 'done_unknown') AND only_in IS NULL;
                    CREATE INDEX evaluated_elsewhere_only ON evaluated(id) WHERE only_in IS NOT NULL;
                    CREATE TABLE eval_dirty(id TEXT PRIMARY KEY) WITHOUT ROWID;
                    CREATE TABLE eval_totals(key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE milestones(id TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE goals(id TEXT PRIMARY KEY, record BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE reach(head TEXT NOT NULL, commit_id TEXT NOT NULL, answer INTEGER NOT NULL,
                        PRIMARY KEY(head, commit_id)) WITHOUT ROWID;
                    CREATE TABLE reach_heads(head TEXT PRIMARY KEY, used INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE rendered(key TEXT PRIMARY KEY, body BLOB NOT NULL, used INTEGER NOT NULL,
                        valid_until INTEGER) WITHOUT ROWID;
                    CREATE TABLE recovered(head TEXT NOT NULL, task_id TEXT NOT NULL, commit_id TEXT NOT NULL,
                        method TEXT, found TEXT, PRIMARY KEY(head, task_id, commit_id)) WITHOUT ROWID;
                    CREATE TABLE commit_facts(commit_id TEXT PRIMARY KEY, patch_id TEXT, tasks TEXT NOT NULL)
                        WITHOUT ROWID;
                    CREATE TABLE copy_merged(signature TEXT PRIMARY KEY, facts BLOB NOT NULL, used INTEGER NOT NULL,
                        listing TEXT) WITHOUT ROWID;
                    CREATE TABLE head_trailers(head TEXT PRIMARY KEY, tasks TEXT NOT NULL, used INTEGER NOT NULL)
                        WITHOUT ROWID;
                    CREATE TABLE tip_blobs(commit_id TEXT PRIMARY KEY, blob TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE copy_facts(key TEXT PRIMARY KEY, problem TEXT, facts BLOB NOT NULL) WITHOUT ROWID;
                    CREATE TABLE file_stamps(path TEXT PRIMARY KEY, stamp TEXT NOT NULL, hash TEXT NOT NULL)
                        WITHOUT ROWID;
                    CREATE TABLE contains(tip TEXT NOT NULL, commit_id TEXT NOT NULL, answer INTEGER NOT NULL,
                        PRIMARY KEY(tip, commit_id)) WITHOUT ROWID;
                    CREATE TABLE introduced(task_id TEXT NOT NULL, record TEXT NOT NULL, commit_id TEXT NOT NULL,
                        PRIMARY KEY(task_id, record, commit_id)) WITHOUT ROWID;
                    PRAGMA user_version = \(version);
                    """)
        }
    }

    /// The hash and file stamp the index was built from, if any.
    public func builtFrom() throws -> (hash: String, stamp: String)? {
        try wrap {
            try queue.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT key, value FROM meta WHERE key IN ('hash', 'stamp')")
                var m: [String: String] = [:]
                for r in rows { m[r[0]] = r[1] }
                guard let h = m["hash"] else { return nil }
                return (h, m["stamp"] ?? "")
            }
        }
    }

    /// A key for the state's memories: the hash of the state at which the index last saw them
    /// change (every edit is applied with its changes, and only an edit with a memory change
    /// moves it). Memory readers key their cache on it, so a task edit does not make them read
    /// the state file again. nil when the index holds no state.
    public func memoriesSource() throws -> String? {
        try wrap {
            try queue.read { db in
                try String.fetchOne(
                    db,
                    sql:
                        "SELECT value FROM meta WHERE key = 'memories' AND EXISTS (SELECT 1 FROM meta WHERE key = 'hash')"
                )
            }
        }
    }

    private static func setMemoriesSource(_ db: Database, _ hash: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('memories', ?)", arguments: [hash])
    }

    public func setStamp(_ stamp: FileStamp?, forHash hash: String) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'hash'")
                if current == hash {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('stamp', ?)",
                        arguments: [stamp?.encoded ?? ""])
                }
                return .commit
            }
        }
    }

    /// Replaces everything with `state`.
    public func rebuild(from state: ProjectState, hash: String, stamp: FileStamp?) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                try db.execute(
                    sql: """
                        DELETE FROM tasks; DELETE FROM task_deps; DELETE FROM milestones; DELETE FROM goals;
                        DELETE FROM meta; DELETE FROM evaluated; DELETE FROM eval_dirty; DELETE FROM eval_totals
                        """)
                for t in state.tasks.values { try Self.put(t, db, replacing: false) }
                for m in state.milestones.values { try Self.put(m, db) }
                for g in state.goals.values { try Self.put(g, db) }
                try Self.setMeta(db, hash: hash, stamp: stamp, project: state.project)
                try Self.setMemoriesSource(db, hash)
                return .commit
            }
        }
    }

    /// Applies one operation's changes, if the index was built from `oldHash`; returns false
    /// (and changes nothing) otherwise, so the caller rebuilds.
    public func apply(
        _ changes: [EntityChange], project: ProjectInfo, oldHash: String, newHash: String, stamp: FileStamp?
    ) throws -> Bool {
        try wrap {
            var applied = false
            try queue.inTransaction(.immediate) { db in
                let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'hash'")
                guard current == oldHash else { return .rollback }
                if changes.contains(where: { $0.kind == "memory" }) { try Self.setMemoriesSource(db, newHash) }
                for c in changes {
                    // The evaluated graph is brought along by the next read (``updateEvaluation``):
                    // a changed task is marked; a milestone change reorders every rank, so the
                    // next read evaluates everything.
                    if c.kind == "task" {
                        try db.execute(sql: "INSERT OR IGNORE INTO eval_dirty(id) VALUES (?)", arguments: [c.id])
                    } else if c.kind == "milestone" {
                        try Self.dropEvaluation(db)
                    }
                    switch c.after {
                    case .task(let t)?: try Self.put(t, db, replacing: true)
                    case .milestone(let m)?: try Self.put(m, db)
                    case .goal(let g)?: try Self.put(g, db)
                    case .project?, .memory?: break
                    case nil:
                        let table = c.kind == "task" ? "tasks" : c.kind == "milestone" ? "milestones" : "goals"
                        try db.execute(sql: "DELETE FROM \(table) WHERE id = ?", arguments: [c.id])
                        if c.kind == "task" {
                            try db.execute(sql: "DELETE FROM task_deps WHERE task_id = ?", arguments: [c.id])
                        }
                    }
                }
                try Self.setMeta(db, hash: newHash, stamp: stamp, project: project)
                applied = true
                return .commit
            }
            return applied
        }
    }

    public func load() throws -> IndexedState {
        try wrap {
            try queue.read { db in
                var meta: [String: String] = [:]
                for r in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") { meta[r[0]] = r[1] }
                var tasks: [String: TaskSummary] = [:]
                let cursor = try TaskRow.fetchCursor(db, sql: "SELECT \(TaskRow.summaryColumns) FROM tasks")
                while let r = try cursor.next() { tasks[r.summary.id] = r.summary }
                return IndexedState(
                    hash: meta["hash"] ?? "", projectName: meta["project"] ?? "", goals: try Self.goals(db),
                    milestones: try Self.milestones(db), tasks: tasks)
            }
        }
    }

    public func task(_ id: String) throws -> TaskRecord? {
        try wrap {
            try queue.read { db in
                guard let blob = try Data.fetchOne(db, sql: "SELECT record FROM tasks WHERE id = ?", arguments: [id])
                else { return nil }
                return try JSONDecoder().decode(TaskRecord.self, from: blob)
            }
        }
    }

    /// Cached answers for `head`.
    public func reachability(head: String) throws -> [String: Reachability] {
        try wrap {
            try queue.read { db in
                var out: [String: Reachability] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT commit_id, answer FROM reach WHERE head = ?", arguments: [head])
                while let r = try rows.next() { out[r[0]] = Reachability(rawValue: r[1]) }
                return out
            }
        }
    }

    /// Adds answers for `head`, keeping the answers of the most recent `keepHeads` heads only.
    public func storeReachability(head: String, _ answers: [String: Reachability], now: Timestamp, keepHeads: Int = 8)
        throws
    {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let insert = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO reach(head, commit_id, answer) VALUES (?, ?, ?)")
                for (c, a) in answers { try insert.execute(arguments: [head, c, a.rawValue]) }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO reach_heads(head, used) VALUES (?, ?)", arguments: [head, now.seconds])
                let stale = try String.fetchAll(
                    db, sql: "SELECT head FROM reach_heads ORDER BY used DESC, head LIMIT -1 OFFSET ?",
                    arguments: [keepHeads])
                for h in stale {
                    try db.execute(sql: "DELETE FROM reach WHERE head = ?", arguments: [h])
                    try db.execute(sql: "DELETE FROM reach_heads WHERE head = ?", arguments: [h])
                }
                return .commit
            }
        }
    }

    /// Settled recovery questions for `head`: (task, recorded commit) → the anchor found on
    /// HEAD, or nil when none was found.
    public func recoveries(head: String) throws -> [RecoveryKey: RecoveredAnchor?] {
        try wrap {
            try queue.read { db in
                var out: [RecoveryKey: RecoveredAnchor?] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT task_id, commit_id, method, found FROM recovered WHERE head = ?", arguments: [head]
                )
                while let r = try rows.next() {
                    let key = RecoveryKey(task: r[0], commit: r[1])
                    let method: String? = r[2]
                    let found: String? = r[3]
                    if let m = method.flatMap(RecoveredAnchor.Method.init(rawValue:)), let f = found {
                        out[key] = RecoveredAnchor(method: m, commit: f)
                    } else {
                        out[key] = .some(nil)
                    }
                }
                return out
            }
        }
    }

    public func storeRecoveries(head: String, _ answers: [RecoveryKey: RecoveredAnchor?]) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let insert = try db.makeStatement(
                    sql:
                        "INSERT OR REPLACE INTO recovered(head, task_id, commit_id, method, found) VALUES (?, ?, ?, ?, ?)"
                )
                for (k, v) in answers {
                    try insert.execute(arguments: [head, k.task, k.commit, v?.method.rawValue, v?.commit])
                }
                // Keep only heads the reachability cache still keeps.
                try db.execute(sql: "DELETE FROM recovered WHERE head NOT IN (SELECT head FROM reach_heads)")
                return .commit
            }
        }
    }

    /// Commits found to first hold a completion recorded without a commit (`record` is the hash
    /// of the completion's canonical bytes). Facts about history: kept for good, and several per
    /// record when the record reached different histories separately (a cherry-pick).
    public func introducingCommits(task: String, record: String) throws -> [String] {
        try wrap {
            try queue.read { db in
                try String.fetchAll(
                    db, sql: "SELECT commit_id FROM introduced WHERE task_id = ? AND record = ? ORDER BY commit_id",
                    arguments: [task, record])
            }
        }
    }

    public func storeIntroducingCommit(task: String, record: String, commit: String) throws {
        try wrap {
            try queue.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO introduced(task_id, record, commit_id) VALUES (?, ?, ?)",
                    arguments: [task, record, commit])
            }
        }
    }

    /// Facts about commits that never change (content-addressed): patch-id and trailer task ids.
    public func commitFacts(_ commits: [String]) throws -> [String: CommitFacts] {
        try wrap {
            try queue.read { db in
                var out: [String: CommitFacts] = [:]
                let stmt = try db.makeStatement(sql: "SELECT patch_id, tasks FROM commit_facts WHERE commit_id = ?")
                for c in commits {
                    if let r = try Row.fetchOne(stmt, arguments: [c]) {
                        let tasks: String = r[1]
                        out[c] = CommitFacts(
                            patchID: r[0], taskIDs: tasks.split(separator: " ").map(String.init))
                    }
                }
                return out
            }
        }
    }

    public func storeCommitFacts(_ facts: [String: CommitFacts]) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let insert = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO commit_facts(commit_id, patch_id, tasks) VALUES (?, ?, ?)")
                for (c, f) in facts { try insert.execute(arguments: [c, f.patchID, f.taskIDs.joined(separator: " ")]) }
                return .commit
            }
        }
    }

    /// The content hash of the last state file this tool wrote (canonical by construction).
    public func writtenCanonical() throws -> String? {
        try wrap {
            try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'written'") }
        }
    }

    public func setWrittenCanonical(_ hash: String) throws {
        try wrap {
            try queue.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('written', ?)", arguments: [hash])
            }
        }
    }

    /// The HEADs with cached reachability answers, most recently used first.
    public func recentHeads(limit: Int) throws -> [String] {
        try wrap {
            try queue.read { db in
                try String.fetchAll(
                    db, sql: "SELECT head FROM reach_heads ORDER BY used DESC, head LIMIT ?", arguments: [limit])
            }
        }
    }

    /// The content hash the index was built from, if its file stamp still matches `stamp`:
    /// the cheapest possible freshness check (one row).
    public func currentHash(stamp: FileStamp) throws -> String? {
        guard let built = try builtFrom(), built.stamp == stamp.encoded else { return nil }
        return built.hash
    }

    /// A rendered output cached under `key` (which must include the state hash and HEAD), if it
    /// is still valid at `now` (a claim that expires changes what `next` offers).
    public func rendered(_ key: String, now: Timestamp? = nil) throws -> [UInt8]? {
        try wrap {
            try queue.read { db in
                guard
                    let r = try Row.fetchOne(
                        db, sql: "SELECT body, valid_until FROM rendered WHERE key = ?", arguments: [key])
                else { return nil }
                let until: Int64? = r[1]
                if let until, let now, now.seconds >= until { return nil }
                let body: Data = r[0]
                return Array(body)
            }
        }
    }

    /// Caches a rendered output, valid until `validUntil` (nil: for good), keeping the `keep`
    /// most recently stored.
    public func storeRendered(
        _ key: String, _ body: [UInt8], now: Timestamp, validUntil: Timestamp? = nil, keep: Int = 32
    ) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO rendered(key, body, used, valid_until) VALUES (?, ?, ?, ?)",
                    arguments: [key, Data(body), now.seconds, validUntil?.seconds])
                try db.execute(
                    sql: """
                        DELETE FROM rendered WHERE key IN
                        (SELECT key FROM rendered ORDER BY used DESC, key LIMIT -1 OFFSET ?)
                        """, arguments: [keep])
                return .commit
            }
        }
    }

    // MARK: - Other copies of the state

    /// The blob of the state file at each of `commits` (commits never change, so neither does the
    /// answer); "" when the commit has no state file.
    public func tipBlobs(_ commits: [String]) throws -> [String: String] {
        try wrap {
            try queue.read { db in
                var out: [String: String] = [:]
                let stmt = try db.makeStatement(sql: "SELECT blob FROM tip_blobs WHERE commit_id = ?")
                for c in commits { if let b = try String.fetchOne(stmt, arguments: [c]) { out[c] = b } }
                return out
            }
        }
    }

    public func storeTipBlobs(_ answers: [String: String]) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let insert = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO tip_blobs(commit_id, blob) VALUES (?, ?)")
                for (c, b) in answers { try insert.execute(arguments: [c, b]) }
                return .commit
            }
        }
    }

    /// The facts extracted from the copies with these content keys (`blob:<id>`, `file:<sha256>`),
    /// or the problem that kept a copy from being read.
    public func copyFacts(_ keys: [String]) throws -> [String: (problem: String?, facts: [UInt8])] {
        try wrap {
            try queue.read { db in
                var out: [String: (problem: String?, facts: [UInt8])] = [:]
                let stmt = try db.makeStatement(sql: "SELECT problem, facts FROM copy_facts WHERE key = ?")
                for k in keys {
                    if let r = try Row.fetchOne(stmt, arguments: [k]) {
                        let problem: String? = r[0]
                        let facts: Data = r[1]
                        out[k] = (problem, Array(facts))
                    }
                }
                return out
            }
        }
    }

    /// The problems of the copies with these content keys that could not be read (only the
    /// problem column: the facts of a readable copy can be a megabyte).
    public func copyProblems(_ keys: [String]) throws -> [String: String] {
        try wrap {
            try queue.read { db in
                var out: [String: String] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT key, problem FROM copy_facts WHERE problem IS NOT NULL")
                let wanted = Set(keys)
                while let r = try rows.next() {
                    let k: String = r[0]
                    if wanted.contains(k) { out[k] = r[1] }
                }
                return out
            }
        }
    }

    /// Stores one copy's facts.
    public func storeCopyFacts(key: String, problem: String?, facts: [UInt8]) throws {
        try wrap {
            try queue.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO copy_facts(key, problem, facts) VALUES (?, ?, ?)",
                    arguments: [key, problem, Data(facts)])
            }
        }
    }

    /// Drops the facts of copies no longer seen (a deleted branch, a removed worktree).
    public func pruneCopyFacts(keeping keys: Set<String>) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let all = try String.fetchAll(db, sql: "SELECT key FROM copy_facts")
                for k in all where !keys.contains(k) {
                    try db.execute(sql: "DELETE FROM copy_facts WHERE key = ?", arguments: [k])
                }
                return .commit
            }
        }
    }

    /// The tasks named by `Codex-Task:` trailers among `head`'s newest commits, with the newest
    /// commit naming each, if answered before.
    public func headTrailers(_ head: String) throws -> [String: String]? {
        try wrap {
            try queue.read { db in
                guard
                    let text = try String.fetchOne(
                        db, sql: "SELECT tasks FROM head_trailers WHERE head = ?", arguments: [head])
                else { return nil }
                var out: [String: String] = [:]
                for pair in text.split(separator: " ") {
                    let kv = pair.split(separator: "=")
                    if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
                }
                return out
            }
        }
    }

    /// Stores the answer for `head`, keeping the `keep` most recent heads.
    public func storeHeadTrailers(_ head: String, _ tasks: [String: String], now: Timestamp, keep: Int = 8) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO head_trailers(head, tasks, used) VALUES (?, ?, ?)",
                    arguments: [
                        head, tasks.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                        now.seconds,
                    ])
                try db.execute(
                    sql: """
                        DELETE FROM head_trailers WHERE head IN
                        (SELECT head FROM head_trailers ORDER BY used DESC, head LIMIT -1 OFFSET ?)
                        """, arguments: [keep])
                return .commit
            }
        }
    }

    /// The grouped facts of every other copy, for one listing of copies (by content).
    public func mergedCopies(_ signature: String) throws -> [UInt8]? {
        try wrap {
            try queue.read { db in
                try Data.fetchOne(db, sql: "SELECT facts FROM copy_merged WHERE signature = ?", arguments: [signature])
                    .map(Array.init)
            }
        }
    }

    /// Stores the grouped facts of a listing, keeping the `keep` most recently stored. `listing`
    /// (the copies and content keys they were grouped from) lets the next listing update them.
    public func storeMergedCopies(
        _ signature: String, _ facts: [UInt8], listing: String? = nil, now: Timestamp, keep: Int = 16
    ) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO copy_merged(signature, facts, used, listing) VALUES (?, ?, ?, ?)",
                    arguments: [signature, Data(facts), now.seconds, listing])
                try db.execute(
                    sql: """
                        DELETE FROM copy_merged WHERE signature IN
                        (SELECT signature FROM copy_merged ORDER BY used DESC, signature LIMIT -1 OFFSET ?)
                        """, arguments: [keep])
                return .commit
            }
        }
    }

    /// The grouping stored last with its listing, to update rather than rebuild.
    public func latestUnion() throws -> (facts: [UInt8], listing: String?)? {
        try wrap {
            try queue.read { db in
                guard
                    let r = try Row.fetchOne(
                        db,
                        sql:
                            "SELECT facts, listing FROM copy_merged WHERE listing IS NOT NULL ORDER BY used DESC LIMIT 1"
                    )
                else { return nil }
                let facts: Data = r[0]
                return (Array(facts), r[1])
            }
        }
    }

    /// The content hash of another worktree's state file when its stamp is still `stamp`.
    public func fileHash(path: String, stamp: FileStamp) throws -> String? {
        try wrap {
            try queue.read { db in
                try String.fetchOne(
                    db, sql: "SELECT hash FROM file_stamps WHERE path = ? AND stamp = ?",
                    arguments: [path, stamp.encoded])
            }
        }
    }

    public func storeFileHash(path: String, stamp: FileStamp, hash: String) throws {
        try wrap {
            try queue.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO file_stamps(path, stamp, hash) VALUES (?, ?, ?)",
                    arguments: [path, stamp.encoded, hash])
            }
        }
    }

    /// Whether `tip` contains `commit`, for the pairs already answered (ancestry between two
    /// commits never changes).
    public func contains(tips: [String], commits: [String]) throws -> [String: [String: Bool]] {
        try wrap {
            try queue.read { db in
                var out: [String: [String: Bool]] = [:]
                let wantedTips = Set(tips)
                let wantedCommits = Set(commits)
                // One pass over the table (a few rows per branch) instead of a query per pair.
                let rows = try Row.fetchCursor(db, sql: "SELECT tip, commit_id, answer FROM contains")
                while let r = try rows.next() {
                    let t: String = r[0]
                    let c: String = r[1]
                    let a: Int = r[2]
                    if wantedTips.contains(t) && wantedCommits.contains(c) { out[c, default: [:]][t] = a == 1 }
                }
                return out
            }
        }
    }

    public func storeContains(_ answers: [(tip: String, commit: String, contains: Bool)]) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let insert = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO contains(tip, commit_id, answer) VALUES (?, ?, ?)")
                for a in answers { try insert.execute(arguments: [a.tip, a.commit, a.contains ? 1 : 0]) }
                return .commit
            }
        }
    }

    // MARK: - Rows

    /// Writes a task's row and its dependency edges.
    static func put(_ t: TaskRecord, _ db: Database, replacing: Bool) throws {
        let row = TaskRow(t, record: Data(try CanonicalJSON.encodeCompact(t)))
        try db.cachedStatement(sql: insertSQL("tasks", TaskRow.columns)).execute(
            arguments: StatementArguments(row.values))
        if replacing { try db.execute(sql: "DELETE FROM task_deps WHERE task_id = ?", arguments: [t.id]) }
        let edge = try db.cachedStatement(sql: "INSERT INTO task_deps(task_id, dep_id) VALUES (?, ?)")
        for d in t.deps { try edge.execute(arguments: [t.id, d]) }
    }

    private static func put(_ m: Milestone, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO milestones(id, record) VALUES (?, ?)",
            arguments: [m.id, Data(try CanonicalJSON.encodeCompact(m))])
    }

    private static func put(_ g: Goal, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO goals(id, record) VALUES (?, ?)",
            arguments: [g.id, Data(try CanonicalJSON.encodeCompact(g))])
    }

    private static func setMeta(_ db: Database, hash: String, stamp: FileStamp?, project: ProjectInfo) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('hash', ?), ('stamp', ?), ('project', ?)",
            arguments: [hash, stamp?.encoded ?? "", project.name])
    }

    func wrap<T>(_ body: () throws -> T) throws -> T {
        if held { throw StoreError.index(path: path, reason: "held by another process") }
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch let e as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(e.resultCode) {
            held = true
            throw StoreError.index(path: path, reason: "held by another process (\(e))")
        } catch {
            throw StoreError.index(path: path, reason: "\(error)")
        }
    }
}

public struct RecoveryKey: Hashable, Sendable {
    public var task: String
    public var commit: String
    public init(task: String, commit: String) {
        self.task = task
        self.commit = commit
    }
}

public struct CommitFacts: Hashable, Sendable {
    /// nil when not computed (patch-ids are computed only when needed) or for merge commits.
    public var patchID: String?
    public var taskIDs: [String]
    public init(patchID: String?, taskIDs: [String]) {
        self.patchID = patchID
        self.taskIDs = taskIDs
    }
}
