import GitKit
import StateModel
import StateStore

#if canImport(Glibc)
    import Glibc
#endif

/// Failures of the application layer that are not the store's, git's or the model's.
public enum WorkspaceError: Error, Sendable, CustomStringConvertible {
    case bareRepository(String)
    case invalidEnvironment(name: String, value: String, reason: String)
    /// `next --claim` found nothing to claim; why, as `next` says it.
    case nothingReady(why: String)
    case unmergedState(String)
    case inProgressElsewhere(id: String, place: String, actor: String?)
    /// HEAD is older than the state file: a branch has it, added by `commit`.
    case predatesState(head: String, commit: String, subject: String, branch: String)

    public var description: String {
        switch self {
        case .bareRepository(let path):
            return "\(path) is a bare repository; codex-state needs a working tree"
        case .invalidEnvironment(let name, let value, let reason): return "\(name)='\(value)': \(reason)"
        case .nothingReady(let why):
            // "Nothing is ready: 2 open task(s) wait on others." as a parenthesis.
            let rest = why.dropFirst()
            let reason = why.prefix(1).lowercased() + (rest.hasSuffix(".") ? rest.dropLast() : rest)
            return "no task is ready to claim (\(reason))"
        case .inProgressElsewhere(let id, let place, let actor):
            return
                "\(id) is in progress in \(place)\(actor.map { " by " + $0 } ?? ""); pass --force to start it anyway"
        case .predatesState(let head, let commit, let subject, let branch):
            return
                "\(head.prefix(7)) predates the project state: .codex-state/ was added by \(commit.prefix(7)) \"\(subject)\" (on \(branch)); check out \(branch) or a commit after \(commit.prefix(7)) (codex-state init here would create files that stop git from checking \(branch) out again)"
        case .unmergedState(let path):
            return
                "\(path): unmerged (a merge or rebase is in progress and did not resolve it); resolve it and git add it first"
        }
    }
}

/// HEAD as the commands show it.
public struct HeadInfo: Sendable, Equatable {
    public var branch: String?
    public var commit: String?
    public var subject: String?
    public var unborn: Bool { commit == nil }
    public var detached: Bool { branch == nil }
    public var shortCommit: String? { commit.map { String($0.prefix(7)) } }
}

/// The application layer: the one path every command, hook and tool goes through. It opens the
/// repository, knows who the actor is and what time it is, serves reads from the index and runs
/// every mutation as one locked transaction that writes the file, the journal and the index.
public final class Workspace {
    public let repository: Repository
    public let store: StateStore
    public var paths: StorePaths { store.paths }
    public let environment: [String: String]
    private let actorOverride: String?
    /// Things worth telling the user that did not stop the command (the executable prints them).
    public internal(set) var warnings: [String] = []
    private var cachedHead: HeadInfo?
    private var cachedHeadRef: HeadInfo?
    /// What runs the operations, for the journal: `cli` (default), `mcp` or `hook`.
    public var client = "cli"
    /// This command's dealings with the claims remote (Claims.swift).
    public var claims = ClaimsSession()
    /// Redactions made by the running transaction's body, journaled with it (Memory.swift).
    var pendingRedactions: [Redaction.RuleHit] = []
    /// The index, opened once per command (``openIndex()``); nil inside: it could not be opened.
    private var openedIndex: StateIndex??
    /// Set when a read could not learn everything it asked git (a commit message that failed to
    /// read, say): what it shows is right for now, but must not be cached as the answer.
    var answersIncomplete = false
    /// While a partial transaction's body runs: a task's full record, stub or not (evaluations
    /// inside the body compare completions).
    var fullRecord: ((String) -> TaskRecord?)?
    /// The evaluation made by a partial transaction's first run of its body, for the next run.
    var partialEvaluation: ([String: TaskSummary], Evaluation, [CopyProblem])?
    /// While a focused transaction's body runs (Focused.swift): the index it was planned on.
    var focusedLane: FocusLane?
    /// The read context focused transactions plan on, made once per command (HEAD and the other
    /// copies do not move during one).
    var focusContext: ReadContext?
    /// The semantic model, opened on first use by recall and remember (MemorySemantic.swift).
    let semantic = SemanticSlot()

    /// Opens the repository containing `directory`.
    public init(directory: String, actor: String? = nil, environment: [String: String]) throws {
        let repo = try Repository.discover(from: directory, environment: environment)
        guard let workdir = repo.workdir else { throw WorkspaceError.bareRepository(repo.gitDir) }
        repository = repo
        self.environment = environment
        actorOverride = actor
        store = StateStore(paths: StorePaths(workdir: workdir, gitDir: repo.gitDir, commonDir: repo.commonDir))
        store.faultPoint = environment["CODEX_STATE_FAULT"]
        // A committed `.codex-state` link would take every read and write out of the tree.
        try store.checkLayout()
    }

    // MARK: - Context

    /// `--actor`, else `CODEX_STATE_ACTOR`, else git's `user.name`, else the login name.
    public var actor: String {
        if let a = actorOverride, !a.isEmpty { return a }
        if let a = environment["CODEX_STATE_ACTOR"], !a.isEmpty { return a }
        if let a = try? repository.configString("user.name"), !a.isEmpty { return a }
        return environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
    }

    /// The current time, or `CODEX_STATE_NOW` (an ISO-8601 UTC time) when set, for reproducible
    /// runs and tests.
    public func now() throws -> Timestamp {
        if let fixed = environment["CODEX_STATE_NOW"], !fixed.isEmpty {
            guard let t = Timestamp(iso8601: fixed) else {
                throw WorkspaceError.invalidEnvironment(
                    name: "CODEX_STATE_NOW", value: fixed, reason: "expected a UTC time like 2026-01-31T12:00:00Z")
            }
            return t
        }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec))
    }

    /// How long to wait for the lock when `CODEX_STATE_LOCK_TIMEOUT` is not set. Hooks use a
    /// short wait: a git operation must never hang behind a slow codex-state.
    public var defaultLockTimeout: Double = 10

    /// The longest lock wait `CODEX_STATE_LOCK_TIMEOUT` may ask for. Hooks set it to their own
    /// cap, so an exported large value cannot make git wait.
    public var maximumLockTimeout: Double = .infinity

    /// Seconds to wait for the lock: `CODEX_STATE_LOCK_TIMEOUT`, else ``defaultLockTimeout``,
    /// never more than ``maximumLockTimeout``.
    func lockTimeout() throws -> Double {
        guard let raw = environment["CODEX_STATE_LOCK_TIMEOUT"], !raw.isEmpty else {
            return min(defaultLockTimeout, maximumLockTimeout)
        }
        guard let v = Double(raw), v >= 0, v.isFinite else {
            throw WorkspaceError.invalidEnvironment(
                name: "CODEX_STATE_LOCK_TIMEOUT", value: raw, reason: "expected a number of seconds")
        }
        return min(v, maximumLockTimeout)
    }

    /// HEAD with the subject of its commit: kept in the index for HEAD's commit, else read from
    /// the commit (libgit2) and kept.
    public func head() throws -> HeadInfo {
        if let h = cachedHead { return h }
        var h = try headRef()
        if let hex = h.commit, let c = ObjectID(hex: hex) {
            // (Before `init` there is no index to keep it in, and none is created for it.)
            let index = store.isInitialized ? openIndex() : nil
            if let kept = try? index?.subject(of: hex) {
                h.subject = kept
            } else if let summary = try? repository.commit(c).summary {
                h.subject = summary
                try? index?.keepSubject(summary, of: hex)
            }
        }
        cachedHead = h
        return h
    }

    /// HEAD's branch and commit without the subject: read from git's files when they are plain,
    /// so a read answered from the index initialises no libgit2.
    public func headRef() throws -> HeadInfo {
        if let h = cachedHead ?? cachedHeadRef { return h }
        let h: HeadInfo
        switch try repository.head() {
        case .branch(let name, let c): h = HeadInfo(branch: name, commit: c.hex, subject: nil)
        case .detached(let c): h = HeadInfo(branch: nil, commit: c.hex, subject: nil)
        case .unborn(let name): h = HeadInfo(branch: name, commit: nil, subject: nil)
        }
        cachedHeadRef = h
        return h
    }

    // MARK: - Init

    public struct InitResult: Sendable {
        public var created: Bool
        public var stateFile: String
        public var projectName: String
    }

    /// Creates `.codex-state/` with an empty state and `sessions/`; on an initialised repository
    /// it validates the state file and changes nothing.
    public func initialize(projectName: String?, command: String) throws -> InitResult {
        _ = try now()  // a bad CODEX_STATE_NOW must fail before anything is written
        // On a commit older than the state, new files would stop git from checking the branch
        // that has it out again.
        if let older = try stateIntroduction() { throw older }
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        try store.createSessionsLayout()
        if store.isInitialized {
            let loaded = try store.readState()
            _ = try store.loadIndexed()
            // The merge driver is per-clone config: a fresh clone's `init` lands here.
            _ = try configureMergeDriverLocked()
            return InitResult(created: false, stateFile: paths.stateFile, projectName: loaded.state.project.name)
        }
        let name = projectName ?? String(paths.workdir.split(separator: "/").last ?? "project")
        let state = ProjectState(projectName: name)
        let initial = ProjectState(projectName: "").changes(to: state).filter { $0.kind == "project" }
            .map { EntityChange(kind: $0.kind, id: $0.id, before: nil, after: $0.after) }
        try write(state, replacing: nil, changes: initial, command: command)
        _ = try configureMergeDriverLocked()
        return InitResult(created: true, stateFile: paths.stateFile, projectName: name)
    }

    // MARK: - Transactions

    /// Runs `body` as one transaction: under the worktree lock, the state file is read and
    /// validated, `body` changes it, and if anything changed the file is replaced atomically,
    /// the change is journaled and the index brought along. A throwing `body` changes nothing.
    ///
    /// With `partial`, the body must read other tasks only through what ``TaskSummary`` holds
    /// (ids, graph, status, claims: the commands of `Commands.swift` do): it then runs on a state
    /// whose tasks are stubs from the index, and the tasks it changes are decoded from their own
    /// lines of the file and the body run again, so only they are decoded and only their bytes
    /// are re-encoded. Whenever that path does not apply (no current index, a file this tool did
    /// not write as it is, a change the splice declines) the whole file is read as before.
    ///
    /// With `focus`, a plan names the only tasks the body reads or changes (from the index, under
    /// the lock): the body then runs on a state holding those tasks alone (Focused.swift), and
    /// anything outside that plan — a body that throws, a change to another task — falls back to
    /// the paths above, which run the body again and decide.
    public func transaction<T>(
        command: String, partial: Bool = false, focus: FocusPlan? = nil,
        _ body: (inout ProjectState, MutationContext) throws -> T
    ) throws -> T {
        let ctx = try mutationContext()
        if !store.isInitialized { throw explainingMissingState(StoreError.notInitialized(stateFile: paths.stateFile)) }
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        return try store.withSharedIndex { try locked(command: command, partial: partial, focus: focus, ctx, body) }
    }

    /// The transaction, under the worktree lock.
    private func locked<T>(
        command: String, partial: Bool, focus: FocusPlan?, _ ctx: MutationContext,
        _ body: (inout ProjectState, MutationContext) throws -> T
    ) throws -> T {
        // A merge the driver declined leaves ours in the working tree as valid JSON: writing it
        // and adding it would silently drop theirs.
        if try repository.operationInProgress, try repository.isUnmerged(StateFileName.relative) {
            // Conflict markers or broken JSON are the more useful thing to name.
            _ = try store.readState()
            throw WorkspaceError.unmergedState(paths.stateFile)
        }
        if let focus, let done = try focusedTransaction(command: command, ctx, focus, body) { return done.value }
        if partial, let done = try partialTransaction(command: command, ctx, body) { return done.value }
        let loaded = try store.readStateForUpdate()
        var state = loaded.state
        pendingRedactions = []
        let result = try body(&state, ctx)
        let changes = redactedChanges(&state, since: loaded.state)
        guard !changes.isEmpty else { return result }
        try write(state, replacing: loaded, changes: changes, command: command)
        return result
    }

    /// A finished partial transaction's result (a struct, since `T` may itself be optional).
    struct Done<T> { var value: T }

    /// The partial path of ``transaction(command:partial:_:)``: nil when it does not apply and
    /// nothing was written (the caller then takes the full path).
    private func partialTransaction<T>(
        command: String, _ ctx: MutationContext, _ body: (inout ProjectState, MutationContext) throws -> T
    ) throws -> Done<T>? {
        guard var loaded = try store.readPartialForUpdate() else { return nil }
        let warningCount = warnings.count
        defer {
            fullRecord = nil
            partialEvaluation = nil
        }
        // Two rounds suffice for the commands (the first finds which tasks change); a third
        // would mean the body's choice depends on what it decoded: take the full path.
        for _ in 0..<3 {
            warnings.removeSubrange(warningCount...)
            let current = loaded
            fullRecord = { id in
                current.stubs.contains(id) ? StateStore.task(id, in: current.bytes) : current.state.tasks[id]
            }
            var state = loaded.state
            pendingRedactions = []
            let result = try body(&state, ctx)
            let changes = redactedChanges(&state, since: loaded.state)
            let stubbed = Set(changes.filter { $0.kind == "task" && loaded.stubs.contains($0.id) }.map(\.id))
            if !stubbed.isEmpty {
                guard store.fillStubs(stubbed, in: &loaded) else { break }
                continue
            }
            guard !changes.isEmpty else { return Done(value: result) }
            guard let spliced = try? CanonicalSplice.splice(changes, in: loaded.bytes) else { break }
            try write(state, replacing: loaded, changes: changes, spliced: spliced, command: command)
            return Done(value: result)
        }
        warnings.removeSubrange(warningCount...)
        pendingRedactions = []
        return nil
    }

    /// Redacts secrets from what the body changed (none reaches the file, the journal or the
    /// index: docs/memory.md, Redaction) and returns the changes.
    func redactedChanges(_ state: inout ProjectState, since old: ProjectState) -> [EntityChange] {
        let found = state.redactChangedText(since: old)
        if found.contains(where: { !$0.allowed }) {
            let rules = Set(found.filter { !$0.allowed }.map(\.rule)).sorted().joined(separator: ", ")
            warnings.append(
                "redacted \(found.filter { !$0.allowed }.count) secret(s) (\(rules)); to store a fixture verbatim put "
                    + "\(Redaction.allowPragma) on its line")
        }
        pendingRedactions += found
        return old.changes(to: state)
    }

    /// Who, when, where HEAD is, and a fresh nonce: the context of one mutation.
    func mutationContext() throws -> MutationContext {
        // Branch and commit only: read from git's files, no libgit2 (``headRef()``).
        let head = try headRef()
        return MutationContext(
            actor: actor, now: try now(), branch: head.branch, head: head.commit, nonce: try idNonce())
    }

    /// The random input to new ids, or `CODEX_STATE_ID_SEED` when set: with it (and
    /// `CODEX_STATE_NOW`) the same commands make the same ids, for reproducible runs and tests.
    func idNonce() throws -> UInt64 {
        guard let text = environment["CODEX_STATE_ID_SEED"], !text.isEmpty else {
            return UInt64.random(in: .min ... .max)
        }
        guard let seed = UInt64(text) else {
            throw WorkspaceError.invalidEnvironment(
                name: "CODEX_STATE_ID_SEED", value: text,
                reason: "expected a whole number from 0 to 18446744073709551615")
        }
        return seed
    }

    /// Writes the state and its journal record (the caller holds the lock).
    func write(
        _ state: ProjectState, replacing old: LoadedState?, changes: [EntityChange],
        spliced: CanonicalSplice.Splice? = nil,
        command: String
    ) throws {
        let head = try headRef()
        let (at, actor, worktree, client) = (try now(), self.actor, paths.workdir, self.client)
        let redactions = pendingRedactions
        pendingRedactions = []
        let (_, journalError) = try store.write(state, replacing: old, changes: changes, spliced: spliced) { hash in
            var rec = JournalRecord(
                at: at, actor: actor, command: Redaction.redact(command).text, worktree: worktree,
                branch: head.branch, head: head.commit, stateBefore: old?.hash, stateAfter: hash, changes: changes)
            rec.redactions = redactions.isEmpty ? nil : redactions
            rec.client = client
            return rec
        }
        if let journalError {
            // The state is already written; losing its journal line must not look like failure.
            warnings.append("warning: operation saved, but not journaled yet (retried next time): \(journalError)")
        }
    }

    public func journal() throws -> [JournalRecord] {
        // A crash may have left the last write's record pending: finish it first (under the
        // lock, so a writer in flight is not journaled twice; if the lock is busy, that writer
        // is alive and journals it itself).
        if Files.entryExists(paths.pendingJournalFile) {
            do {
                let lock = try writeLock(timeout: 1)
                withExtendedLifetime(lock) {}
            } catch StoreError.lockTimeout {
            } catch StoreError.io(let path, _, _) where path == paths.lockFile {}
        }
        let (records, bad) = try Journal(path: paths.journalFile).read()
        if bad > 0 { warnings.append("warning: \(paths.journalFile): skipped \(bad) line(s) that cannot be read") }
        return openPrivateRecords(records)
    }

    /// While a merge left the state file unmerged, reads show our side only (the working tree
    /// holds ours as valid JSON): adds a warning saying so. If git's index or the operation's
    /// files cannot be read, it warns too — better a needless warning than a silent partial view.
    public func warnIfStateUnmerged() {
        guard (try? repository.operationInProgress) != false,
            (try? repository.isUnmerged(StateFileName.relative)) != false
        else {
            return
        }
        warnings.append(
            "warning: \(StateFileName.relative) is unmerged: this shows our side only; resolve the merge and git add it (codex-state check says how)"
        )
    }

    /// The journal of a bare repository, which has no working tree (so no state and no
    /// ``Workspace``) but has a common directory: empty unless a clone's journal was kept there.
    public static func bareRepositoryJournal(directory: String, environment: [String: String]) throws
        -> [JournalRecord]
    {
        let repo = try Repository.discover(from: directory, environment: environment)
        return try Journal(path: StorePaths(workdir: "/", gitDir: repo.gitDir, commonDir: repo.commonDir).journalFile)
            .records()
    }

    // MARK: - Reads

    /// The index, opened on first use and shared by everything this command reads; nil when it
    /// cannot be opened (the reads then parse the file).
    func openIndex() -> StateIndex? {
        if let opened = openedIndex { return opened }
        let index = try? store.openIndex()
        openedIndex = .some(index)
        return index
    }

    /// The full record of one task by its exact id, from the index (else from the file).
    public func record(_ id: String) throws -> TaskRecord {
        if let t = try openIndex()?.task(id) { return t }
        guard let t = try store.readState().state.tasks[id] else { throw ModelError.unknownID(kind: .task, id: id) }
        return t
    }

    /// The task graph evaluated at HEAD over every copy of the state this clone can see (this
    /// worktree's file from the index, the other worktrees' files, the committed file at every
    /// local and remote-tracking branch tip). Copies that cannot be read are skipped with one
    /// warning each. The one read API the CLI, hooks and MCP share.
    public func view() throws -> HeadView { try indexedView(try readContext()).0 }

    /// The view `selection` needs (``ViewSelection``): `next` and `tasks` read only what they
    /// show from the index's evaluated graph.
    public func view(_ selection: ViewSelection) throws -> HeadView {
        do {
            return try view(selection, try readContext())
        } catch {
            throw explainingMissingState(error)
        }
    }

    func indexedView(_ ctx: ReadContext) throws -> (HeadView, StateIndex?) {
        let head = try self.head()
        let indexed: IndexedState
        let index: StateIndex?
        do {
            (indexed, index) = try store.loadIndexed(index: ctx.index)
        } catch {
            throw explainingMissingState(error)
        }
        let elsewhere = try uncommittedElsewhere(
            indexed.tasks, head: head, stateHash: indexed.hash, record: { id in try index?.task(id) })
        let e = try evaluateEverywhere(
            indexed.tasks, hash: indexed.hash, head: head, index: index, listing: ctx.listing,
            uncommittedElsewhere: elsewhere, keepUnfiltered: false)
        noteProblems(e.others.problems)
        return (HeadView(head: head, state: indexed, evaluation: e.evaluation, copyProblems: e.others.problems), index)
    }

    /// The full record of one task (id or unique prefix).
    public func task(_ idOrPrefix: String) throws -> (TaskRecord, HeadView) {
        let (v, index) = try indexedView(try readContext())
        let id = try Identifiers.resolve(idOrPrefix, kind: .task, among: v.state.tasks.keys)
        if let index, let t = try index.task(id) { return (t, v) }
        guard let t = try store.readState().state.tasks[id] else { throw ModelError.unknownID(kind: .task, id: id) }
        return (t, v)
    }

    /// Whether each completion commit is reachable from HEAD: cached answers from the index,
    /// the rest in one batched walk whose answers are cached in turn.
    func reachability<S: Sequence>(of commits: S, head: HeadInfo, index: StateIndex?) throws
        -> [String: Reachability] where S.Element == String
    {
        let wanted = Set(commits)
        guard !wanted.isEmpty else { return [:] }
        var out: [String: Reachability] = [:]
        guard let headHex = head.commit, let headID = ObjectID(hex: headHex) else {
            for c in wanted {
                out[c] =
                    try ObjectID(hex: c).map { try repository.commitExists($0) } == true ? .unreachable : .unknownCommit
            }
            return out
        }
        if let index { out = (try? index.reachability(head: headHex)) ?? [:] }
        var missing = Set<ObjectID>()
        for c in wanted where out[c] == nil {
            if let id = ObjectID(hex: c) { missing.insert(id) } else { out[c] = .unknownCommit }
        }
        guard !missing.isEmpty else { return out }
        var fresh: [String: Reachability] = [:]
        // HEAD usually moved forward from a HEAD already answered (a commit, a pull): carry
        // those answers over and walk only the commits in between.
        if let index, let carried = try? carryForward(missing, to: headID, index: index) {
            for (id, r) in carried {
                fresh[id.hex] = r
                missing.remove(id)
            }
        }
        for (id, a) in missing.isEmpty ? [:] : try repository.ancestry(of: missing, head: headID) {
            switch a {
            case .ancestor: fresh[id.hex] = .reachable
            case .notAncestor: fresh[id.hex] = .unreachable
            case .missing, .notFoundInShallowClone: fresh[id.hex] = .unknownCommit
            }
        }
        out.merge(fresh) { $1 }
        // A missing commit may arrive with the next fetch: only settled answers are cached.
        if let index {
            try? index.storeReachability(head: headHex, fresh.filter { $0.value != .unknownCommit }, now: try now())
        }
        return out
    }

    /// Answers for `commits` at `head` derived from a cached earlier HEAD that `head` descends
    /// from: reachable there stays reachable; unreachable there is reachable here exactly when
    /// the commit is among those between the two HEADs. Nil when no cached HEAD is a recent
    /// ancestor (the caller then walks).
    func carryForward(_ commits: Set<ObjectID>, to head: ObjectID, index: StateIndex) throws -> [ObjectID:
        Reachability]?
    {
        // A shallow clone's walks end at its boundary: nothing to carry answers across.
        if try repository.isShallow { return nil }
        for candidate in try index.recentHeads(limit: 4) {
            guard let base = ObjectID(hex: candidate), base != head else { continue }
            // Bounded: a HEAD that moved far, or sideways, is answered by the full walk instead.
            let between = try repository.commits(from: head, hiding: [base], limit: 2_000)
            guard between.count < 2_000, try repository.ancestry(of: [base], head: head)[base] == .ancestor else {
                continue
            }
            let known = try index.reachability(head: candidate)
            let newer = Set(between.map(\.id))
            var out: [ObjectID: Reachability] = [:]
            for c in commits {
                switch known[c.hex] {
                case .reachable?: out[c] = .reachable
                case .unreachable?: out[c] = newer.contains(c) ? .reachable : .unreachable
                default: break  // not answered there: walk for it
                }
            }
            return out
        }
        return nil
    }

    /// The evaluation of a full state over every copy (used inside transactions, which parse the
    /// file anyway).
    func evaluate(_ state: ProjectState) throws -> Evaluation {
        var summaries: [String: TaskSummary] = [:]
        for (id, t) in state.tasks { summaries[id] = TaskSummary(t) }
        // A partial transaction runs its body again once the tasks it changes are decoded: the
        // summaries are the same (stubs summarise exactly), so is the evaluation.
        if fullRecord != nil, let (known, evaluation, problems) = partialEvaluation, known == summaries {
            noteProblems(problems)
            return evaluation
        }
        let index = openIndex()
        let head = try head()
        let record = fullRecord
        let elsewhere = try uncommittedElsewhere(
            summaries, head: head, stateHash: nil, record: { record?($0) ?? state.tasks[$0] })
        let (evaluation, problems) = try evaluateEverywhere(
            summaries, head: head, index: index, uncommittedElsewhere: elsewhere)
        noteProblems(problems)
        if fullRecord != nil { partialEvaluation = (summaries, evaluation, problems) }
        return evaluation
    }
}

/// The state as seen from HEAD.
public struct HeadView: Sendable {
    public let head: HeadInfo
    public let state: IndexedState
    public let evaluation: Evaluation
    /// Other copies of the state that could not be read (skipped; `check` reports them).
    public var copyProblems: [CopyProblem] = []
    /// A view read from the index's evaluated graph holds only the tasks it shows; these say
    /// what it would otherwise count over every task.
    /// `next`'s candidates, best first, when the index ranked them.
    public var ranked: [RankedTask]?
    /// How many tasks have each effective status, when the view does not hold every task.
    public var statusCounts: [EffectiveStatus: Int]?
    /// Counts over every task, when the view does not hold every task (the preamble's).
    public var totals: GraphTotals?
    /// How many unfinished tasks wait on each task the view holds, when it holds only some.
    public var unblocks: [String: Int]?
    /// With ``totals``: how many tasks are in progress on this branch, and how many of those
    /// wait on something or are blocked there (the view holds the first few of each).
    public var workHere: (inProgress: Int, stuck: Int)?
    var storedTaskCount: Int?

    init(head: HeadInfo, state: IndexedState, evaluation: Evaluation, copyProblems: [CopyProblem] = []) {
        self.head = head
        self.state = state
        self.evaluation = evaluation
        self.copyProblems = copyProblems
    }

    /// How many tasks this worktree's state has (the view may hold fewer).
    public var taskCount: Int {
        get { storedTaskCount ?? state.tasks.count }
        set { storedTaskCount = newValue }
    }

    /// Milestone titles by id, to name milestones by title in listings.
    public var milestoneTitles: [String: String] {
        Dictionary(state.milestones.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
    }

    public var milestoneOrder: [String: Int] {
        var p = ProjectState(projectName: state.projectName)
        for m in state.milestones { p.milestones[m.id] = m }
        return p.milestoneOrder
    }
}
