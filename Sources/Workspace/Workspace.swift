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
    /// The task exists only in another copy of the state: this worktree's file cannot change it.
    case onlyElsewhere(id: String, copy: String)
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
        case .onlyElsewhere(let id, let copy):
            return
                "task \(id) is only in \(copy): this worktree's state does not have it; merge \(copy) (or check it out) to change it here"
        case .predatesState(let head, let commit, let subject, let branch):
            return
                "\(head.prefix(7)) predates the project state: .codex-state/ was added by \(commit.prefix(7)) \"\(subject)\" (on \(branch)); check out \(branch) or a commit after \(commit.prefix(7)) (codex-state init here would create files that stop git from checking \(branch) out again)"
        case .unmergedState(let path):
            return
                "\(path): unmerged (a merge or rebase is in progress and did not resolve it); resolve it and git add it first"
        }
    }
}

/// What the reads of one command did (``Workspace/probe``).
public struct Probe: Sendable, Equatable {
    /// Outputs served from the render cache.
    public var renderCacheHits = 0
    /// Read models made: from the index, and (the index unusable) in memory.
    public var models = 0
    public var inMemoryModels = 0
    /// Every task evaluated again, and only the tasks an edit touched.
    public var fullEvaluations = 0
    public var incrementalUpdates = 0
    public init() {}
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
    /// Who acts when neither `--actor` nor `CODEX_STATE_ACTOR` says: the MCP client's name.
    private let clientName: String?
    /// Things worth telling the user that did not stop the command (the executable prints them).
    public internal(set) var warnings: [String] = []
    private var cachedHead: HeadInfo?
    private var cachedHeadRef: HeadInfo?
    /// What runs the operations: the journal's `client`, and how long a command may wait.
    public let surface: Surface
    /// The journal's name for ``surface``.
    var client: String { surface.rawValue }
    /// This command's dealings with the claims remote (Claims.swift).
    public var claims = ClaimsSession()
    /// The index, opened once per command (``openIndex()``); nil inside: it could not be opened.
    private var openedIndex: StateIndex??
    /// How many reads from git failed during this command (a commit message, a branch tip): what
    /// was made from them is right for now, but must not be cached as the answer.
    var incompleteReads = 0
    /// The fingerprint of this command's reads, made on first use.
    var readFingerprint: ReadFingerprint?
    /// What the reads of this command did, counted: tests read it to notice when a fast path
    /// stops being taken.
    public internal(set) var probe = Probe()
    /// The semantic model, opened on first use by recall and remember (MemorySemantic.swift).
    let semantic = SemanticSlot()

    /// Opens the repository containing `directory`.
    public init(
        directory: String, actor: String? = nil, clientName: String? = nil, surface: Surface = .cli,
        environment: [String: String]
    ) throws {
        let repo = try Repository.discover(from: directory, environment: environment)
        guard let workdir = repo.workdir else { throw WorkspaceError.bareRepository(repo.gitDir) }
        repository = repo
        self.environment = environment
        actorOverride = actor
        self.clientName = clientName
        self.surface = surface
        store = StateStore(paths: StorePaths(workdir: workdir, gitDir: repo.gitDir, commonDir: repo.commonDir))
        store.faultPoint = environment["CODEX_STATE_FAULT"]
        store.indexBusyTimeout = surface.indexBusyTimeout
        // A committed `.codex-state` link would take every read and write out of the tree.
        try store.checkLayout()
    }

    // MARK: - Context

    /// Who acts, decided here for every surface: `--actor`, else `CODEX_STATE_ACTOR`, else the MCP
    /// client's name (for the MCP server), else git's `user.name`, else the login name; redacted
    /// here, once, so the name stored in records is the name claims are compared with.
    public var actor: String { Redaction.redact(unredactedActor).text }

    private var unredactedActor: String {
        if let a = actorOverride, !a.isEmpty { return a }
        if let a = environment["CODEX_STATE_ACTOR"], !a.isEmpty { return a }
        if let a = clientName, !a.isEmpty { return a }
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

    /// Seconds to wait for the lock: `CODEX_STATE_LOCK_TIMEOUT`, else the surface's default,
    /// never more than the surface's cap (so an exported large value cannot make git wait).
    func lockTimeout() throws -> Double {
        guard let raw = environment["CODEX_STATE_LOCK_TIMEOUT"], !raw.isEmpty else {
            return min(surface.defaultLockTimeout, surface.maximumLockTimeout)
        }
        guard let v = Double(raw), v >= 0, v.isFinite else {
            throw WorkspaceError.invalidEnvironment(
                name: "CODEX_STATE_LOCK_TIMEOUT", value: raw, reason: "expected a number of seconds")
        }
        return min(v, surface.maximumLockTimeout)
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
            // Validated, and indexed for the reads to come.
            let name = try fileIndex(openIndex()).header().projectName
            // The merge driver is per-clone config: a fresh clone's `init` lands here.
            _ = try configureMergeDriverLocked()
            return InitResult(created: false, stateFile: paths.stateFile, projectName: name)
        }
        let name = projectName ?? String(paths.workdir.split(separator: "/").last ?? "project")
        // The name is user text like any other: redacted and within its limit.
        var state = ProjectState(projectName: name)
        let found = try state.redactChangedText(since: ProjectState(projectName: ""))
        try write(
            .whole(state), over: nil, command: command, redactions: warnAbout(found))
        _ = try configureMergeDriverLocked()
        return InitResult(created: true, stateFile: paths.stateFile, projectName: state.project.name)
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

    /// Where the repository containing `directory` is: its working tree (nil when bare) and its
    /// common git directory; nil outside a repository (any other failure to open one is an
    /// error). For commands that act on a clone without opening a workspace: `codex install`.
    public static func repositoryLocation(from directory: String) throws -> (workdir: String?, commonDir: String)? {
        do {
            let repo = try Repository.discover(from: directory)
            return (repo.workdir, repo.commonDir)
        } catch is NotARepository {
            return nil
        }
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

    /// `task show`: one task in full (here, or only in another copy) with its row and its place
    /// in this worktree's graph.
    public func show(_ idOrPrefix: String) throws -> TaskDetail {
        let model = try readModel()
        let id = try model.resolve(idOrPrefix)
        guard let row = try model.row(id) else { throw ModelError.unknownID(kind: .task, id: id) }
        let record = try model.record(row)
        let (dependents, children) = row.isHere ? try model.neighbours(of: id) : ([], [])
        let waited = try model.rows(ids: record.deps)
        return TaskDetail(
            head: model.head, record: record, row: row, children: children, dependents: dependents,
            depStatuses: record.deps.map { ($0, waited[$0]?.status) }, milestoneTitles: model.milestoneTitles,
            anchor: try completionAnchor(of: record))
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
}

/// One task in full (`task show`, the MCP `task_show` tool): its record, its row of the read
/// model, and its neighbours in this worktree's graph.
public struct TaskDetail: Sendable {
    public var head: HeadInfo
    public var record: TaskRecord
    public var row: EvaluatedTask
    public var children: [String]
    public var dependents: [String]
    /// Each dependency with its effective status (nil: no such task anywhere).
    public var depStatuses: [(id: String, status: EffectiveStatus?)]
    public var milestoneTitles: [String: String]
    public var anchor: CompletionAnchor?
}

/// Who runs a workspace's commands: the CLI, the MCP server, or a hook (git's, or Codex's). The
/// journal records it; a hook waits briefly, since git (or the agent's start) must never hang
/// behind codex-state: at most 2 s for the lock, whatever the environment asks, and an index
/// another process holds is skipped after 0.2 s (the rows are made from the file).
public enum Surface: String, Sendable {
    case cli, mcp, hook

    var defaultLockTimeout: Double { self == .hook ? 2 : 10 }
    var maximumLockTimeout: Double { self == .hook ? 2 : .infinity }
    var indexBusyTimeout: Double { self == .hook ? 0.2 : 1 }
    /// Whether the command may reach the claims remote: a hook answers from the cached listing
    /// and publishes or releases nothing (git never waits on the network for us).
    var mayUseNetwork: Bool { self != .hook }
}
