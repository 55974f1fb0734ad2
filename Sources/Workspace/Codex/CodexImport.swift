import Foundation
import StateModel
import StateStore

/// `codex import`: Codex rollouts of this repository into session snapshots.
public struct CodexImportOptions: Sendable {
    /// Only rollouts whose session started at or after this time.
    public var since: Timestamp?
    /// Create tasks from the last `update_plan` of each imported session (steps not completed).
    public var planTasks = false
    /// Import rollouts modified in the last ``activeSeconds`` too (normally skipped as still being written).
    public var includeActive = false
    public var now: Timestamp

    public static let activeSeconds: Int64 = 120

    public init(since: Timestamp?, planTasks: Bool, includeActive: Bool, now: Timestamp) {
        self.since = since
        self.planTasks = planTasks
        self.includeActive = includeActive
        self.now = now
    }
}

public struct CodexImportResult: Sendable, Encodable {
    public struct Item: Sendable, Encodable {
        public var file: String
        /// imported, already-imported, other-repository, active, too-old, unreadable
        public var outcome: String
        public var session: String?
        public var detail: String?
    }
    public var items: [Item] = []
}

extension Workspace {
    /// The rollout files under `$CODEX_HOME/sessions` and `archived_sessions`, sorted by path.
    public static func rolloutFiles(codexHome: String) -> [String] {
        var out: [String] = []
        for dir in ["sessions", "archived_sessions"] {
            let root = codexHome + "/" + dir
            guard let e = FileManager.default.enumerator(atPath: root) else { continue }
            for case let rel as String in e {
                let name = (rel as NSString).lastPathComponent
                if name.hasPrefix("rollout-"), name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.zst") {
                    out.append(root + "/" + rel)
                }
            }
        }
        return out.sorted()
    }

    /// The session id an imported rollout gets: the same thread, the same id, so a second import
    /// (or a concurrent one) finds it and writes nothing.
    public static func importedSessionID(thread: String) -> String {
        "s-" + String(ContentHash.sha256(Array(("codex-rollout\u{0}" + thread).utf8)).prefix(Identifiers.hexLength))
    }

    public func importRollouts(_ files: [String], options: CodexImportOptions, command: String) throws
        -> CodexImportResult
    {
        var result = CodexImportResult()
        let root = realPath(paths.workdir) ?? paths.workdir
        for file in files {
            func item(_ outcome: String, _ session: String? = nil, _ detail: String? = nil) {
                result.items.append(.init(file: file, outcome: outcome, session: session, detail: detail))
            }
            var st = stat()
            // The real clock: whether Codex is still writing has nothing to do with CODEX_STATE_NOW.
            if !options.includeActive, stat(file, &st) == 0,
                Int64(time(nil)) - Int64(st.st_mtim.tv_sec) < CodexImportOptions.activeSeconds
            {
                item(
                    "active", nil,
                    "modified in the last \(CodexImportOptions.activeSeconds) s: still being written? (--include-active)"
                )
                continue
            }
            let header: Rollout
            do {
                header = try Rollout.read(file, headerOnly: true)
            } catch {
                item("unreadable", nil, "\(error)")
                continue
            }
            guard let cwd = header.cwd, let thread = header.thread else {
                item("unreadable", nil, "no session_meta line")
                continue
            }
            let realCwd = realPath(cwd) ?? cwd
            guard realCwd == root || realCwd.hasPrefix(root + "/") else {
                item("other-repository", nil, cwd)
                continue
            }
            if let since = options.since, let started = header.started, started < since {
                item("too-old")
                continue
            }
            let id = Self.importedSessionID(thread: thread)
            if try importedAlready(id) {
                item("already-imported", id)
                continue
            }
            let r: Rollout
            do {
                r = try Rollout.read(file)
            } catch {
                item("unreadable", nil, "\(error)")
                continue
            }
            let created = options.planTasks ? try planTasks(r, command: command) : []
            // Under the lock: a concurrent import of the same rollout finds this one's file.
            let lock = try writeLock()
            defer { withExtendedLifetime(lock) {} }
            if try sessions(.all).entries.contains(where: { $0.record.id == id }) {
                item("already-imported", id)
                continue
            }
            let entry = try writeImported(r, id: id, created: created, options: options)
            var notes: [String] = []
            if r.skippedLines > 0 { notes.append("\(r.skippedLines) line(s) not JSON, skipped") }
            item("imported", entry.file, notes.isEmpty ? nil : notes.joined(separator: "; "))
        }
        return result
    }

    func importedAlready(_ id: String) throws -> Bool {
        try sessions(.all).entries.contains { $0.record.id == id }
    }

    /// Tasks for the plan's steps that are not completed, in one transaction; a step whose title
    /// an unfinished task already has is not added again.
    func planTasks(_ r: Rollout, command: String) throws -> [SessionTask] {
        let steps = r.plan.filter { $0.status != "completed" }.map(\.step)
        guard !steps.isEmpty else { return [] }
        var existing = Set(try fileIndex(openIndex()).unfinishedTitles())
        return try transaction(command: command, footprint: Footprint(adds: true)) { state, ctx in
            var out: [SessionTask] = []
            for step in steps where existing.insert(step).inserted {
                let tid = try state.addTask(NewTask(title: step, labels: ["codex-plan"]), ctx)
                out.append(SessionTask(id: tid, title: step))
            }
            return out
        }
    }

    /// Writes the snapshot. The caller holds the lock.
    private func writeImported(_ r: Rollout, id: String, created: [SessionTask], options: CodexImportOptions) throws
        -> SessionEntry
    {
        let state = try store.readState().state
        var activity = SessionActivity()
        activity.created = created
        var seen = Set<String>()
        for c in r.completed {
            guard let tid = try? state.resolveTask(c), let t = state.tasks[tid], seen.insert(tid).inserted else {
                continue
            }
            activity.completed.append(SessionTask(id: tid, title: t.title))
        }
        let pending = r.plan.filter { $0.status != "completed" }
        let started = r.started ?? options.now
        let session = OpenSession(
            id: id, branch: r.branch, headStart: r.commit, actor: actor, started: started,
            source: "codex-rollout:" + (r.thread ?? "?"), summary: nil, journalOffset: 0)
        let record = SessionRecord(
            open: session, headEnd: r.commit, ended: r.ended ?? started, closedBy: "codex-import",
            summary: r.summary, decisions: [],
            followUps: options.planTasks ? [] : pending.map { "plan: " + $0.step }, activity: activity, commits: [],
            commitsOmitted: 0, files: Array(r.files.prefix(SessionRecord.fileLimit)),
            filesOmitted: max(0, r.files.count - SessionRecord.fileLimit))
        return try writeSessionFile(record)
    }
}
