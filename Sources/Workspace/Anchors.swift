import GitKit
import StateModel
import StateStore

/// Finding completions again after history was rewritten where no hook ran: another clone, a
/// rebase on a server, a squash merge.
extension Workspace {
    /// How many of HEAD's newest commits recovery looks at.
    static let recoveryWindow = 1000

    /// For each completed task whose recorded commit is not reachable from HEAD, the commit on
    /// HEAD that carries its work, found (in this order) through the clone's rewrite map, by
    /// patch-id among HEAD's recent commits that the recorded commit cannot reach, or by a
    /// `Codex-Task:` trailer naming the task. Answers are cached in the index per HEAD, and the
    /// per-commit facts (patch-id, trailers) for good.
    func recoverAnchors(
        tasks: [String: TaskSummary], reach: [String: Reachability], head: HeadInfo, index: StateIndex?
    ) throws -> [String: RecoveredAnchor] {
        try recoverAnchors(
            completions: CopyInputs.completionCommits(here: tasks, facts: [:]), reach: reach, head: head, index: index)
    }

    /// As above, for completions recorded in any copy: (task, commit) pairs. A task with one
    /// completion reachable from HEAD needs no recovery.
    func recoverAnchors(
        completions: [(task: String, commit: String)], reach: [String: Reachability], head: HeadInfo,
        index: StateIndex?
    ) throws -> [String: RecoveredAnchor] {
        guard let headHex = head.commit, let headID = ObjectID(hex: headHex) else { return [:] }
        let doneHere = Set(completions.filter { reach[$0.commit] == .reachable }.map(\.task))
        let lost = completions.filter { reach[$0.commit] != .reachable && !doneHere.contains($0.task) }
        guard !lost.isEmpty else { return [:] }
        var settled = (try? index?.recoveries(head: headHex)) ?? [:]
        var result: [String: RecoveredAnchor] = [:]
        var open: [(task: String, commit: String)] = []
        for (task, c) in lost where result[task] == nil {
            if let answer = settled[RecoveryKey(task: task, commit: c)] {
                if let found = answer { result[task] = found }
            } else {
                open.append((task, c))
            }
        }
        open.removeAll { result[$0.task] != nil }
        guard !open.isEmpty else { return result }

        var fresh: [RecoveryKey: RecoveredAnchor?] = [:]
        // 1. The rewrite map, followed to a commit HEAD can reach.
        let map: [String: String]
        var mapUnreadable = false
        do {
            map = try RewriteMap(path: paths.rewritesFile).load()
        } catch {
            // Without the map, what recovery finds is not the answer: said, and asked again.
            warnings.append("warning: \(paths.rewritesFile): cannot read the rewrite map: \(error)")
            mapUnreadable = true
            map = [:]
        }
        var viaMap: [String: String] = [:]
        for (_, c) in open { if let n = Rewrite.resolve(c, in: map) { viaMap[c] = n } }
        let mapped = Set(viaMap.values.compactMap(ObjectID.init(hex:)))
        let mappedReach = mapped.isEmpty ? [:] : try repository.ancestry(of: mapped, head: headID)
        var remaining: [(task: String, commit: String)] = []
        for (task, c) in open where result[task] == nil {
            if let n = viaMap[c], let id = ObjectID(hex: n), mappedReach[id] == .ancestor {
                let found = RecoveredAnchor(method: .rewrite, commit: n)
                result[task] = found
                fresh[RecoveryKey(task: task, commit: c)] = found
            } else {
                remaining.append((task, c))
            }
        }

        // 2 and 3. HEAD's recent commits that the recorded commits cannot reach.
        if !remaining.isEmpty {
            // HEAD's newest commits, unfiltered: hiding the recorded commits would make libgit2
            // mark their whole ancestry, often most of the history.
            let window = try repository.commits(from: headID, limit: Self.recoveryWindow)
            var facts = (try? index?.commitFacts(window.map(\.id.hex) + remaining.map(\.commit))) ?? [:]
            var newFacts: [String: CommitFacts] = [:]
            var byTrailer: [String: [ObjectID]] = [:]  // task → commits naming it, newest first
            // A fact that could not be read (a transient error) is neither cached nor used to
            // cache an answer: the next run asks again.
            var incomplete = mapUnreadable
            for info in window {
                if facts[info.id.hex] == nil {
                    guard let message = try? readMessage(of: info.id) else {
                        incomplete = true
                        continue
                    }
                    let ids = TaskTrailer.taskIDs(in: message)
                    facts[info.id.hex] = CommitFacts(patchID: nil, taskIDs: ids)
                    newFacts[info.id.hex] = facts[info.id.hex]
                }
                for id in facts[info.id.hex]?.taskIDs ?? [] { byTrailer[id, default: []].append(info.id) }
            }
            // Patch-ids only when a recorded commit exists here to compare with.
            var wanted: [String: [String]] = [:]  // patch-id → tasks
            // The paths each wanted commit touches: a window commit touching other paths cannot
            // have its patch-id, so only those touching the same ones are diffed in full. Nil
            // when a wanted commit's paths are unknown (then every patch-id is compared).
            var wantedPaths: Set<[String]>? = []
            func wantPaths(of id: ObjectID?) {
                if let id, let paths = try? repository.changedPaths(of: id) {
                    wantedPaths?.insert(paths)
                } else {
                    wantedPaths = nil
                }
            }
            for (task, c) in remaining {
                if let pid = facts[c]?.patchID {
                    wanted[pid, default: []].append(task)
                    wantPaths(of: ObjectID(hex: c))
                    continue
                }
                guard let id = ObjectID(hex: c), try repository.commitExists(id) else { continue }
                let patchID: ObjectID?
                let ids: [String]
                do {
                    patchID = try repository.patchID(of: id)
                    ids = try facts[c]?.taskIDs ?? TaskTrailer.taskIDs(in: readMessage(of: id))
                } catch {
                    incomplete = true
                    continue
                }
                guard let pid = patchID else { continue }  // a merge commit has none
                newFacts[c] = CommitFacts(patchID: pid.hex, taskIDs: ids)
                wanted[pid.hex, default: []].append(task)
                wantPaths(of: id)
            }
            var byPatch: [String: String] = [:]  // task → commit
            if !wanted.isEmpty {
                for info in window {
                    var f = facts[info.id.hex] ?? CommitFacts(patchID: nil, taskIDs: [])
                    if f.patchID == nil, let filter = wantedPaths {
                        do {
                            guard let paths = try repository.changedPaths(of: info.id), filter.contains(paths) else {
                                continue
                            }
                        } catch {
                            incomplete = true
                            continue
                        }
                    }
                    if f.patchID == nil {
                        do {
                            if let pid = try repository.patchID(of: info.id) {
                                f.patchID = pid.hex
                                facts[info.id.hex] = f
                                newFacts[info.id.hex] = f
                            }
                        } catch {
                            incomplete = true
                        }
                    }
                    if let pid = f.patchID, let tasks = wanted.removeValue(forKey: pid) {
                        for t in tasks { byPatch[t] = info.id.hex }
                    }
                    if wanted.isEmpty { break }
                }
            }
            for (task, c) in remaining {
                let key = RecoveryKey(task: task, commit: c)
                if let n = byPatch[task], result[task] == nil {
                    result[task] = RecoveredAnchor(method: .patchID, commit: n)
                } else if result[task] == nil, let n = try finishingCommit(among: byTrailer[task] ?? [], recorded: c) {
                    result[task] = RecoveredAnchor(method: .trailer, commit: n.hex)
                }
                if !incomplete || result[task] != nil { fresh[key] = result[task] }
            }
            if !newFacts.isEmpty { try? index?.storeCommitFacts(newFacts) }
            if incomplete { incompleteReads += 1 }
        }
        if !fresh.isEmpty { try? index?.storeRecoveries(head: headHex, fresh) }
        settled.merge(fresh) { $1 }
        return result
    }

    /// Among commits whose `Codex-Task:` trailer names a task, the one that carries the work of
    /// the recorded completion commit. Work-in-progress commits carry the trailer too (the
    /// `prepare-commit-msg` hook adds it to every commit while the task is in progress), so a
    /// trailer alone proves nothing when the recorded commit is here to compare with: the message
    /// must identify that commit — its full id (`git merge --squash` writes `commit <sha>` for
    /// each squashed commit) or its subject as a line of its own (hosting services list the
    /// squashed commits' messages). Only when this clone lacks the recorded commit is the newest
    /// trailer commit taken, as the only evidence there is.
    func finishingCommit(among candidates: [ObjectID], recorded: String) throws -> ObjectID? {
        guard !candidates.isEmpty else { return nil }
        guard let id = ObjectID(hex: recorded), try repository.commitExists(id) else { return candidates.first }
        let subject = Self.trimmed(Substring(try repository.commit(id).summary))
        for c in candidates where c != id {
            let message = try repository.message(of: c)
            if message.contains(recorded) { return c }
            guard !subject.isEmpty else { continue }
            // Below the commit's own subject: a quoted or listed message of a squashed commit.
            let quoted = message.split(whereSeparator: \.isNewline).dropFirst().map {
                Self.trimmed($0.drop { $0 == " " || $0 == "\t" || $0 == "*" || $0 == "-" || $0 == ">" })
            }
            if quoted.contains(subject) { return c }
        }
        return nil
    }

    private static func trimmed(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }

    /// Writes recovered anchors into the state file (`codex-state reanchor`): each completion the
    /// read model recognises on HEAD under another commit is re-pointed at that commit; a
    /// completion only another copy records (the work came over alone: a cherry-pick, a squash
    /// merge) is recorded here, at the commit on HEAD that carries it. Returns (task, old, new,
    /// method).
    public func reanchor(_ idOrPrefix: String?, command: String) throws -> [(String, String, RecoveredAnchor)] {
        let model = try readModel()
        var rows = try model.allRows().values.filter { $0.isHere && $0.recovered != nil }
        if let want = idOrPrefix {
            let id = try model.resolve(want)
            rows = rows.filter { $0.id == id }
        }
        guard !rows.isEmpty else { return [] }
        // Completions recorded only in other copies, as the first copy that records each has it.
        var adopted: [String: (completion: Completion, copy: String)] = [:]
        let listing = try fingerprint(index: openIndex()).listing
        for row in rows where row.task.status != .done {
            for entry in listing.entries {
                guard let bytes = try copyBytes(entry),
                    let t = StateCodec.task(row.id, in: bytes), t.status == .done, let c = t.completion
                else { continue }
                adopted[row.id] = (c, entry.copy.label)
                break
            }
        }
        var done: [(String, String, RecoveredAnchor)] = []
        try transaction(command: command, footprint: Footprint(tasks: rows.map(\.id))) { state, ctx in
            for row in rows.sorted(by: { $0.id < $1.id }) {
                guard let anchor = row.recovered, var t = try state.task(row.id) else { continue }
                if let old = t.completion?.commit {
                    guard old != anchor.commit else { continue }
                    t.completion?.commit = anchor.commit
                    try state.setTask(row.id, t)
                    done.append((row.id, old, anchor))
                } else if let (c, copy) = adopted[row.id] {
                    try state.adoptCompletion(row.id, c, on: anchor.commit, from: copy, ctx)
                    done.append((row.id, c.commit ?? "", anchor))
                }
            }
        }
        return done
    }

    /// The bytes of one listed copy of the state.
    func copyBytes(_ entry: CopyListing.Entry) throws -> [UInt8]? {
        if let b = entry.bytes { return b }
        if let blob = entry.blob { return try repository.blob(blob) }
        return try Files.read(entry.location)
    }

    /// A commit's message for anchor recovery. `CODEX_STATE_FAULT=unreadable-message:<sha>`
    /// makes the read of that one commit fail, as a transient error would (for tests: a failed
    /// read must be asked again later, never cached as "no trailers").
    func readMessage(of id: ObjectID) throws -> String {
        if store.faultPoint == "unreadable-message:" + id.hex {
            throw InjectedFault(point: "unreadable-message:" + id.hex)
        }
        return try repository.message(of: id)
    }
}

/// What anchors a completion, as `task show` explains it.
public enum CompletionAnchor: Sendable, Equatable {
    /// The commit the record names (`complete --commit REV`, or a file written before
    /// completions could be recorded without one).
    case recorded(String)
    /// Recorded without a commit: the commit that first holds the record in the state file.
    case introduced(String)
    /// Recorded without a commit, and no commit holds it yet: the record is only in this working
    /// tree (commit `.codex-state/` with the work).
    case uncommitted

    public var commit: String? {
        switch self {
        case .recorded(let c), .introduced(let c): return c
        case .uncommitted: return nil
        }
    }

    /// How `--json` names the case: `recorded`, `introduced`, `uncommitted`.
    public var how: String {
        switch self {
        case .recorded: return "recorded"
        case .introduced: return "introduced"
        case .uncommitted: return "uncommitted"
        }
    }
}

extension Workspace {
    /// How far back the history of the state file is followed to find the commit that
    /// introduced a completion record.
    static let introductionWalkLimit = 50_000

    /// The commit that anchors `completion` of task `id` as seen from `tip` — the one rule every
    /// reader applies, to this worktree's file and to any other copy of the state (another
    /// branch's tip, another worktree). A completion naming a commit is anchored by that commit.
    /// One recorded without a commit (plain `complete`, before the work is committed) is
    /// anchored by the commit that first holds the record: starting at `tip`, follow parents
    /// whose state file still holds the same record; the last one that does is the commit that
    /// added it, i.e. the commit that carries the work (a commit cannot name itself, but the
    /// commit that introduces a record can be found). Nothing in the file changes when that
    /// commit is amended or rebased, so neither re-dirties it. Answers are cached in the index
    /// for good (they are facts about history), and reused when the cached commit is on `tip`.
    /// Nil when the completion names no commit and `tip`'s state file does not hold it.
    public func anchorCommit(of id: String, _ completion: Completion, from tip: ObjectID?) throws -> String? {
        if let c = completion.commit { return c }
        guard let tip else { return nil }
        let record = SHA256.hex(try CanonicalJSON.encode(completion))
        let index = openIndex()
        let cached = ((try? index?.introducingCommits(task: id, record: record)) ?? []).compactMap(ObjectID.init(hex:))
        if !cached.isEmpty {
            let answers = try repository.ancestry(of: Set(cached), head: tip)
            if let hit = cached.first(where: { answers[$0] == .ancestor }) { return hit.hex }
        }
        var holds: [ObjectID: Bool] = [:]  // state file blob → holds the record
        func holdsRecord(_ commit: ObjectID) throws -> Bool {
            // A shallow clone's boundary: the parent is not here, so the walk ends below it.
            guard try repository.commitExists(commit) else { return false }
            guard let blob = try repository.fileID(StateFileName.relative, at: commit) else { return false }
            if let known = holds[blob] { return known }
            let answer = StateCodec.task(id, in: try repository.blob(blob))?.completion == completion
            holds[blob] = answer
            return answer
        }
        guard try holdsRecord(tip) else { return nil }
        var current = tip
        for _ in 0..<Self.introductionWalkLimit {
            guard let older = try repository.parents(of: current).first(where: holdsRecord) else { break }
            current = older
        }
        // A commit that records only state (`complete` after the work was committed, then a
        // separate state commit) anchors the work below it: the nearest commit that changes more
        // than `.codex-state/`. So a cherry-pick of the work alone is recognised by patch-id.
        for _ in 0..<Self.introductionWalkLimit {
            guard let parent = try repository.parents(of: current).first, try repository.commitExists(parent),
                try repository.changesOnly(topLevelEntry: StateFileName.directory, commit: current)
            else { break }
            current = parent
        }
        try? index?.storeIntroducingCommit(task: id, record: record, commit: current.hex)
        return current.hex
    }

    /// How the completion of `task` is anchored at HEAD (nil when it has none).
    public func completionAnchor(of task: TaskRecord) throws -> CompletionAnchor? {
        guard let completion = task.completion else { return nil }
        if let c = completion.commit { return .recorded(c) }
        let tip = try headRef().commit.flatMap(ObjectID.init(hex:))
        return try anchorCommit(of: task.id, completion, from: tip).map(CompletionAnchor.introduced) ?? .uncommitted
    }
}

extension Workspace {
    /// What anchors the completion of each row that this worktree's file records as done
    /// (``anchorCommit(of:_:from:)`` from the model's HEAD), for `tasks --json` and the MCP
    /// `tasks` tool: a completion recorded without a commit gets the commit that holds it. Tasks
    /// only other copies have are left out (their `elsewhere` says where they are done).
    public func listAnchors(_ rows: [EvaluatedTask], _ model: ReadModel) throws -> [String: CompletionAnchor] {
        let tip = model.head.commit.flatMap(ObjectID.init(hex:))
        var out: [String: CompletionAnchor] = [:]
        for row in rows where row.isHere && row.task.status == .done {
            if let c = row.task.completionCommit {
                out[row.id] = .recorded(c)
                continue
            }
            guard let completion = try model.record(row).completion else { continue }
            out[row.id] =
                try anchorCommit(of: row.id, completion, from: tip).map(CompletionAnchor.introduced) ?? .uncommitted
        }
        return out
    }
}

extension Workspace {
    /// Completions recorded without a commit on another branch than HEAD's that no commit on HEAD
    /// holds: the working file was carried over by a checkout with the record uncommitted, so the
    /// work is on that branch's working tree, not here. (A record merged or committed here is in
    /// HEAD's own file and counts as done.) Reads HEAD's file only when such a record exists and
    /// the working file differs from it.
    func uncommittedElsewhere(
        _ tasks: [String: TaskSummary], head: HeadInfo, stateHash: String?, record: (String) throws -> TaskRecord?
    ) throws -> Set<String> {
        let candidates = tasks.values.filter {
            $0.status == .done && $0.completionCommit == nil && $0.completionBranch != nil
                && $0.completionBranch != head.branch
        }
        guard !candidates.isEmpty else { return [] }
        guard let tip = head.commit.flatMap(ObjectID.init(hex:)),
            let blob = try repository.fileID(StateFileName.relative, at: tip)
        else { return Set(candidates.map(\.id)) }
        let committed = try repository.blob(blob)
        if let stateHash, ContentHash.sha256(committed) == stateHash { return [] }
        var out: Set<String> = []
        for t in candidates {
            guard let completion = try record(t.id)?.completion else { continue }
            if StateCodec.task(t.id, in: committed)?.completion != completion { out.insert(t.id) }
        }
        return out
    }
}

extension Workspace {
    /// When `.codex-state/` is missing here but a branch has it: HEAD predates the state (or is on
    /// a history without it). Finds the commit that added the state file on the first branch
    /// (local first) whose tip has it, walking only the commits that HEAD cannot reach.
    public func stateIntroduction() throws -> WorkspaceError? {
        guard !store.isInitialized, let headHex = try headRef().commit, let head = ObjectID(hex: headHex) else {
            return nil
        }
        let file = StateFileName.relative
        for branch in try repository.branchTips() where try repository.fileID(file, at: branch.tip) != nil {
            for info in try repository.commits(from: branch.tip, hiding: [head], limit: 100_000) {
                guard try repository.fileID(file, at: info.id) != nil,
                    try repository.parents(of: info.id).allSatisfy({
                        try !repository.commitExists($0) || repository.fileID(file, at: $0) == nil
                    })
                else { continue }
                return .predatesState(head: headHex, commit: info.id.hex, subject: info.summary, branch: branch.name)
            }
        }
        return nil
    }

    /// The error for a missing state file: that HEAD predates it when a branch has it, else
    /// `error` (which says to run `init`).
    func explainingMissingState(_ error: Error) -> Error {
        guard case StoreError.notInitialized = error, let better = try? stateIntroduction() else { return error }
        return better
    }
}

extension Workspace {
    /// Merge commits among HEAD's newest `window` commits whose state file differs from their
    /// first parent's: state changes git recorded and the journal never saw (the merge driver
    /// writes no journal entry). Newest first, at most `limit`.
    public func stateMerges(limit: Int, window: Int = 1000) throws -> [CommitInfo] {
        guard let head = try headRef().commit.flatMap(ObjectID.init(hex:)) else { return [] }
        var out: [CommitInfo] = []
        for info in try repository.commits(from: head, limit: window) where out.count < limit {
            let parents = try repository.parents(of: info.id)
            guard parents.count > 1, let first = parents.first, try repository.commitExists(first) else { continue }
            if try repository.fileID(StateFileName.relative, at: info.id)
                != repository.fileID(StateFileName.relative, at: first)
            {
                out.append(info)
            }
        }
        return out
    }
}

/// A failure injected through `CODEX_STATE_FAULT`, for tests of what follows a failure.
struct InjectedFault: Error, CustomStringConvertible {
    let point: String
    var description: String { "injected fault: \(point)" }
}
