/// A session that has started in one worktree and not ended yet.
///
/// It is per worktree and per clone, so it is never committed: it lives in the worktree's git
/// directory (`<git dir>/codex-state/open-session.json`). Only an ended session becomes a
/// committed file (``SessionRecord``).
public struct OpenSession: Codable, Hashable, Sendable {
    public static let currentSchema = 1

    public var schema: Int
    /// `s-` and 10 hex digits (``SessionNaming/makeID(branch:actor:at:nonce:)``).
    public var id: String
    /// The branch checked out when the session started; nil on a detached HEAD.
    public var branch: String?
    /// HEAD when the session started; nil on an unborn branch.
    public var headStart: String?
    public var actor: String
    public var started: Timestamp
    /// Who opened it: `cli`, `checkout-hook`, or a tool's own tag (a Codex thread id, say).
    public var source: String
    /// What the session is for, if given at start; `session end --summary` replaces it.
    public var summary: String?
    /// The size in bytes of the clone's operation journal when the session started. The session's
    /// operations are the records appended after it (and made in this worktree): offsets, unlike
    /// times, still tell operations apart when many happen within one second.
    public var journalOffset: Int64

    public init(
        id: String, branch: String?, headStart: String?, actor: String, started: Timestamp, source: String,
        summary: String?, journalOffset: Int64
    ) {
        schema = Self.currentSchema
        self.id = id
        self.branch = branch
        self.headStart = headStart
        self.actor = actor
        self.started = started
        self.source = source
        self.summary = summary
        self.journalOffset = journalOffset
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, branch, actor, started, source, summary
        case headStart = "head_start"
        case journalOffset = "journal_offset"
    }

    /// Absent values are written as null, so every file has the same keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(id, forKey: .id)
        try c.encode(branch, forKey: .branch)
        try c.encode(headStart, forKey: .headStart)
        try c.encode(actor, forKey: .actor)
        try c.encode(started, forKey: .started)
        try c.encode(source, forKey: .source)
        try c.encode(summary, forKey: .summary)
        try c.encode(journalOffset, forKey: .journalOffset)
    }
}

/// A task a session touched, with its title as the session last saw it.
public struct SessionTask: Codable, Hashable, Sendable {
    public var id: String
    public var title: String
    public init(id: String, title: String) {
        self.id = id
        self.title = title
    }
}

/// A commit made (or brought in) during a session.
public struct SessionCommit: Codable, Hashable, Sendable {
    /// 40 hex digits.
    public var sha: String
    /// The first paragraph of the message, on one line.
    public var subject: String
    public init(sha: String, subject: String) {
        self.sha = sha
        self.subject = subject
    }
}

/// What the operation journal says a session did to tasks. Each list is in the order the tasks
/// were first touched; a task created and then started appears in both lists.
public struct SessionActivity: Hashable, Sendable {
    public var created: [SessionTask] = []
    public var started: [SessionTask] = []
    public var completed: [SessionTask] = []
    /// Tasks changed in any other way (edited, blocked, cancelled, reopened, dependencies).
    public var updated: [SessionTask] = []

    public init() {}

    public var isEmpty: Bool { created.isEmpty && started.isEmpty && completed.isEmpty && updated.isEmpty }

    /// Classifies the task changes of a session's journal records, oldest first.
    ///
    /// Started means the status became `in_progress`, completed that it became `done`, created
    /// that the task did not exist before. The status transition, not the presence of a
    /// `completion` record, decides: a completion re-anchored by a rebase is not a new completion.
    public init(changes: [EntityChange]) {
        var order: [String] = []
        var titles: [String: String] = [:]
        var created = Set<String>()
        var started = Set<String>()
        var completed = Set<String>()
        for change in changes where change.kind == "task" {
            let before = Self.task(change.before)
            let after = Self.task(change.after)
            guard before != nil || after != nil else { continue }
            if titles[change.id] == nil { order.append(change.id) }
            titles[change.id] = (after ?? before)?.title ?? ""
            if before == nil, after != nil { created.insert(change.id) }
            if let a = after, a.status == .inProgress, before?.status != .inProgress { started.insert(change.id) }
            if let a = after, a.status == .done, before?.status != .done { completed.insert(change.id) }
        }
        func list(_ ids: Set<String>) -> [SessionTask] {
            order.filter(ids.contains).map { SessionTask(id: $0, title: titles[$0] ?? "") }
        }
        self.created = list(created)
        self.started = list(started)
        self.completed = list(completed)
        self.updated = list(Set(order).subtracting(created).subtracting(started).subtracting(completed))
    }

    private static func task(_ value: EntityValue?) -> TaskRecord? {
        if case .task(let t)? = value { return t }
        return nil
    }
}

/// One ended session: the immutable file `.codex-state/sessions/<ended>_<branch slug>_<id>.json`.
///
/// Written once, never rewritten; new sessions add new files, so two branches never conflict
/// over them. docs/sessions.md describes every field.
public struct SessionRecord: Codable, Hashable, Sendable {
    public static let currentSchema = 1
    /// At most this many commits are listed; `commits_omitted` counts the rest.
    public static let commitLimit = 50
    /// At most this many changed paths are listed; `files_omitted` counts the rest.
    public static let fileLimit = 200

    public var schema: Int
    public var id: String
    /// The branch the session started on; nil on a detached HEAD.
    public var branch: String?
    /// HEAD when the session started; nil on an unborn branch.
    public var headStart: String?
    /// The tip of `branch` when the session ended (HEAD, for a detached session).
    public var headEnd: String?
    public var actor: String
    public var started: Timestamp
    public var ended: Timestamp
    public var source: String
    /// What ended it: `session-end`, `session-start` (replaced by a new session) or
    /// `checkout-hook` (``SessionSource``).
    public var closedBy: String
    public var summary: String?
    public var decisions: [String]
    public var followUps: [String]
    public var tasksCreated: [SessionTask]
    public var tasksStarted: [SessionTask]
    public var tasksCompleted: [SessionTask]
    public var tasksUpdated: [SessionTask]
    /// Commits reachable from `head_end` and not from `head_start`, newest first, at most
    /// ``commitLimit``.
    public var commits: [SessionCommit]
    public var commitsOmitted: Int
    /// Paths that differ between the trees of `head_start` and `head_end`, sorted, at most
    /// ``fileLimit``.
    public var files: [String]
    public var filesOmitted: Int

    public init(
        open: OpenSession, headEnd: String?, ended: Timestamp, closedBy: String,
        summary: String?, decisions: [String], followUps: [String], activity: SessionActivity,
        commits: [SessionCommit], commitsOmitted: Int, files: [String], filesOmitted: Int
    ) {
        schema = Self.currentSchema
        id = open.id
        branch = open.branch
        headStart = open.headStart
        self.headEnd = headEnd
        actor = open.actor
        started = open.started
        self.ended = ended
        source = open.source
        self.closedBy = closedBy
        self.summary = summary
        self.decisions = decisions
        self.followUps = followUps
        tasksCreated = activity.created
        tasksStarted = activity.started
        tasksCompleted = activity.completed
        tasksUpdated = activity.updated
        self.commits = commits
        self.commitsOmitted = commitsOmitted
        self.files = files
        self.filesOmitted = filesOmitted
    }

    /// The no-activity rule: a session saw activity when it touched a task (per the journal),
    /// when commits lie between its two heads, or when someone wrote a summary, a decision or a
    /// follow-up. A session the checkout hook opened and closed without activity is not written.
    public var hadActivity: Bool {
        !(tasksCreated.isEmpty && tasksStarted.isEmpty && tasksCompleted.isEmpty && tasksUpdated.isEmpty)
            || !commits.isEmpty || commitsOmitted > 0 || !(summary ?? "").isEmpty || !decisions.isEmpty
            || !followUps.isEmpty
    }

    /// The file name this record is written under.
    public var fileName: String { SessionNaming.fileName(ended: ended, branch: branch, id: id) }

    enum CodingKeys: String, CodingKey {
        case schema, id, branch, actor, started, ended, source, summary, decisions, commits, files
        case headStart = "head_start"
        case headEnd = "head_end"
        case closedBy = "closed_by"
        case followUps = "follow_ups"
        case tasksCreated = "tasks_created"
        case tasksStarted = "tasks_started"
        case tasksCompleted = "tasks_completed"
        case tasksUpdated = "tasks_updated"
        case commitsOmitted = "commits_omitted"
        case filesOmitted = "files_omitted"
    }

    /// Lists absent from a file (written by a tool that left them out) read as empty.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(Int.self, forKey: .schema)
        id = try c.decode(String.self, forKey: .id)
        branch = try c.decodeIfPresent(String.self, forKey: .branch)
        headStart = try c.decodeIfPresent(String.self, forKey: .headStart)
        headEnd = try c.decodeIfPresent(String.self, forKey: .headEnd)
        actor = try c.decode(String.self, forKey: .actor)
        started = try c.decode(Timestamp.self, forKey: .started)
        ended = try c.decode(Timestamp.self, forKey: .ended)
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? "unknown"
        closedBy = try c.decodeIfPresent(String.self, forKey: .closedBy) ?? "unknown"
        summary = try c.decodeIfPresent(String.self, forKey: .summary)
        decisions = try c.decodeIfPresent([String].self, forKey: .decisions) ?? []
        followUps = try c.decodeIfPresent([String].self, forKey: .followUps) ?? []
        tasksCreated = try c.decodeIfPresent([SessionTask].self, forKey: .tasksCreated) ?? []
        tasksStarted = try c.decodeIfPresent([SessionTask].self, forKey: .tasksStarted) ?? []
        tasksCompleted = try c.decodeIfPresent([SessionTask].self, forKey: .tasksCompleted) ?? []
        tasksUpdated = try c.decodeIfPresent([SessionTask].self, forKey: .tasksUpdated) ?? []
        commits = try c.decodeIfPresent([SessionCommit].self, forKey: .commits) ?? []
        commitsOmitted = try c.decodeIfPresent(Int.self, forKey: .commitsOmitted) ?? 0
        files = try c.decodeIfPresent([String].self, forKey: .files) ?? []
        filesOmitted = try c.decodeIfPresent(Int.self, forKey: .filesOmitted) ?? 0
    }

    /// Absent values are written as null, so every file has the same keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(id, forKey: .id)
        try c.encode(branch, forKey: .branch)
        try c.encode(headStart, forKey: .headStart)
        try c.encode(headEnd, forKey: .headEnd)
        try c.encode(actor, forKey: .actor)
        try c.encode(started, forKey: .started)
        try c.encode(ended, forKey: .ended)
        try c.encode(source, forKey: .source)
        try c.encode(closedBy, forKey: .closedBy)
        try c.encode(summary, forKey: .summary)
        try c.encode(decisions, forKey: .decisions)
        try c.encode(followUps, forKey: .followUps)
        try c.encode(tasksCreated, forKey: .tasksCreated)
        try c.encode(tasksStarted, forKey: .tasksStarted)
        try c.encode(tasksCompleted, forKey: .tasksCompleted)
        try c.encode(tasksUpdated, forKey: .tasksUpdated)
        try c.encode(commits, forKey: .commits)
        try c.encode(commitsOmitted, forKey: .commitsOmitted)
        try c.encode(files, forKey: .files)
        try c.encode(filesOmitted, forKey: .filesOmitted)
    }
}

/// Who opens and closes sessions.
public enum SessionSource {
    /// `session start` / `session end` typed by someone.
    public static let cli = "cli"
    /// The post-checkout hook, through `Workspace.switchSession`. Sessions it opens are discarded
    /// when they close without activity (``SessionRecord/hadActivity``).
    public static let checkoutHook = "checkout-hook"
    /// `closed_by` of a session ended by `session end`.
    public static let sessionEnd = "session-end"
    /// `closed_by` of a session that a newer `session start` replaced.
    public static let sessionStart = "session-start"
}

/// Session ids, branch slugs and session file names.
public enum SessionNaming {
    /// The slug of a detached HEAD. A branch literally named `detached` gets a hash suffix.
    public static let detachedSlug = "detached"
    /// Longest slug, hash suffix included.
    public static let slugLimit = 40
    /// Hex digits of the suffix that tells lossy slugs apart.
    static let suffixLength = 6

    /// `s-` and 10 hex digits of SHA-256 over the branch, actor, time and a random nonce the
    /// caller supplies, like every other id (the model has no randomness).
    public static func makeID(branch: String?, actor: String, at: Timestamp, nonce: UInt64) -> String {
        let material = "session\u{0}\(branch ?? "")\u{0}\(actor)\u{0}\(at.seconds)\u{0}\(nonce)"
        return "s-" + Identifiers.hex(SHA256.digest(Array(material.utf8))).prefix(Identifiers.hexLength)
    }

    /// Whether `text` has the shape of a session id.
    public static func isID(_ text: String) -> Bool {
        let b = Array(text.utf8)
        return b.count == 2 + Identifiers.hexLength && b[0] == 0x73 && b[1] == 0x2D
            && b[2...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// A branch name made safe for a file name on every platform.
    ///
    /// Lower-case ASCII letters, digits, `-`, `_` and `.` are kept; upper-case ASCII letters are
    /// lowered; anything else (a `/`, a space, a non-ASCII character) becomes `-`; runs of `-`
    /// and of `.` collapse to one; no `-` or `.` at either end; `feature/x` reads `feature-x`.
    /// When that lost information (the name was not already its own slug, or is longer than
    /// ``slugLimit``), a `-` and six hex digits of SHA-256 over the branch name are appended, so
    /// `a/b` (`a-b-<hex>`) and `a-b` never share a slug. At most ``slugLimit`` characters. A
    /// detached HEAD is `detached`; a branch named `detached` gets the suffix.
    public static func slug(_ branch: String?) -> String {
        guard let branch else { return detachedSlug }
        var out: [UInt8] = []
        for b in branch.utf8 {
            var c = b
            if c >= 0x41, c <= 0x5A { c += 0x20 }
            let keep = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2E
            let next: UInt8 = keep ? c : 0x2D
            // Collapse runs of '-' and of '.'; a '.' next to a '-' is dropped too (no ".-." pieces).
            if next == 0x2D || next == 0x2E, let last = out.last, last == 0x2D || last == 0x2E {
                if next == 0x2D { out[out.count - 1] = 0x2D }
                continue
            }
            out.append(next)
        }
        var readable = trimmed(out)
        let exact = readable == Array(branch.utf8) && branch != detachedSlug
        if exact && readable.count <= slugLimit { return String(decoding: readable, as: UTF8.self) }
        let suffix = Identifiers.hex(SHA256.digest(Array(branch.utf8))).prefix(suffixLength)
        readable = trimmed(Array(readable.prefix(slugLimit - suffixLength - 1)))
        if readable.isEmpty { readable = Array("branch".utf8) }
        return String(decoding: readable, as: UTF8.self) + "-" + suffix
    }

    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var s = bytes[...]
        while let f = s.first, f == 0x2D || f == 0x2E { s = s.dropFirst() }
        while let l = s.last, l == 0x2D || l == 0x2E { s = s.dropLast() }
        return Array(s)
    }

    /// `YYYYMMDDTHHMMSSZ`, the sortable time at the front of a session file name.
    public static func compactTime(_ t: Timestamp) -> String {
        String(t.iso8601.filter { $0 != "-" && $0 != ":" })
    }

    /// `<ended, YYYYMMDDTHHMMSSZ>_<branch slug>_<id>.json`. Names sort by end time.
    public static func fileName(ended: Timestamp, branch: String?, id: String) -> String {
        "\(compactTime(ended))_\(slug(branch))_\(id).json"
    }

    /// The parts of a session file name, or nil for any other file. A slug may itself contain
    /// `_`, so the time is cut at the first `_` and the id at the last.
    public static func parse(fileName: String) -> (time: String, slug: String, id: String)? {
        guard fileName.hasSuffix(".json"), !fileName.hasPrefix(".") else { return nil }
        let stem = fileName.dropLast(5)
        guard let first = stem.firstIndex(of: "_"), let last = stem.lastIndex(of: "_"), first < last else {
            return nil
        }
        let time = String(stem[..<first])
        let slug = String(stem[stem.index(after: first)..<last])
        let id = String(stem[stem.index(after: last)...])
        guard time.utf8.count == 16, isID(id), !slug.isEmpty else { return nil }
        return (time, slug, id)
    }

    /// The outcome of looking up a session by id or unique id prefix.
    public enum Lookup: Equatable, Sendable {
        case found(String)
        case notFound
        case ambiguous([String])
    }

    /// Resolves a full session id or a unique prefix of one, with or without `s-`.
    public static func resolve<S: Sequence>(_ input: String, among ids: S) -> Lookup where S.Element == String {
        let needle = input.lowercased()
        guard !needle.isEmpty else { return .notFound }
        let full = needle.hasPrefix("s-") ? needle : "s-" + needle
        var matches = Set<String>()
        for id in ids {
            if id == full { return .found(id) }
            if id.hasPrefix(full) { matches.insert(id) }
        }
        switch matches.count {
        case 0: return .notFound
        case 1: return .found(matches.first ?? full)
        default: return .ambiguous(matches.sorted())
        }
    }
}
