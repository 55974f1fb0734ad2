import GitKit
import Reports
import StateModel
import StateStore

/// What every cached answer of a read depends on besides the state file's content: HEAD and its
/// branch, the other copies of the state (by content), the clone's rewrite map, this worktree's
/// `FETCH_HEAD` (a fetch may bring the commit a completion names, without HEAD or any ref
/// moving), the stale time, and the actor. Made once per command (HEAD and the copies do not
/// move during one). The read model's rows are keyed on it (the actor aside: no row depends on
/// who reads), and so is every rendered output; no cache repeats its parts by hand.
struct ReadFingerprint {
    var head: HeadInfo
    var listing: CopyListing
    var rewrites: String
    var fetched: String
    var staleAfter: Int64?
    var actor: String
    /// The other clones' live claims on the claims remote (``ClaimRecord/key(_:)``; "" without).
    var remoteClaims: String = ""

    /// The key of the read model's rows.
    var evaluationKey: String {
        Self.digest(
            [
                "rows-v2", head.commit ?? "unborn", head.branch ?? "", rewrites, fetched, listing.signature,
                staleAfter.map { "\($0)" } ?? "never",
            ] + (remoteClaims.isEmpty ? [] : ["claims", remoteClaims]))
    }

    /// The key of an output rendered from the rows for `arguments` over the state with content
    /// `stateHash`.
    func renderKey(stateHash: String, arguments: [String]) -> String {
        Self.digest(["render-v4", evaluationKey, actor, stateHash] + arguments)
    }

    static func digest(_ parts: [String]) -> String {
        ContentHash.sha256(Array(parts.joined(separator: "\u{0}").utf8))
    }
}

/// The read model of one command: the rows of every task at HEAD over every copy of the state
/// (``EvaluatedTask``), kept in the index and brought up to date before the first question, or
/// built in memory with the same tables when the index cannot be used. Every read — `tasks` and
/// its filters, `next`, `task show`, `check`, the preamble, the hooks' summaries, the MCP tools —
/// asks it, so none can answer differently about a task.
public final class ReadModel {
    let index: StateIndex
    /// HEAD, with the subject of its commit.
    public let head: HeadInfo
    /// The state's content hash, project name, goals and milestones.
    public let header: IndexedState
    /// Counts over this worktree's tasks.
    public let totals: GraphTotals
    /// Other copies of the state that could not be read (skipped; `check` reports them).
    public let copyProblems: [CopyProblem]
    /// Until when the rows hold (a claim expiring changes them); nil: as long as the inputs.
    public let validUntil: Timestamp?
    /// False when a read from git failed while the rows were made: they are the best answer now,
    /// and nothing made from them is cached.
    public let complete: Bool
    let actor: String
    let foreignRecord: (EvaluatedTask) throws -> TaskRecord?

    init(
        index: StateIndex, head: HeadInfo, header: IndexedState, totals: GraphTotals, copyProblems: [CopyProblem],
        validUntil: Timestamp?, complete: Bool, actor: String,
        foreignRecord: @escaping (EvaluatedTask) throws -> TaskRecord?
    ) {
        self.index = index
        self.head = head
        self.header = header
        self.totals = totals
        self.copyProblems = copyProblems
        self.validUntil = validUntil
        self.complete = complete
        self.actor = actor
        self.foreignRecord = foreignRecord
    }

    /// How many tasks this worktree's state has.
    public var taskCount: Int { totals.tasks }

    /// Milestone titles by id, to name milestones by title in listings.
    public var milestoneTitles: [String: String] {
        Dictionary(header.milestones.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: - Questions

    /// The rows `filter` keeps, in `tasks`' order (in progress first, then priority, age, id).
    public func tasks(_ filter: TaskFilter) throws -> [EvaluatedTask] {
        let milestoneIDs = try Set(
            filter.milestone.map { try Identifiers.resolve($0, kind: .milestone, titles: milestoneTitles) })
        let rows = try index.rows(
            RowQuery(
                statuses: filter.stale ? ["stale"] : filter.status, hideFinished: !filter.all,
                everywhere: filter.everywhere))
        return try rows.filter { try filter.keeps($0, milestones: milestoneIDs, record: record) }
    }

    /// `next`'s `n` best candidates for the actor, a claimed task first.
    /// - Parameter claimedTerms: how the claimed task ranked when it was claimed
    ///   (``Workspace/claimNext(leaseSeconds:command:)``): it is shown with them, since it is in
    ///   progress now and would otherwise read as work to resume.
    public func next(n: Int, claimed: String? = nil, claimedTerms: RankTerms? = nil) throws
        -> [(row: EvaluatedTask, terms: RankTerms)]
    {
        var ranked = try index.nextCandidates(actor: actor, branch: head.branch, limit: n)
        if let c = claimed {
            // The claimed task is now in progress: shown first whatever its rank (the actor may
            // resume more than `n` tasks).
            ranked.removeAll { $0.0.id == c }
            if let row = try row(c) {
                ranked.insert((row, claimedTerms ?? row.terms(actor: actor, branch: head.branch)), at: 0)
            }
        }
        return ranked.prefix(n).map { (row: $0.0, terms: $0.1) }
    }

    /// The task `next --claim` takes, with its ranking terms; nil when none is ready or stale.
    public func claimable() throws -> (row: EvaluatedTask, terms: RankTerms)? {
        try index.bestClaimable().map { ($0, $0.terms(actor: actor, branch: head.branch)) }
    }

    /// Why there is no candidate, counted over every task.
    public var nothingReady: NextJSON.Empty { Evaluation.nothingReady(counts: totals.statuses) }

    /// One row by exact id (this worktree's task, or one only other copies have).
    public func row(_ id: String) throws -> EvaluatedTask? { try index.rows(ids: [id])[id] }

    /// The rows of these ids that exist.
    public func rows(ids: [String]) throws -> [String: EvaluatedTask] { try index.rows(ids: ids) }

    /// The task `input` names (an id or a unique prefix), here or only in another copy.
    public func resolve(_ input: String) throws -> String {
        try Identifiers.resolve(input, kind: .task) { needle, full in
            try index.taskIDs(needle: needle, full: full, everywhere: true)
        }
    }

    /// The full record of a row's task: from the index for this worktree's tasks, from the copy
    /// that has it for the others.
    public func record(_ row: EvaluatedTask) throws -> TaskRecord {
        if row.isHere, let t = try index.task(row.id) { return t }
        if !row.isHere, let t = try foreignRecord(row) { return t }
        throw ModelError.unknownID(kind: .task, id: row.id)
    }

    /// This worktree's tasks that name `id` as a dependency, and its children.
    public func neighbours(of id: String) throws -> (dependents: [String], children: [String]) {
        try index.dependentsAndChildren(of: id)
    }

    /// `milestone list`: every milestone in ranking order, with its progress here.
    public var milestoneProgress: [MilestoneProgress] {
        MilestoneProgress.all(header.milestones, counted: totals.milestones)
    }

    /// `goal list`: the goals, oldest first.
    public var goalsOldestFirst: [Goal] { Goal.oldestFirst(header.goals) }

    /// The ready tasks in `next`'s order (the preamble's), the first `limit`.
    public func readyRanked(limit: Int) throws -> [EvaluatedTask] { try index.readyRanked(limit: limit) }

    /// The work started on this branch (the preamble's).
    public func startedHere(limit: Int) throws -> WorkHere {
        try index.startedHere(branch: head.branch, actor: actor, limit: limit)
    }

    /// Completions this worktree's file records that do not count here, those most tasks wait
    /// on first (a task another copy alone says is done is work elsewhere, not drift).
    public func drift(limit: Int) throws -> [EvaluatedTask] { try index.drift(limit: limit) }

    /// How many completions ``drift(limit:)`` has in all, by effective status.
    public func driftCounts() throws -> [EffectiveStatus: Int] { try index.driftCounts() }

    /// Every row (`check`, and the tests' comparison with a full evaluation).
    public func allRows() throws -> [String: EvaluatedTask] { try index.evaluatedRows() }
}

extension Workspace {
    /// The fingerprint of this command's reads (``ReadFingerprint``).
    func fingerprint(index: StateIndex?) throws -> ReadFingerprint {
        if let f = readFingerprint { return f }
        let f = ReadFingerprint(
            head: try headRef(), listing: try listCopies(index: index),
            rewrites: Files.stamp(paths.rewritesFile)?.encoded ?? "-",
            fetched: try repository.fetchStamp(),
            staleAfter: try staleAfter(), actor: actor, remoteClaims: remoteClaimsKey())
        readFingerprint = f
        return f
    }

    /// The read model, current with the state file and HEAD: from the index, or (when it cannot
    /// be used: held by another process past the short busy wait, unwritable, damaged) built in
    /// memory from the file, with the same rows and the same questions.
    public func readModel() throws -> ReadModel {
        do {
            return try readModel(opened: openIndex())
        } catch {
            throw explainingMissingState(error)
        }
    }

    func readModel(opened: StateIndex?) throws -> ReadModel {
        let fingerprint = try self.fingerprint(index: opened)
        let index = try fileIndex(opened)
        do {
            return try model(index, fingerprint)
        } catch StoreError.index where index !== opened {
            throw StoreError.index(path: index.path, reason: "the read model could not be made in memory")
        } catch StoreError.index {
            // Held by another process past the busy wait while the rows were stored: made in
            // memory instead.
            return try model(try fileIndex(nil), fingerprint)
        }
    }

    /// The read model of `state` (with content hash `hash`) at this HEAD, made in memory.
    func readModel(of state: ProjectState, hash: String, head: HeadInfo? = nil) throws -> ReadModel {
        let index = try StateIndex.inMemory()
        try index.rebuild(from: state, hash: hash, stamp: nil)
        var fingerprint = try self.fingerprint(index: openIndex())
        if let head { fingerprint.head = head }
        return try model(index, fingerprint, head: head)
    }

    /// The index current with the state file (rebuilt when the file changed): the one on disk,
    /// or, when that cannot be used, one built in memory from the file.
    func fileIndex(_ opened: StateIndex?) throws -> StateIndex {
        if let opened {
            do {
                if let index = try store.currentIndex(opened) { return index }
            } catch StoreError.index {
                // Busy past the wait, or unusable: built in memory below.
            }
        }
        let memory = try StateIndex.inMemory()
        let loaded = try store.readState()
        try memory.rebuild(from: loaded.state, hash: loaded.hash, stamp: nil)
        return memory
    }

    /// The read model over `index` (current with its state) for `fingerprint`; `head` is the
    /// checked-out HEAD with its subject unless given.
    func model(_ index: StateIndex, _ fingerprint: ReadFingerprint, head: HeadInfo? = nil) throws -> ReadModel {
        let current = try currentEvaluation(index, fingerprint)
        probe.models += 1
        if index.path == StateIndex.memoryPath { probe.inMemoryModels += 1 }
        let problems = readCopyProblems(fingerprint.listing, index: index)
        noteProblems(problems)
        let listing = fingerprint.listing
        return ReadModel(
            index: index, head: try head ?? self.head(), header: try index.header(),
            totals: try index.totals(conflictIDs: Preamble.Limits.conflictEntities), copyProblems: problems,
            validUntil: current.validUntil, complete: current.complete, actor: actor,
            foreignRecord: { [unowned self] row in try self.foreignRecord(row, listing: listing) })
    }

    /// The record of a task only another copy has, from the first copy that has it.
    func foreignRecord(_ row: EvaluatedTask, listing: CopyListing) throws -> TaskRecord? {
        guard let entry = listing.entries.first(where: { $0.copy.label == row.onlyIn }),
            let bytes = try copyBytes(entry)
        else { return nil }
        return StateCodec.task(row.id, in: bytes)
    }

    /// Brings the index's read model up to date for this read: by the few rows an edit touched,
    /// or by evaluating everything when HEAD, the copies or the clock moved it. Returns until
    /// when it holds (nil: for good) and whether every git answer it needed was read (when not,
    /// the rows are stored under a key no later read matches: they are asked again).
    func currentEvaluation(_ index: StateIndex, _ fingerprint: ReadFingerprint) throws -> (
        validUntil: Timestamp?, complete: Bool
    ) {
        let context = fingerprint.evaluationKey
        let now = try self.now()
        if let stored = try index.storedEvaluation(), stored.holds(context: context, at: now) {
            if stored.dirty.isEmpty { return (stored.validUntil, true) }
            let before = incompleteReads
            if try !index.touchesOtherCopies(stored.dirty),
                let resolved = try resolve(stored, index: index, head: fingerprint.head, listing: fingerprint.listing),
                incompleteReads == before,
                try index.updateEvaluation(
                    dirty: stored.dirty, resolved: resolved, milestoneOrder: try milestoneOrder(index),
                    context: context),
                let after = try index.storedEvaluation()
            {
                probe.incrementalUpdates += 1
                return (after.validUntil, true)
            }
        }
        // Everything, from the index's tasks, stored for the next read.
        probe.fullEvaluations += 1
        let before = incompleteReads
        let indexed = try index.load()
        let elsewhere = try uncommittedElsewhere(
            indexed.tasks, head: fingerprint.head, stateHash: indexed.hash, record: { try index.task($0) })
        let e = try evaluateEverywhere(
            indexed.tasks, hash: indexed.hash, head: fingerprint.head, index: index, listing: fingerprint.listing,
            uncommittedElsewhere: elsewhere, keepUnfiltered: true)
        var order = ProjectState(projectName: "")
        for m in indexed.milestones { order.milestones[m.id] = m }
        var facts: [String: [UInt8]] = [:]
        for (id, fs) in e.others.unfiltered ?? [:] {
            facts[id] = CopyFact.encode([id: fs], copies: e.others.readable)
        }
        noteProblems(e.others.problems)
        // Answers git could not give in full are stored where no read finds them again.
        let complete = incompleteReads == before
        try index.storeEvaluation(
            e.evaluation.rows(milestoneOrder: order.milestoneOrder), facts: facts, hash: indexed.hash,
            context: complete ? context : context + "|incomplete",
            copies: Self.listingText(e.others.readable.map { ($0, "") }), validUntil: e.evaluation.validUntil)
        return (e.evaluation.validUntil, complete)
    }

    private func milestoneOrder(_ index: StateIndex) throws -> [String: Int] {
        var p = ProjectState(projectName: "")
        for m in try index.milestones() { p.milestones[m.id] = m }
        return p.milestoneOrder
    }

    /// The tasks edited since the stored evaluation, resolved as a full evaluation would resolve
    /// them; nil when that needs more than the tasks themselves (see ``currentEvaluation``).
    func resolve(_ stored: StoredEvaluation, index: StateIndex, head: HeadInfo, listing: CopyListing) throws
        -> [String: ResolvedTask]?
    {
        let summaries = try index.summaries(stored.dirty)
        // A removed task may live on in another copy: a full evaluation decides.
        if summaries.count != Set(stored.dirty).count { return nil }
        // A completion recorded without a commit on another branch: whether HEAD's committed file
        // holds it decides (``uncommittedElsewhere``).
        if summaries.values.contains(where: {
            $0.status == .done && $0.completionCommit == nil && $0.completionBranch != nil
                && $0.completionBranch != head.branch
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
        facts = anchorIntroducedCompletions(facts, tips: listing.tips, index: index)
        let pairs = CopyInputs.completionCommits(here: summaries, facts: facts)
        let reach = try reachability(of: pairs.map(\.commit), head: head, index: index)
        if pairs.contains(where: { reach[$0.commit] != .reachable }) { return nil }
        let inputs = CopyInputs(
            facts: facts, containing: [:], now: try now(), staleAfter: try staleAfter(),
            workOnHead: trailerEvidence(head: head, index: index))
        var out: [String: ResolvedTask] = [:]
        for (id, t) in summaries {
            out[id] = Evaluation.resolve(
                t, facts: facts[id] ?? [], reachability: reach, recovered: nil, copies: inputs,
                uncommittedElsewhere: false)
        }
        return out
    }

    /// The output of a read command, from the index's render cache when it was rendered for the
    /// same fingerprint (``ReadFingerprint``), state and arguments, and no claim has expired
    /// since; otherwise rendered from the read model and cached.
    ///
    /// With 10,000 tasks, even reading the rows a listing shows and encoding it costs more than
    /// the process itself; repeated `next`/`tasks` calls between two changes are the common case.
    public func cachedOutput(arguments: [String], render: (ReadModel) throws -> [UInt8]) throws -> [UInt8] {
        try cachedOutput(arguments: arguments) { RenderedOutput(try render($0)) }
    }

    /// ``cachedOutput(arguments:render:)`` for a render that may say its output must not be kept.
    func cachedOutput(arguments: [String], render: (ReadModel) throws -> RenderedOutput) throws -> [UInt8] {
        guard let stamp = Files.stamp(paths.stateFile) else {
            throw explainingMissingState(StoreError.notInitialized(stateFile: paths.stateFile))
        }
        let index = openIndex()
        let fingerprint = try self.fingerprint(index: index)
        let now = try self.now()
        if let index, let hash = try? index.currentHash(stamp: stamp),
            let body = try? index.rendered(fingerprint.renderKey(stateHash: hash, arguments: arguments), now: now)
        {
            // A skipped copy warns on every read, cached or not.
            noteProblems(readCopyProblems(fingerprint.listing, index: index))
            probe.renderCacheHits += 1
            return body
        }
        let model: ReadModel
        do {
            model = try readModel(opened: index)
        } catch {
            throw explainingMissingState(error)
        }
        let rendered = try render(model)
        let body = rendered.bytes
        // Cache only what was rendered, from complete answers, from the file as it still is.
        if let index, rendered.cacheable, model.index === index, model.complete, Files.stamp(paths.stateFile) == stamp,
            (try? index.currentHash(stamp: stamp)) == model.header.hash
        {
            try? index.storeRendered(
                fingerprint.renderKey(stateHash: model.header.hash, arguments: arguments), body, now: now,
                validUntil: model.validUntil)
        }
        return body
    }
}

/// What a render made, and whether the render cache may keep it (not when it shows what is
/// only ever stored sealed: a private memory).
struct RenderedOutput {
    var bytes: [UInt8]
    var cacheable: Bool

    init(_ bytes: [UInt8], cacheable: Bool = true) {
        self.bytes = bytes
        self.cacheable = cacheable
    }
}
