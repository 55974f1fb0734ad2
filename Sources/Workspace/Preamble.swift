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
        let rebase = try rebaseInProgress()
        let arguments = [
            "preamble-v1", "format=\(request.format.rawValue)", "budget=\(request.budget)", "n=\(request.next)",
            "dirty=\(dirty)", "unmerged=\(unmerged ? 1 : 0)", "requested=\(target.requested ?? "")",
            "rebase=\(rebase.map { $0.map { "branch:" + $0 } ?? "detached" } ?? "-")",
            "sessions=\(Files.stamp(paths.sessionsDir)?.encoded ?? "-")",
            "archive=\(Files.stamp(sessionArchiveDir)?.encoded ?? "-")",
            "private-memories=\((try? privateMemoryFile.read().hash) ?? "-")",
        ]
        return try cachedOutput(arguments: arguments) { model -> RenderedOutput in
            var input = try preambleInput(
                model, next: request.next, session: lastSession(onBranch: model.head.branch))
            let memories = try memoryView()
            input.addMemories(
                memories.evaluation,
                work: preambleWork(input, record: { id in try? model.row(id).map(model.record) }, head: model.head))
            // A preamble that shows a private memory is not cached: the render cache is kept in
            // clear in index.sqlite, and private memories are only ever stored sealed.
            let showsPrivate = (input.constraints + input.decisions).contains {
                memories.evaluation.privateIDs.contains($0.id)
            }
            input.head.dirty = target.dirty
            input.head.requested = target.requested
            input.head.rebase = rebase
            input.stateUnmerged = unmerged
            return RenderedOutput(
                Preamble.render(input, budget: request.budget, format: request.format), cacheable: !showsPrivate)
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

    /// The state file committed at `head` and the read model of that commit (its file's tasks
    /// over every copy, evaluated there). `preamble`, `graph` and `report` read another commit
    /// through here.
    func committedModel(at head: HeadInfo) throws -> (state: ProjectState, commit: ObjectID, model: ReadModel) {
        let stateFile = StateFileName.relative
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
        return (state, commit, try readModel(of: state, hash: ContentHash.sha256(bytes), head: head))
    }

    /// The preamble of a commit that is not checked out, from the files committed there.
    func committedPreamble(_ target: PreambleTarget, _ request: PreambleRequest) throws -> [UInt8] {
        let (state, commit, model) = try committedModel(at: target.head)
        var input = try preambleInput(
            model, next: request.next, session: lastCommittedSession(onBranch: target.head.branch, at: commit))
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
        let dir = StateFileName.sessions
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

    /// Everything the preamble shows, from the read model: the rows it lists, read as it lists
    /// them, and the counts over every task. Full task records (acceptance criteria, blocker
    /// reasons) are read for the few tasks shown.
    func preambleInput(_ model: ReadModel, next count: Int, session: SessionRecord?) throws -> PreambleInput {
        let branch = model.head.branch
        let totals = model.totals
        var input = PreambleInput(
            head: PreambleInput.Head(
                project: model.header.projectName, branch: branch, commit: model.head.commit,
                subject: model.head.subject, dirty: nil))
        func record(_ row: EvaluatedTask) -> TaskRecord? { try? model.record(row) }

        // 2. In progress on this branch: mine first, then by priority, start time and id (stale
        // included: an expired claim of yours is still your work here).
        let work = try model.startedHere(limit: max(Preamble.Limits.inProgress, Preamble.Limits.stuck))
        input.inProgressTotal = work.activeTotal
        input.inProgress = work.active.prefix(Preamble.Limits.inProgress).enumerated().map { i, row in
            let t = row.task
            var item = PreambleInput.Active(
                id: t.id, title: t.title, priority: t.priority, startedBy: t.startedActor, since: t.startedAt)
            if i == 0, let acceptance = record(row)?.acceptance {
                item.acceptance = Array(acceptance.prefix(Preamble.Limits.acceptance))
                item.acceptanceTotal = acceptance.count
            }
            return item
        }

        // 3. Next ready, as `next` ranks them (tasks I resume are already listed above).
        let titles = model.milestoneTitles
        input.next = try model.readyRanked(limit: count).map { row in
            let terms = row.terms(actor: actor, branch: branch)
            return PreambleInput.Candidate(
                id: row.id, title: row.task.title, priority: row.task.priority,
                reason: Ranking.reason(terms, milestoneTitles: titles),
                milestoneTitle: terms.milestone.flatMap { titles[$0] })
        }
        (input.readyTotal, input.waitingTotal, input.blockedTotal) = (totals.ready, totals.waiting, totals.blocked)

        // 4. What the work here waits on: in-progress tasks with unfinished dependencies or
        // children, then tasks started here and marked blocked.
        let stuck = work.waiting + work.blocked
        let waited = try model.rows(ids: stuck.flatMap { $0.waitsOn.prefix(Preamble.Limits.waitsOn) })
        input.stuckTotal = work.waitingTotal + work.blockedTotal
        input.stuck = stuck.prefix(Preamble.Limits.stuck).map { row in
            let isBlocked = row.status == .blocked
            return PreambleInput.Stuck(
                id: row.id, title: row.task.title, status: isBlocked ? "blocked" : "in_progress",
                blocker: isBlocked ? record(row)?.blocker : nil,
                waitsOn: row.waitsOn.prefix(Preamble.Limits.waitsOn).map { id in
                    PreambleInput.Dependency(
                        id: id, title: waited[id]?.task.title, status: waited[id]?.status.rawValue ?? "missing")
                },
                waitsOnTotal: row.waitsOn.count)
        }

        // 5. Goals (oldest first) and the current milestone.
        let goals = model.goalsOldestFirst
        input.goalsTotal = goals.count
        input.goals = goals.prefix(Preamble.Limits.goals).map { PreambleInput.GoalItem(id: $0.id, text: $0.text) }
        input.milestone = model.milestoneProgress.first { $0.finished < $0.tasks }.map {
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

        // 7. Drift: completions this branch's own file records that do not count here (those
        // others wait on first), conflict records. A task another copy alone says is done (a
        // branch not merged yet, a removed worktree's branch) is ordinary work elsewhere, which
        // `tasks` shows as done@BRANCH.
        let drift = try model.driftCounts()
        input.doneElsewhereTotal = drift[.doneElsewhere] ?? 0
        input.doneUnknownTotal = drift[.doneUnknown] ?? 0
        input.completions = try model.drift(limit: Preamble.Limits.completions).map { row in
            PreambleInput.Completion(
                kind: row.status == .doneElsewhere ? .doneElsewhere : .doneUnknown, id: row.id, title: row.task.title,
                commit: row.elsewhere?.commit ?? row.task.completionCommit ?? "",
                branch: row.elsewhere?.place ?? row.task.completionBranch)
        }
        // The first task holders by id are enough: the list shown is a prefix by id.
        var conflictRecords = totals.conflictRecords
        var holders = totals.conflictTaskIDs
        var holdersTotal = totals.conflictTasks
        for g in model.header.goals where !(g.conflicts ?? []).isEmpty {
            conflictRecords += g.conflicts?.count ?? 0
            holders.append(g.id)
            holdersTotal += 1
        }
        for m in model.header.milestones where !(m.conflicts ?? []).isEmpty {
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
