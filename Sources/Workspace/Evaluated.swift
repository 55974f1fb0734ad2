import GitKit
import Reports
import StateModel
import StateStore

/// What a read command shows, so the view reads only that from the index.
public enum ViewSelection: Sendable {
    /// The whole graph (preamble, MCP, anything that needs every task).
    case everything
    /// `next`: the `n` best candidates for the actor, the claimed task first.
    case next(n: Int, claimed: String?)
    /// `tasks`: what the filter can list.
    case tasks(TaskFilter)
    /// `preamble`: the work started on this branch, the `next` best ready tasks, what the work
    /// waits on, and counts.
    case preamble(next: Int)
}

/// What one read opens once and passes along: the index and the listing of the other copies.
struct ReadContext {
    var head: HeadInfo
    var index: StateIndex?
    var listing: CopyListing
}

extension Workspace {
    /// The read context of this command (the index opened once).
    func readContext() throws -> ReadContext {
        // HEAD without its subject: a read served from the render cache needs no libgit2.
        let head = try headRef()
        let index = openIndex()
        return ReadContext(head: head, index: index, listing: try listCopies(index: index))
    }

    /// What the stored evaluation depends on besides the state and the clock: HEAD, the branch,
    /// the other copies (by content), the rewrite map, fetches (a missing commit may arrive) and
    /// the stale time. When any of them changes, the next read evaluates everything again.
    func evaluationContext(_ ctx: ReadContext) throws -> String {
        let rewrites = Files.stamp(paths.rewritesFile)?.encoded ?? "-"
        let fetched = try repository.fetchStamp()
        let parts = [
            "eval-v1", ctx.head.commit ?? "unborn", ctx.head.branch ?? "", rewrites, fetched, ctx.listing.signature,
            staleAfter().map { "\($0)" } ?? "never",
        ]
        return ContentHash.sha256(Array(parts.joined(separator: "\u{0}").utf8))
    }

    /// The view `selection` needs. `next` and `tasks` read the evaluated graph the index keeps
    /// (brought up to date first: by the few rows an edit touched, or by evaluating everything
    /// when HEAD, the copies or the clock moved it); everything else, and any read the index
    /// cannot serve, evaluates the whole graph.
    func view(_ selection: ViewSelection, _ ctx: ReadContext) throws -> HeadView {
        switch selection {
        case .everything: break
        case .tasks(let f) where f.everywhere: break  // tasks only other copies have are not rows
        case .next, .tasks, .preamble:
            if let v = try evaluatedView(selection, ctx) { return v }
        }
        return try indexedView(ctx).0
    }

    /// The view from the index's evaluated graph; nil when the index cannot be used.
    func evaluatedView(_ selection: ViewSelection, _ ctx: ReadContext) throws -> HeadView? {
        guard let index = try store.currentIndex(ctx.index),
            let validUntil = try currentEvaluation(index, ctx)
        else { return nil }
        var state = try index.header()
        // Kept with the rows: a few rows to read, whatever the number of tasks.
        let totals = try index.totals(conflictIDs: Preamble.Limits.conflictEntities)
        var view: HeadView
        switch selection {
        case .everything: return nil
        case .next(let n, let claimed):
            var listed = try index.nextCandidates(actor: actor, branch: ctx.head.branch, limit: n)
            if let c = claimed, !listed.contains(where: { $0.0.summary.id == c }) {
                // Shown first whatever its rank (the actor may resume more than `n` tasks).
                listed += try index.listed(ids: [c]).map {
                    ($0, $0.row.terms($0.summary, actor: actor, branch: ctx.head.branch))
                }
            }
            for (l, _) in listed { state.tasks[l.summary.id] = l.summary }
            view = HeadView(
                head: try head(), state: state,
                evaluation: Evaluation(rows: listed.map(\.0.row), tasks: state.tasks, validUntil: validUntil))
            view.ranked = listed.map { RankedTask(id: $0.0.summary.id, terms: $0.1) }
            if listed.isEmpty { view.statusCounts = totals.statuses }
        case .tasks(let filter):
            let listed = try index.listing(
                ListingQuery(statuses: filter.stale ? ["stale"] : filter.status, hideFinished: !filter.all))
            for l in listed { state.tasks[l.summary.id] = l.summary }
            view = HeadView(
                head: try head(), state: state,
                evaluation: Evaluation(rows: listed.map(\.row), tasks: state.tasks, validUntil: validUntil))
        case .preamble(let n):
            let ready = try index.readyRanked(limit: n)
            let work = try index.startedHere(
                branch: ctx.head.branch, actor: actor, limit: max(Preamble.Limits.inProgress, Preamble.Limits.stuck))
            let here = work.all
            // The completions shown (``totals`` counts the rest).
            let drift = try index.drift(limit: Preamble.Limits.completions)
            // What the work here waits on is read as the preamble shows it (a few lines).
            var rows: [String: EvaluatedTask] = [:]
            for l in ready + here + drift {
                state.tasks[l.summary.id] = l.summary
                rows[l.summary.id] = l.row
            }
            view = HeadView(
                head: try head(), state: state,
                evaluation: Evaluation(rows: Array(rows.values), tasks: state.tasks, validUntil: validUntil))
            view.ranked = ready.map {
                RankedTask(id: $0.summary.id, terms: $0.row.terms($0.summary, actor: actor, branch: ctx.head.branch))
            }
            view.totals = totals
            view.workHere = (inProgress: work.activeTotal, stuck: work.waitingTotal + work.blockedTotal)
            view.unblocks = rows.mapValues(\.unblocks)
        }
        view.taskCount = totals.tasks
        let problems = readCopyProblems(ctx.listing, index: index)
        noteProblems(problems)
        view.copyProblems = problems
        return view
    }

    /// Brings the index's evaluated graph up to date for this read; returns until when it holds
    /// (nil: for good), or nil when it could not be stored.
    ///
    /// The common case after an edit (`complete`, `task add`, `start`) re-decides the edited
    /// tasks alone and updates the rows around them; a changed HEAD, a changed set of copies, an
    /// expired claim or an edit whose effect is not local (a completion on a commit HEAD does not
    /// reach: anchor recovery and branch naming look at every completion) evaluate everything.
    func currentEvaluation(_ index: StateIndex, _ ctx: ReadContext) throws -> Timestamp?? {
        let context = try evaluationContext(ctx)
        let now = try self.now()
        if let stored = try index.storedEvaluation(), stored.holds(context: context, at: now) {
            if stored.dirty.isEmpty { return .some(stored.validUntil) }
            if let resolved = try resolve(stored, index: index, ctx: ctx), !answersIncomplete,
                try index.updateEvaluation(
                    dirty: stored.dirty, resolved: resolved, milestoneOrder: try milestoneOrder(index),
                    context: context),
                let after = try index.storedEvaluation()
            {
                return .some(after.validUntil)
            }
        }
        // Everything, from the index's tasks, stored for the next read.
        let (indexed, _) = try store.loadIndexed(index: index)
        let elsewhere = try uncommittedElsewhere(
            indexed.tasks, head: ctx.head, stateHash: indexed.hash, record: { try index.task($0) })
        let e = try evaluateEverywhere(
            indexed.tasks, hash: indexed.hash, head: ctx.head, index: index, listing: ctx.listing,
            uncommittedElsewhere: elsewhere, keepUnfiltered: true)
        var order = ProjectState(projectName: "")
        for m in indexed.milestones { order.milestones[m.id] = m }
        var facts: [String: [UInt8]] = [:]
        for (id, fs) in e.others.unfiltered ?? [:] {
            facts[id] = CopyFact.encode([id: fs], copies: e.others.readable)
        }
        // Answers git could not give in full are not stored (they are asked again next time).
        if answersIncomplete { return nil }
        let stored = try index.storeEvaluation(
            e.evaluation.rows(milestoneOrder: order.milestoneOrder), summaries: indexed.tasks, facts: facts,
            hash: indexed.hash, context: context,
            copies: Self.listingText(e.others.readable.map { ($0, "") }), validUntil: e.evaluation.validUntil)
        return stored ? .some(e.evaluation.validUntil) : nil
    }

    private func milestoneOrder(_ index: StateIndex) throws -> [String: Int] {
        var p = ProjectState(projectName: "")
        for m in try index.milestones() { p.milestones[m.id] = m }
        return p.milestoneOrder
    }

    /// The tasks edited since the stored evaluation, resolved as a full evaluation would resolve
    /// them; nil when that needs more than the tasks themselves (see ``currentEvaluation``).
    func resolve(_ stored: StoredEvaluation, index: StateIndex, ctx: ReadContext) throws -> [String: ResolvedTask]? {
        let summaries = try index.summaries(stored.dirty)
        // A completion recorded without a commit on another branch: whether HEAD's committed file
        // holds it decides (``uncommittedElsewhere``).
        if summaries.values.contains(where: {
            $0.status == .done && $0.completionCommit == nil && $0.completionBranch != nil
                && $0.completionBranch != ctx.head.branch
        }) {
            return nil
        }
        let copies = (Self.parseListing(stored.copies) ?? []).map(\.0)
        var facts: [String: [CopyFact]] = [:]
        for (id, bytes) in try index.evaluatedFacts(stored.dirty) {
            guard let t = summaries[id] else { continue }
            let adding = (CopyFact.decode(bytes, copies: copies)[id] ?? []).filter { $0.fact.adds(to: t) }
            if !adding.isEmpty { facts[id] = adding }
        }
        facts = anchorIntroducedCompletions(facts, tips: ctx.listing.tips, index: index)
        let pairs = CopyInputs.completionCommits(here: summaries, facts: facts)
        let reach = try reachability(of: pairs.map(\.commit), head: ctx.head, index: index)
        if pairs.contains(where: { reach[$0.commit] != .reachable }) { return nil }
        let inputs = CopyInputs(
            facts: facts, containing: [:], now: try now(), staleAfter: staleAfter(),
            workOnHead: trailerEvidence(head: ctx.head, index: index))
        var out: [String: ResolvedTask] = [:]
        for (id, t) in summaries {
            out[id] = Evaluation.resolve(
                t, facts: facts[id] ?? [], reachability: reach, recovered: nil, copies: inputs,
                uncommittedElsewhere: false)
        }
        return out
    }
}
