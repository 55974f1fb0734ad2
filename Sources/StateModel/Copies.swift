/// Facts from the other copies of the state a clone can see: the files of the other linked
/// worktrees and the committed file at every local and remote-tracking branch tip.
///
/// Other copies contribute completion and progress facts only (see docs/state-format.md, "One
/// truth across branches and worktrees"); every other field comes from this worktree's copy.

/// Where a copy of the state lives.
public struct CopyName: Hashable, Sendable, Comparable {
    public enum Kind: String, Sendable, Codable {
        /// The committed file at a local branch tip.
        case branch
        /// The committed file at a remote-tracking branch tip (`origin/x`).
        case remote
        /// The (possibly uncommitted) file of another linked worktree of this clone.
        case worktree
        /// A live claim another clone published on the claims remote (docs/claims.md): no file,
        /// one fact — the task in progress — named `remote:<actor>`.
        case claim
    }
    public var kind: Kind
    /// The branch (`feature`, `origin/x`) or the worktree's directory name.
    public var name: String
    /// For a worktree: the branch it has checked out, if any.
    public var branch: String?

    public init(kind: Kind, name: String, branch: String? = nil) {
        self.kind = kind
        self.name = name
        self.branch = branch
    }

    /// How output names the copy: `feature`, `origin/x`, `worktree wt2`.
    public var label: String { kind == .worktree ? "worktree \(name)" : name }

    /// Local branches first, then worktrees, then remote-tracking branches, then other clones'
    /// claims; by name within each.
    public static func < (a: CopyName, b: CopyName) -> Bool {
        func rank(_ k: Kind) -> Int {
            switch k {
            case .branch: return 0
            case .worktree: return 1
            case .remote: return 2
            case .claim: return 3
            }
        }
        if rank(a.kind) != rank(b.kind) { return rank(a.kind) < rank(b.kind) }
        return a.name < b.name
    }
}

/// What one copy records about one task is that copy's summary of it (``TaskSummary``): its
/// completion and progress count everywhere; the rest lists a task that exists only in that copy
/// (`tasks --everywhere`, `task show`).
extension TaskSummary {
    /// The facts of a whole state worth keeping: every task, since a task found only in another
    /// copy is listed by `tasks --everywhere`.
    public static func facts(of state: ProjectState) -> [TaskSummary] {
        state.tasks.keys.sorted().compactMap { state.tasks[$0].map(TaskSummary.init) }
    }

    /// Whether this copy's summary says anything about completion or progress that this
    /// worktree's `here` summary does not already say (the rest of a task comes from here).
    public func adds(to here: TaskSummary) -> Bool {
        status != here.status || completionCommit != here.completionCommit || startedActor != here.startedActor
            || startedAt != here.startedAt || claimExpires != here.claimExpires
    }

    // MARK: - A compact line encoding (the index stores every copy's facts; JSON is too slow)

    private static let fieldSeparator: UInt8 = 0x1F
    private static let listSeparator: UInt8 = 0x1D
    private static let absent: UInt8 = 0x1E
    private static let fieldCount = 18

    /// One line per summary, fields separated by U+001F, nil as U+001E, lists (dependencies,
    /// labels) joined by U+001D; `tags` (one per summary) add a last field. Inside a field, those
    /// three and a line feed become spaces (a line feed after a carriage return stays: the pair
    /// is one character, which the decoder's line split does not cut).
    public static func encode(_ facts: [TaskSummary], tags: [String]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(facts.count * 160)
        func put(_ s: String?) {
            guard let s else { return out.append(absent) }
            var previous: UInt8 = 0
            for b in s.utf8 {
                let special =
                    b == fieldSeparator || b == absent || b == listSeparator || (b == 0x0A && previous != 0x0D)
                out.append(special ? 0x20 : b)
                previous = b
            }
        }
        func put(_ n: Int64?) { put(n.map { String($0) }) }
        func put(_ list: [String]) {
            for (i, item) in list.enumerated() {
                if i > 0 { out.append(listSeparator) }
                put(item)
            }
        }
        for (i, f) in facts.enumerated() {
            put(f.id)
            out.append(fieldSeparator)
            put(f.status.rawValue)
            out.append(fieldSeparator)
            put(Int64(f.priority))
            out.append(fieldSeparator)
            put(f.completionCommit)
            out.append(fieldSeparator)
            put(f.completionBranch)
            out.append(fieldSeparator)
            put(f.startedActor)
            out.append(fieldSeparator)
            put(f.startedBranch)
            out.append(fieldSeparator)
            put(f.startedAt?.seconds)
            out.append(fieldSeparator)
            put(f.claimActor)
            out.append(fieldSeparator)
            put(f.claimExpires?.seconds)
            out.append(fieldSeparator)
            put(f.updatedAt?.seconds)
            out.append(fieldSeparator)
            put(f.title)
            out.append(fieldSeparator)
            put(f.parent)
            out.append(fieldSeparator)
            put(f.deps)
            out.append(fieldSeparator)
            put(f.labels)
            out.append(fieldSeparator)
            put(f.milestone)
            out.append(fieldSeparator)
            put(f.createdAt.seconds)
            out.append(fieldSeparator)
            put(Int64(f.conflictCount))
            if let tags {
                out.append(fieldSeparator)
                put(i < tags.count ? tags[i] : "")
            }
            out.append(0x0A)
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) -> [TaskSummary] { decodeTagged(bytes).map(\.0) }

    /// Summaries and the tag of each (empty when the line has none). A line that does not read
    /// as one is skipped.
    public static func decodeTagged(_ bytes: [UInt8]) -> [(TaskSummary, String)] {
        var out: [(TaskSummary, String)] = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let p = line.split(separator: "\u{1F}", omittingEmptySubsequences: false)
            guard p.count == fieldCount || p.count == fieldCount + 1, let status = TaskStatus(rawValue: String(p[1])),
                let priority = Int(p[2]), let created = Int64(p[16]), let conflicts = Int(p[17])
            else { continue }
            func optional(_ s: Substring) -> String? { s == "\u{1E}" ? nil : String(s) }
            func time(_ s: Substring) -> Timestamp? { optional(s).flatMap { Int64($0) }.map(Timestamp.init(seconds:)) }
            func list(_ s: Substring) -> [String] {
                s.isEmpty ? [] : s.split(separator: "\u{1D}", omittingEmptySubsequences: false).map(String.init)
            }
            out.append(
                (
                    TaskSummary(
                        id: String(p[0]), title: String(p[11]), status: status, priority: priority,
                        parent: optional(p[12]), deps: list(p[13]), labels: list(p[14]), milestone: optional(p[15]),
                        createdAt: Timestamp(seconds: created), startedActor: optional(p[5]),
                        startedBranch: optional(p[6]), startedAt: time(p[7]), completionCommit: optional(p[3]),
                        completionBranch: optional(p[4]), claimActor: optional(p[8]), claimExpires: time(p[9]),
                        conflictCount: conflicts, updatedAt: time(p[10])),
                    p.count == fieldCount + 1 ? String(p[fieldCount]) : ""
                ))
        }
        return out
    }
}

/// A fact and every other copy that records it identically.
public struct CopyFact: Hashable, Sendable {
    public var fact: TaskSummary
    /// Sorted (local branches, worktrees, remote-tracking branches).
    public var copies: [CopyName]
    public init(fact: TaskSummary, copies: [CopyName]) {
        self.fact = fact
        self.copies = copies
    }

    /// The grouped facts of `copies` (the listing, in order) as lines: each fact tagged with the
    /// positions of the copies that record it, or `*` when every copy does (the usual case: a
    /// completion fifty branches share is stored once, in a few bytes).
    public static func encode(_ facts: [String: [CopyFact]], copies: [CopyName]) -> [UInt8] {
        let position = Dictionary(copies.enumerated().map { ($1, $0) }, uniquingKeysWith: min)
        var list: [TaskSummary] = []
        var tags: [String] = []
        for id in facts.keys.sorted() {
            for f in facts[id] ?? [] {
                list.append(f.fact)
                tags.append(
                    f.copies.count == copies.count
                        ? "*" : f.copies.compactMap { position[$0].map(String.init) }.joined(separator: ","))
            }
        }
        return TaskSummary.encode(list, tags: tags)
    }

    /// The inverse of ``encode(_:copies:)`` for the same listing.
    public static func decode(_ bytes: [UInt8], copies: [CopyName]) -> [String: [CopyFact]] {
        let all = copies.sorted()
        var out: [String: [CopyFact]] = [:]
        for (f, tag) in TaskSummary.decodeTagged(bytes) {
            let named =
                tag == "*"
                ? all
                : tag.split(separator: ",").compactMap { Int($0) }.filter { $0 < copies.count }.map { copies[$0] }
                    .sorted()
            guard !named.isEmpty else { continue }
            out[f.id, default: []].append(CopyFact(fact: f, copies: named))
        }
        return out
    }

    /// Brings grouped facts from one listing of copies to the next: the copies in `removing` are
    /// dropped from every fact (a fact no copy records any more goes), and the facts of the
    /// copies in `adding` are grouped in. When one ref moved, this reads that one copy's facts,
    /// not every copy's again.
    public static func update(
        _ grouped: [String: [CopyFact]], removing: Set<CopyName>, adding: [(CopyName, [TaskSummary])]
    ) -> [String: [CopyFact]] {
        var out: [String: [CopyFact]] = [:]
        var index: [TaskSummary: (task: String, position: Int)] = [:]
        for (task, facts) in grouped {
            var kept: [CopyFact] = []
            for var f in facts {
                if !removing.isEmpty { f.copies.removeAll { removing.contains($0) } }
                guard !f.copies.isEmpty else { continue }
                index[f.fact] = (task, kept.count)
                kept.append(f)
            }
            if !kept.isEmpty { out[task] = kept }
        }
        for (copy, facts) in adding {
            for f in facts {
                if let at = index[f] {
                    out[at.task]?[at.position].copies.append(copy)
                } else {
                    index[f] = (f.id, out[f.id]?.count ?? 0)
                    out[f.id, default: []].append(CopyFact(fact: f, copies: [copy]))
                }
            }
        }
        for k in out.keys {
            guard var list = out[k] else { continue }
            for i in list.indices { list[i].copies.sort() }
            list.sort { $0.copies[0] < $1.copies[0] }
            out[k] = list
        }
        return out
    }

    /// Groups identical facts of several copies: fifty branches that share a completion carry it
    /// once.
    public static func merge(_ perCopy: [(CopyName, [TaskSummary])]) -> [String: [CopyFact]] {
        var byFact: [TaskSummary: [CopyName]] = [:]
        for (copy, facts) in perCopy { for f in facts { byFact[f, default: []].append(copy) } }
        var out: [String: [CopyFact]] = [:]
        for (f, copies) in byFact { out[f.id, default: []].append(CopyFact(fact: f, copies: copies.sorted())) }
        for k in out.keys { out[k]?.sort { $0.copies[0] < $1.copies[0] } }
        return out
    }
}

/// Where a task is done or in progress when that is not here.
public struct Elsewhere: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable {
        case done
        case inProgress = "in_progress"
    }
    public var kind: Kind
    /// For `done`: a branch that contains the completion commit (local first, else
    /// remote-tracking), or where it was recorded when no branch this clone sees contains it. For
    /// `in_progress`: the branch where work started.
    public var branch: String?
    /// For work in progress in another worktree's (uncommitted) copy: that worktree.
    public var worktree: String?
    /// The copy the fact comes from (`here` when it is this worktree's own record).
    public var copy: String
    public var actor: String?
    public var commit: String?

    public init(
        kind: Kind, branch: String?, worktree: String? = nil, copy: String, actor: String? = nil,
        commit: String? = nil
    ) {
        self.kind = kind
        self.branch = branch
        self.worktree = worktree
        self.copy = copy
        self.actor = actor
        self.commit = commit
    }

    /// `feature`, `worktree wt2`: how `done@…` and `in_progress@…` name the place.
    public var place: String { worktree.map { "worktree " + $0 } ?? branch ?? copy }
}

/// What the other copies contribute to an evaluation, and the clock that decides staleness.
public struct CopyInputs: Sendable {
    /// Facts of the other copies, by task (identical facts grouped).
    public var facts: [String: [CopyFact]]
    /// For completion commits not reachable from HEAD: a branch that contains them.
    public var containing: [String: String]
    public var now: Timestamp?
    /// A start with no claim and no activity for this long is stale; nil: never by age.
    public var staleAfter: Int64?
    /// Tasks a commit among HEAD's newest names in a `Codex-Task:` trailer (what `check` reports
    /// as CS040 for an open task), with that commit: work on them is on HEAD already.
    public var workOnHead: [String: String]

    public init(
        facts: [String: [CopyFact]] = [:], containing: [String: String] = [:], now: Timestamp? = nil,
        staleAfter: Int64? = nil, workOnHead: [String: String] = [:]
    ) {
        self.facts = facts
        self.containing = containing
        self.now = now
        self.staleAfter = staleAfter
        self.workOnHead = workOnHead
    }

    public static let none = CopyInputs()

    /// The commit that anchors a completion: the one place that decides it (a completion with no
    /// commit yet anchors nowhere).
    public static func anchor(of commit: String?, status: TaskStatus) -> String? {
        status == .done ? commit : nil
    }

    /// Every completion commit any copy records, by task (this worktree's first).
    public static func completionCommits(here: [String: TaskSummary], facts: [String: [CopyFact]])
        -> [(task: String, commit: String)]
    {
        var out: [(String, String)] = []
        var seen = Set<RecoveryPair>()
        for (id, t) in here {
            if let c = anchor(of: t.completionCommit, status: t.status), seen.insert(RecoveryPair(id, c)).inserted {
                out.append((id, c))
            }
        }
        for (id, fs) in facts {
            for f in fs {
                if let c = anchor(of: f.fact.completionCommit, status: f.fact.status),
                    seen.insert(RecoveryPair(id, c)).inserted
                {
                    out.append((id, c))
                }
            }
        }
        return out
    }

    struct RecoveryPair: Hashable {
        var task: String
        var commit: String
        init(_ t: String, _ c: String) {
            task = t
            commit = c
        }
    }
}

/// Two copies that disagree about a task, and which fact wins (the merge driver's rule).
public struct Disagreement: Hashable, Sendable {
    public var task: String
    /// One line: what each side says and what wins.
    public var message: String
    public init(task: String, message: String) {
        self.task = task
        self.message = message
    }
}
