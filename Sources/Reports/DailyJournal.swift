import StateModel

/// `codex-state journal`: a human-readable Markdown page for one day, written from the session
/// records and the operation journal. Pure and deterministic: the same inputs give the same
/// bytes (no clock, no model). Private memories never appear, and a memory forgotten since is
/// named, not quoted.
public enum DailyJournal {
    /// One journaled operation, as the page needs it.
    public struct Operation: Sendable {
        public var at: Timestamp
        public var actor: String
        public var branch: String?
        public var changes: [EntityChange]

        public init(at: Timestamp, actor: String, branch: String?, changes: [EntityChange]) {
            self.at = at
            self.actor = actor
            self.branch = branch
            self.changes = changes
        }
    }

    static let width = 400

    /// The page for `day` (`YYYY-MM-DD`, UTC). `sessions` and `operations` may hold other days:
    /// only the day's are used. `memories` is the current committed map (for tombstones).
    public static func render(
        day: String, sessions: [SessionRecord], operations: [Operation], memories: [String: Memory]
    ) -> String {
        func onDay(_ t: Timestamp) -> Bool { t.iso8601.hasPrefix(day) }
        func who(_ actor: String, _ branch: String?) -> String {
            "(@" + Inline.markdown(actor, width: 40) + " on "
                + (branch.map { Inline.code($0, width: 80) } ?? "a detached HEAD") + ")"
        }
        let daySessions = sessions.filter { onDay($0.started) || onDay($0.ended) }.sorted {
            ($0.started, $0.id) < ($1.started, $1.id)
        }
        let ops = operations.enumerated().filter { onDay($0.element.at) }.sorted {
            ($0.element.at, $0.offset) < ($1.element.at, $1.offset)
        }.map(\.element)

        var objectives: [String] = []
        var started: [String] = []
        var completed: [String] = []
        var decisions: [String] = []
        var rules: [String] = []
        var commits: [String] = []

        for s in daySessions {
            if let summary = s.summary {
                objectives.append("- " + Inline.quoted(summary, width: width) + " (session " + Inline.id(s.id) + ")")
            }
            for d in s.decisions {
                decisions.append("- " + Inline.quoted(d, width: width) + " (session " + Inline.id(s.id) + ")")
            }
            for c in s.commits {
                commits.append(
                    "- `" + String(c.sha.prefix(7)).filter(\.isHexDigit) + "` " + Inline.quoted(c.subject, width: 200)
                        + " (session " + Inline.id(s.id) + ")")
            }
        }
        for op in ops {
            for c in op.changes {
                switch (c.before, c.after) {
                case (nil, .goal(let g)?):
                    objectives.append(
                        "- goal " + Inline.id(g.id) + " " + Inline.quoted(g.text, width: width) + " "
                            + who(op.actor, op.branch))
                case (let b, .task(let t)?):
                    var before: TaskRecord?
                    if case .task(let x)? = b { before = x }
                    let title = Inline.id(t.id) + " " + Inline.quoted(t.title, width: 200)
                    if t.status == .inProgress, before?.status != .inProgress {
                        started.append("- " + title + " " + who(op.actor, op.branch))
                    }
                    if let done = t.completion, before?.completion == nil {
                        let at: String
                        if let commit = done.commit {
                            at = " at `" + String(commit.prefix(7)).filter(\.isHexDigit) + "`"
                        } else {
                            at = ""
                        }
                        completed.append("- " + title + at + " " + who(op.actor, op.branch))
                    }
                case (nil, .memory(let m)?):
                    let now = memories[m.id]
                    let text =
                        now == nil || now?.isForgotten == true
                        ? "(forgotten since)" : Inline.quoted(m.text, width: width)
                    let label = m.kind == .decision ? "" : m.kind.rawValue + " "
                    var line = "- " + label + Inline.id(m.id) + " " + text
                    if let why = m.why, now?.isForgotten == false {
                        line += " · why: " + Inline.quoted(why, width: 200)
                    }
                    if !m.supersedes.isEmpty {
                        line += " · supersedes " + m.supersedes.map(Inline.id).joined(separator: ", ")
                    }
                    line += " " + who(op.actor, op.branch)
                    switch m.kind {
                    case .decision: decisions.append(line)
                    case .constraint, .note: rules.append(line)
                    }
                default: break
                }
            }
        }

        var lines = [
            "# AI journal: " + Inline.markdown(day, width: 10), "",
            "_Written by `codex-state journal --date " + Inline.markdown(day, width: 10)
                + "` from this clone's sessions and operation journal; regenerate it rather than editing it._",
        ]
        func section(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines += ["", "## " + title] + items
        }
        section(
            "Sessions",
            daySessions.map { s in
                "- " + Inline.id(s.id) + " @" + Inline.markdown(s.actor, width: 40) + " on "
                    + (s.branch.map { Inline.code($0, width: 80) } ?? "a detached HEAD") + ", "
                    + s.started.iso8601 + " to " + s.ended.iso8601
                    + ": \(s.commits.count + s.commitsOmitted) commit(s), "
                    + "\(s.tasksCompleted.count) task(s) completed"
            })
        section("Objectives", objectives)
        section("Tasks started", started)
        section("Tasks completed", completed)
        section("Decisions", decisions)
        section("Constraints and notes", rules)
        section("Commits", commits)
        if lines.count == 3 { lines += ["", "Nothing was recorded on this day."] }
        return lines.joined(separator: "\n") + "\n"
    }
}
