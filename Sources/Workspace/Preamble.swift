import Foundation
import GitKit
import Reports
import StateModel
import StateStore

/// What `preamble` can refuse beyond the store's and git's own errors.
public enum PreambleError: Error, Sendable, CustomStringConvertible {
    case unknownRevision(String, reason: String)
    case unknownBranch(String)
    case noStateAt(String)

    public var description: String {
        switch self {
        case .unknownRevision(let rev, let reason): return "unknown revision '\(rev)' (\(reason))"
        case .unknownBranch(let branch): return "no local branch '\(branch)'"
        case .noStateAt(let file): return "\(file) does not exist: codex-state was not initialised there"
        }
    }
}

/// What to render: for the checked-out HEAD, or for `--rev`/`--branch`.
public struct PreambleRequest: Sendable, Hashable {
    /// Any revision git understands. Its branch context is `branch` when given, else the
    /// revision itself when it names a local branch, else the branch checked out.
    public var revision: String?
    /// A local branch: its tip (or `revision`, when both are given).
    public var branch: String?
    /// How many next ready tasks to list.
    public var next: Int
    public var budget: Int
    public var format: PreambleFormat

    public init(
        revision: String? = nil, branch: String? = nil, next: Int = Preamble.defaultNextCount,
        budget: Int = Preamble.defaultBudget, format: PreambleFormat = .markdown
    ) {
        self.revision = revision
        self.branch = branch
        self.next = next
        self.budget = budget
        self.format = format
    }
}

extension Workspace {
    /// The preamble for the checked-out HEAD, or for the request's revision or branch.
    ///
    /// For the checked-out HEAD it is read from the index and cached in the index's render
    /// cache. The cache key is what the output depends on beyond the state file, HEAD, branch
    /// and actor (which ``cachedOutput(arguments:render:)`` adds): the arguments, whether the
    /// working tree is dirty, whether the state file is unmerged, and the sessions directory's
    /// stamp (a session ending adds a file there without touching the state). Nothing in the
    /// preamble depends on the clock.
    ///
    /// Another commit or branch is rendered as it would be checked out: from the state file and
    /// session files committed there (parsed each time, not cached), evaluated at that commit.
    public func preamble(_ request: PreambleRequest) throws -> [UInt8] {
        _ = try now()  // a bad CODEX_STATE_NOW fails here, as in every other command
        let target = try preambleTarget(request)
        // A commit older than the state has nothing to say; an agent session there starts clean.
        if target.checkedOut, !store.isInitialized, try stateIntroduction() != nil { return [] }
        guard target.checkedOut else { return try committedPreamble(target, request) }
        let unmerged =
            try repository.operationInProgress && (try? repository.isUnmerged(StateFileName.relative)) != false
        let dirty = target.dirty.map { $0 ? "1" : "0" } ?? "-"
        let arguments = [
            "preamble-v1", "format=\(request.format.rawValue)", "budget=\(request.budget)", "n=\(request.next)",
            "dirty=\(dirty)", "unmerged=\(unmerged ? 1 : 0)", "requested=\(target.requested ?? "")",
            "sessions=\(Files.stamp(paths.sessionsDir)?.encoded ?? "-")",
            "archive=\(Files.stamp(sessionArchiveDir)?.encoded ?? "-")",
            "private-memories=\((try? privateMemoryFile.read().hash) ?? "-")",
        ]
        return try cachedOutput(arguments: arguments, select: .preamble(next: request.next)) { view in
            let records = TaskRecords(store: store, index: openIndex())
            var source = PreambleSource(view)
            if view.totals != nil, let index = openIndex() {
                // The view holds the tasks shown; what they wait on is looked up as it is shown.
                source.waitedOn = { id in (try? index.titlesAndStatuses([id]))?[id] }
            }
            var input = preambleInput(
                source, next: request.next, record: { records[$0] }, session: lastSession(onBranch: view.head.branch))
            let memories = try memoryView()
            input.addMemories(
                memories.evaluation, work: preambleWork(input, record: { records[$0] }, head: view.head))
            // A preamble that shows a private memory is not cached: the render cache is kept in
            // clear in index.sqlite, and private memories are only ever stored sealed.
            if (input.constraints + input.decisions).contains(where: { memories.evaluation.privateIDs.contains($0.id) })
            {
                answersIncomplete = true
            }
            input.head.dirty = target.dirty
            input.head.requested = target.requested
            input.stateUnmerged = unmerged
            return Preamble.render(input, budget: request.budget, format: request.format)
        }
    }

    struct PreambleTarget {
        var head: HeadInfo
        var checkedOut: Bool
        /// nil when not checked out, or when git could not tell.
        var dirty: Bool?
        var requested: String?
    }

    func preambleTarget(_ request: PreambleRequest) throws -> PreambleTarget {
        let current = try head()
        var requested: [String] = []
        var branch = current.branch
        var commit = current.commit
        if let b = request.branch {
            requested.append("--branch " + b)
            branch = b
            if b != current.branch {
                guard let tip = try repository.branchTip(b) else { throw PreambleError.unknownBranch(b) }
                commit = tip.hex
            }
        }
        if let rev = request.revision {
            requested.append("--rev " + rev)
            do {
                commit = try repository.resolveCommit(rev).hex
            } catch let e as GitError {
                throw PreambleError.unknownRevision(rev, reason: e.message)
            }
            if request.branch == nil, (try? repository.branchTip(rev)) != nil { branch = rev }
        }
        let asked = requested.isEmpty ? nil : requested.joined(separator: " ")
        if branch == current.branch && commit == current.commit {
            // Asking for what is checked out is the checked-out HEAD, dirty or not.
            return PreambleTarget(
                head: current, checkedOut: true, dirty: try? repository.hasUncommittedChanges(), requested: asked)
        }
        let subject = commit.flatMap(ObjectID.init(hex:)).flatMap { try? repository.commit($0).summary }
        return PreambleTarget(
            head: HeadInfo(branch: branch, commit: commit, subject: subject), checkedOut: false, dirty: nil,
            requested: asked)
    }

    /// The state file committed at `head` and its task graph evaluated at that commit (a commit
    /// that is not checked out: no other copy counts). `preamble`, `graph` and `report` read
    /// another commit through here.
    func committedEvaluation(at head: HeadInfo) throws -> (
        state: ProjectState, commit: ObjectID, evaluation: Evaluation
    ) {
        let stateFile = ".codex-state/project_state.json"
        guard let hex = head.commit, let commit = ObjectID(hex: hex) else {
            throw StoreError.notInitialized(stateFile: stateFile)
        }
        let location = "\(commit.short):\(stateFile)"
        guard let bytes = try repository.fileContents(stateFile, at: commit) else {
            throw PreambleError.noStateAt(location)
        }
        let state: ProjectState
        do {
            state = try StateCodec.decode(bytes)
        } catch let e as StateDecodeError {
            throw StoreError.invalidStateFile(path: location, reason: e)
        }
        var summaries: [String: TaskSummary] = [:]
        summaries.reserveCapacity(state.tasks.count)
        for (id, t) in state.tasks { summaries[id] = TaskSummary(t) }
        let index = openIndex()
        let reach = try reachability(of: summaries.values.compactMap(\.completionCommit), head: head, index: index)
        let recovered = try recoverAnchors(tasks: summaries, reach: reach, head: head, index: index)
        return (state, commit, Evaluation(tasks: summaries, reachability: reach, recovered: recovered))
    }

    /// The preamble of a commit that is not checked out, from the files committed there.
    func committedPreamble(_ target: PreambleTarget, _ request: PreambleRequest) throws -> [UInt8] {
        let (state, commit, evaluation) = try committedEvaluation(at: target.head)
        let view = PreambleSource(
            head: target.head, project: state.project.name, goals: Array(state.goals.values),
            milestones: Array(state.milestones.values), milestoneOrder: state.milestoneOrder,
            evaluation: evaluation)
        var input = preambleInput(
            view, next: request.next, record: { state.tasks[$0] },
            session: lastCommittedSession(onBranch: target.head.branch, at: commit))
        input.head.checkedOut = false
        input.head.requested = target.requested
        // Memories as committed there (every one in that file holds at that commit), and this
        // clone's private ones.
        let memories = MemoryEvaluation(
            committed: state.memoryMap, private: (try? privateMemoryFile.read().memories.memories) ?? [:],
            head: MemoryHead(
                branch: target.head.branch, commit: target.head.commit, committedIDs: Set(state.memoryMap.keys)))
        input.addMemories(memories, work: preambleWork(input, record: { state.tasks[$0] }, head: target.head))
        return Preamble.render(input, budget: request.budget, format: request.format)
    }

    /// ``lastSession(onBranch:)`` for the session files committed at `commit`.
    func lastCommittedSession(onBranch branch: String?, at commit: ObjectID) -> SessionRecord? {
        let dir = ".codex-state/sessions"
        let names = ((try? repository.fileNames(in: dir, at: commit)) ?? []).filter {
            SessionNaming.parse(fileName: $0) != nil
        }.sorted(by: >)
        func newest(_ b: String?) -> SessionRecord? {
            let slug = SessionNaming.slug(b)
            for name in names where SessionNaming.parse(fileName: name)?.slug == slug {
                guard let bytes = try? repository.fileContents(dir + "/" + name, at: commit),
                    let record = try? JSONDecoder().decode(SessionRecord.self, from: Data(bytes)), record.branch == b
                else { continue }
                return record
            }
            return nil
        }
        if let mine = newest(branch) { return mine }
        guard let branch, let origin = try? repository.branchOrigin(of: branch), origin != branch else { return nil }
        return newest(origin)
    }

    /// Everything the preamble shows, from a view. Full task records (acceptance criteria,
    /// blocker reasons) come from the index for the few tasks shown.
    func preambleInput(
        _ view: PreambleSource, next count: Int, record: (String) -> TaskRecord?, session: SessionRecord?
    ) -> PreambleInput {
        let eval = view.evaluation
        let tasks = eval.tasks
        let branch = view.head.branch
        let me = actor
        var input = PreambleInput(
            head: PreambleInput.Head(
                project: view.project, branch: branch, commit: view.head.commit,
                subject: view.head.subject, dirty: nil))

        // 2. In progress on this branch: mine first, then by priority, start time and id.
        func startedHere(_ t: TaskSummary) -> Bool { t.startedAt != nil && t.startedBranch == branch }
        // Stale included: an expired claim of yours is still your work here.
        let active = tasks.values.filter {
            (eval.status[$0.id] == .inProgress || eval.status[$0.id] == .stale) && eval.elsewhere[$0.id] == nil
                && startedHere($0)
        }.sorted { a, b in
            let am = a.startedActor == me
            let bm = b.startedActor == me
            if am != bm { return am }
            if a.priority != b.priority { return a.priority < b.priority }
            let at = a.startedAt ?? a.createdAt
            let bt = b.startedAt ?? b.createdAt
            if at != bt { return at < bt }
            return a.id < b.id
        }
        input.inProgressTotal = view.workHere?.inProgress ?? active.count
        input.inProgress = active.prefix(Preamble.Limits.inProgress).enumerated().map { i, t in
            var item = PreambleInput.Active(
                id: t.id, title: t.title, priority: t.priority, startedBy: t.startedActor, since: t.startedAt)
            if i == 0, let acceptance = record(t.id)?.acceptance {
                item.acceptance = Array(acceptance.prefix(Preamble.Limits.acceptance))
                item.acceptanceTotal = acceptance.count
            }
            return item
        }

        // 3. Next ready, as `next` ranks them (tasks I resume are already listed above).
        let ranked =
            view.rankedReady ?? Ranking.rank(eval, actor: me, branch: branch, milestoneOrder: view.milestoneOrder)
        let milestoneTitles = Dictionary(view.milestones.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
        input.next = ranked.lazy.filter { eval.ready.contains($0.id) }.prefix(count).compactMap { r in
            tasks[r.id].map {
                PreambleInput.Candidate(
                    id: $0.id, title: $0.title, priority: $0.priority,
                    reason: Ranking.reason(r.terms, milestoneTitles: milestoneTitles),
                    milestoneTitle: r.terms.milestone.flatMap { milestoneTitles[$0] })
            }
        }
        if let totals = view.totals {
            (input.readyTotal, input.waitingTotal, input.blockedTotal) = (totals.ready, totals.waiting, totals.blocked)
        } else {
            input.readyTotal = eval.ready.count
            for (id, s) in eval.status {
                if s == .open && !eval.ready.contains(id) { input.waitingTotal += 1 }
                if s == .blocked { input.blockedTotal += 1 }
            }
        }

        // 4. What the work here waits on: in-progress tasks with unfinished dependencies or
        // children, then tasks started here and marked blocked.
        func dependency(_ id: String) -> PreambleInput.Dependency {
            if tasks[id] == nil, let (title, status) = view.waitedOn?(id) {
                return PreambleInput.Dependency(id: id, title: title, status: status.rawValue)
            }
            return PreambleInput.Dependency(
                id: id, title: tasks[id]?.title, status: eval.status[id]?.rawValue ?? "missing")
        }
        let waiting = active.filter { t in
            let w = eval.waitingOn(t.id)
            return !(w.deps.isEmpty && w.children.isEmpty)
        }
        let blocked = tasks.values.filter { eval.status[$0.id] == .blocked && startedHere($0) }.sorted {
            $0.priority != $1.priority ? $0.priority < $1.priority : $0.id < $1.id
        }
        let stuck = waiting + blocked
        input.stuckTotal = view.workHere?.stuck ?? stuck.count
        input.stuck = stuck.prefix(Preamble.Limits.stuck).map { t in
            let w = eval.waitingOn(t.id)
            let all = w.deps + w.children
            let isBlocked = eval.status[t.id] == .blocked
            return PreambleInput.Stuck(
                id: t.id, title: t.title, status: isBlocked ? "blocked" : "in_progress",
                blocker: isBlocked ? record(t.id)?.blocker : nil,
                waitsOn: all.prefix(Preamble.Limits.waitsOn).map(dependency), waitsOnTotal: all.count)
        }

        // 5. Goals (oldest first) and the current milestone.
        let goals = Goal.oldestFirst(view.goals)
        input.goalsTotal = goals.count
        input.goals = goals.prefix(Preamble.Limits.goals).map { PreambleInput.GoalItem(id: $0.id, text: $0.text) }
        let current = MilestoneProgress.all(view.milestones, eval, counted: view.totals?.milestones).first {
            $0.finished < $0.tasks
        }
        input.milestone = current.map {
            PreambleInput.MilestoneItem(
                id: $0.milestone.id, title: $0.milestone.title, due: $0.milestone.due, done: $0.finished,
                total: $0.tasks)
        }

        // 6. The last ended session here, or on the branch this one was created from.
        if let s = session {
            input.session = PreambleInput.SessionItem(
                id: s.id, branch: s.branch, inherited: s.branch != branch, actor: s.actor, started: s.started,
                ended: s.ended, summary: s.summary, decisions: Array(s.decisions.prefix(Preamble.Limits.decisions)),
                followUps: Array(s.followUps.prefix(Preamble.Limits.followUps)),
                commits: s.commits.count + s.commitsOmitted, tasksCompleted: s.tasksCompleted.count)
        }

        // 7. Drift: completions that do not count here (those others wait on first), conflict records.
        var unwanted: [(task: TaskSummary, kind: PreambleInput.Completion.Kind, waiters: Int)] = []
        for t in tasks.values {
            let s = eval.status[t.id]
            guard s == .doneElsewhere || s == .doneUnknown else { continue }
            let waiters =
                view.unblocks?[t.id]
                ?? (eval.dependents[t.id] ?? []).filter { !(eval.status[$0]?.satisfiesDependents ?? true) }.count
            unwanted.append((t, s == .doneElsewhere ? .doneElsewhere : .doneUnknown, waiters))
        }
        if let totals = view.totals {
            // The view holds the completions shown; the counts are over every task.
            input.doneElsewhereTotal = totals.statuses[.doneElsewhere] ?? 0
            input.doneUnknownTotal = totals.statuses[.doneUnknown] ?? 0
        } else {
            input.doneElsewhereTotal = unwanted.filter { $0.kind == .doneElsewhere }.count
            input.doneUnknownTotal = unwanted.count - input.doneElsewhereTotal
        }
        unwanted.sort { a, b in
            if a.waiters != b.waiters { return a.waiters > b.waiters }
            if a.task.priority != b.task.priority { return a.task.priority < b.task.priority }
            return a.task.id < b.task.id
        }
        input.completions = unwanted.prefix(Preamble.Limits.completions).map {
            PreambleInput.Completion(
                kind: $0.kind, id: $0.task.id, title: $0.task.title,
                commit: eval.elsewhere[$0.task.id]?.commit ?? $0.task.completionCommit ?? "",
                branch: eval.elsewhere[$0.task.id]?.place ?? $0.task.completionBranch)
        }
        var conflictRecords = 0
        var holders: [String] = []
        var holdersTotal = 0
        if let totals = view.totals {
            // The first task holders by id are enough: the list shown is a prefix by id.
            conflictRecords = totals.conflictRecords
            holders = totals.conflictTaskIDs
            holdersTotal = totals.conflictTasks
        } else {
            for t in tasks.values where t.conflictCount > 0 {
                conflictRecords += t.conflictCount
                holders.append(t.id)
            }
            holdersTotal = holders.count
        }
        for g in view.goals where !(g.conflicts ?? []).isEmpty {
            conflictRecords += g.conflicts?.count ?? 0
            holders.append(g.id)
            holdersTotal += 1
        }
        for m in view.milestones where !(m.conflicts ?? []).isEmpty {
            conflictRecords += m.conflicts?.count ?? 0
            holders.append(m.id)
            holdersTotal += 1
        }
        if conflictRecords > 0 {
            holders.sort()
            input.conflicts = PreambleInput.Conflicts(
                records: conflictRecords, entities: Array(holders.prefix(Preamble.Limits.conflictEntities)),
                entitiesTotal: holdersTotal)
        }
        return input
    }
}

/// What the preamble is gathered from: a ``HeadView`` from the index, or a state file committed
/// at another commit.
struct PreambleSource {
    var head: HeadInfo
    var project: String
    var goals: [Goal]
    var milestones: [Milestone]
    var milestoneOrder: [String: Int]
    var evaluation: Evaluation
    /// Set when the evaluation holds only the tasks shown (read from the index): the ready
    /// tasks in rank order, and the counts over every task.
    var rankedReady: [RankedTask]? = nil
    var totals: GraphTotals? = nil
    /// With ``totals``: how many unfinished tasks wait on each task held.
    var unblocks: [String: Int]? = nil
    /// With ``totals``: the work here counted over every task (``HeadView/workHere``).
    var workHere: (inProgress: Int, stuck: Int)? = nil
    /// A task the evaluation does not hold, by id: its title and status (what the work shown
    /// waits on, read only for the lines shown).
    var waitedOn: ((String) -> (title: String, status: EffectiveStatus)?)? = nil
}

extension PreambleSource {
    init(_ view: HeadView) {
        self.init(
            head: view.head, project: view.state.projectName, goals: view.state.goals,
            milestones: view.state.milestones, milestoneOrder: view.milestoneOrder, evaluation: view.evaluation,
            rankedReady: view.totals == nil ? nil : view.ranked, totals: view.totals, unblocks: view.unblocks,
            workHere: view.workHere)
    }
}

/// Full task records by id: from the index, else (no usable index) from one parse of the file.
private final class TaskRecords {
    let store: StateStore
    let index: StateIndex?
    var parsed: [String: TaskRecord]?

    init(store: StateStore, index: StateIndex?) {
        self.store = store
        self.index = index
    }

    subscript(_ id: String) -> TaskRecord? {
        if let index, let t = try? index.task(id) { return t }
        if parsed == nil { parsed = (try? store.readState().state.tasks) ?? [:] }
        return parsed?[id]
    }
}
