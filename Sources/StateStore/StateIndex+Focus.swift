import GRDB
import StateModel

/// Point lookups a focused transaction makes instead of loading every task.
extension StateIndex {
    /// What ``Identifiers/resolve(_:kind:lookup:)`` asks: the task id equal to `needle` or
    /// `full`, else up to `limit` ids starting with `full` (in id order), read through the primary
    /// key. Among this worktree's tasks, or with `everywhere` among every row of the read model
    /// (tasks only other copies have included).
    public func taskIDs(needle: String, full: String, everywhere: Bool = false, limit: Int = 6) throws
        -> (String?, [String])
    {
        let table = everywhere ? "evaluated" : "tasks"
        return try wrap {
            try queue.read { db in
                for candidate in [needle, full] {
                    if let id = try String.fetchOne(
                        db, sql: "SELECT id FROM \(table) WHERE id = ?", arguments: [candidate])
                    {
                        return (id, [])
                    }
                }
                // Every id starting with `full` sorts between it and it followed by the largest
                // scalar (SQLite compares text byte by byte, UTF-8 keeps that order).
                let ids = try String.fetchAll(
                    db, sql: "SELECT id FROM \(table) WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                    arguments: [full, full + "\u{10FFFF}", limit])
                return (nil, ids)
            }
        }
    }

    /// The tasks that depend on `id`, and its parent: the only tasks whose readiness a change of
    /// `id`'s status can change.
    public func neighbours(of id: String) throws -> (dependents: [String], parent: String?) {
        try wrap {
            try queue.read { db in
                let dependents = try String.fetchAll(
                    db, sql: "SELECT task_id FROM task_deps WHERE dep_id = ? ORDER BY task_id", arguments: [id])
                let parent = try String?.fetchOne(db, sql: "SELECT parent FROM tasks WHERE id = ?", arguments: [id])
                return (dependents, parent ?? nil)
            }
        }
    }

    /// The tasks the file records in progress for `actor` on `branch` (by id).
    public func tasksInProgress(actor: String, branch: String?) throws -> [String] {
        try wrap {
            try queue.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM tasks WHERE status = 'in_progress' AND started_actor = ? AND started_branch IS ?
                        ORDER BY id
                        """, arguments: [actor, branch])
            }
        }
    }

    /// The tasks the file records done by one of `commits`.
    public func tasksCompleted(by commits: Set<String>) throws -> [TaskSummary] {
        try wrap {
            try queue.read { db in
                var out: [TaskSummary] = []
                let rows = try TaskRow.fetchCursor(
                    db,
                    sql:
                        "SELECT \(TaskRow.summaryColumns) FROM tasks WHERE status = 'done' AND completion_commit IS NOT NULL"
                )
                while let r = try rows.next() {
                    if let c = r.summary.completionCommit, commits.contains(c) { out.append(r.summary) }
                }
                return out.sorted { $0.id < $1.id }
            }
        }
    }

    /// The tasks whose completion or start records one of `commits` (what a rewrite of those
    /// commits re-points), by id.
    public func tasksAnchored(at commits: Set<String>) throws -> [String] {
        guard !commits.isEmpty else { return [] }
        return try wrap {
            try queue.read { db in
                var out = Set<String>()
                let list = Array(commits)
                for start in stride(from: 0, to: list.count, by: 500) {
                    let chunk = Array(list[start..<min(start + 500, list.count)])
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    for column in ["completion_commit", "started_commit"] {
                        out.formUnion(
                            try String.fetchAll(
                                db, sql: "SELECT id FROM tasks WHERE \(column) IN (\(marks))",
                                arguments: StatementArguments(chunk)))
                    }
                }
                return out.sorted()
            }
        }
    }

    /// The titles of the tasks the file records neither done nor cancelled.
    public func unfinishedTitles() throws -> [String] {
        try wrap {
            try queue.read { db in
                try String.fetchAll(db, sql: "SELECT title FROM tasks WHERE status NOT IN ('done', 'cancelled')")
            }
        }
    }

    /// A task's dependencies as the file records them (none for a task it does not have).
    public func dependencies(of id: String) throws -> [String] {
        try wrap {
            try queue.read { db in
                try String.fetchAll(
                    db, sql: "SELECT dep_id FROM task_deps WHERE task_id = ? ORDER BY rowid", arguments: [id])
            }
        }
    }

    /// A task's parent as the file records it.
    public func parent(of id: String) throws -> String? {
        try wrap {
            try queue.read { db in
                try String?.fetchOne(db, sql: "SELECT parent FROM tasks WHERE id = ?", arguments: [id]) ?? nil
            }
        }
    }

    /// Whether a task has this id.
    public func hasTask(_ id: String) throws -> Bool {
        try wrap {
            try queue.read { db in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM tasks WHERE id = ?", arguments: [id]) ?? false
            }
        }
    }
}

/// HEAD's subject, kept for the commit it was read from (a commit's message never changes), so a
/// read that shows it after a change initialises no libgit2 while HEAD stays.
extension StateIndex {
    public func subject(of commit: String) throws -> String? {
        try wrap {
            try queue.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["subject:" + commit])
            }
        }
    }

    /// Keeps `subject` for `commit`, in place of the one kept for an earlier HEAD.
    public func keepSubject(_ subject: String, of commit: String) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                try db.execute(sql: "DELETE FROM meta WHERE key LIKE 'subject:%'")
                try db.execute(
                    sql: "INSERT INTO meta(key, value) VALUES (?, ?)", arguments: ["subject:" + commit, subject])
                return .commit
            }
        }
    }
}
