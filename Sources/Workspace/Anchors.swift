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
        guard let headHex = head.commit, let headID = ObjectID(hex: headHex) else { return [:] }
        let lost = tasks.values.filter {
            $0.status == .done && $0.completionCommit.map { reach[$0] != .reachable } == true
        }
        guard !lost.isEmpty else { return [:] }
        var settled = (try? index?.recoveries(head: headHex)) ?? [:]
        var result: [String: RecoveredAnchor] = [:]
        var open: [(task: String, commit: String)] = []
        for t in lost {
            guard let c = t.completionCommit else { continue }
            if let answer = settled[RecoveryKey(task: t.id, commit: c)] {
                if let found = answer { result[t.id] = found }
            } else {
                open.append((t.id, c))
            }
        }
        guard !open.isEmpty else { return result }

        var fresh: [RecoveryKey: RecoveredAnchor?] = [:]
        // 1. The rewrite map, followed to a commit HEAD can reach.
        let map = (try? RewriteMap(path: paths.rewritesFile).load()) ?? [:]
        var viaMap: [String: String] = [:]
        for (_, c) in open { if let n = Rewrite.resolve(c, in: map) { viaMap[c] = n } }
        let mapped = Set(viaMap.values.compactMap(ObjectID.init(hex:)))
        let mappedReach = mapped.isEmpty ? [:] : try repository.ancestry(of: mapped, head: headID)
        var remaining: [(task: String, commit: String)] = []
        for (task, c) in open {
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
            var byTrailer: [String: String] = [:]
            // A fact that could not be read (a transient error) is neither cached nor used to
            // cache an answer: the next run asks again.
            var incomplete = false
            for info in window {
                if facts[info.id.hex] == nil {
                    guard let message = try? repository.message(of: info.id) else {
                        incomplete = true
                        continue
                    }
                    let ids = TaskTrailer.taskIDs(in: message)
                    facts[info.id.hex] = CommitFacts(patchID: nil, taskIDs: ids)
                    newFacts[info.id.hex] = facts[info.id.hex]
                }
                for id in facts[info.id.hex]?.taskIDs ?? [] where byTrailer[id] == nil { byTrailer[id] = info.id.hex }
            }
            // Patch-ids only when a recorded commit exists here to compare with.
            var wanted: [String: [String]] = [:]  // patch-id → tasks
            for (task, c) in remaining {
                if let pid = facts[c]?.patchID {
                    wanted[pid, default: []].append(task)
                    continue
                }
                guard let id = ObjectID(hex: c), repository.commitExists(id) else { continue }
                let patchID: ObjectID?
                let ids: [String]
                do {
                    patchID = try repository.patchID(of: id)
                    ids = try facts[c]?.taskIDs ?? TaskTrailer.taskIDs(in: repository.message(of: id))
                } catch {
                    incomplete = true
                    continue
                }
                guard let pid = patchID else { continue }  // a merge commit has none
                newFacts[c] = CommitFacts(patchID: pid.hex, taskIDs: ids)
                wanted[pid.hex, default: []].append(task)
            }
            var byPatch: [String: String] = [:]  // task → commit
            if !wanted.isEmpty {
                for info in window {
                    var f = facts[info.id.hex] ?? CommitFacts(patchID: nil, taskIDs: [])
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
                if let n = byPatch[task] {
                    result[task] = RecoveredAnchor(method: .patchID, commit: n)
                } else if let n = byTrailer[task] {
                    result[task] = RecoveredAnchor(method: .trailer, commit: n)
                }
                if !incomplete || result[task] != nil { fresh[key] = result[task] }
            }
            if !newFacts.isEmpty { try? index?.storeCommitFacts(newFacts) }
        }
        if !fresh.isEmpty { try? index?.storeRecoveries(head: headHex, fresh) }
        settled.merge(fresh) { $1 }
        return result
    }

    /// Writes recovered anchors into the state file (`codex-state reanchor`): each recovered
    /// completion is re-pointed at the commit found on HEAD. Returns (task, old, new, method).
    public func reanchor(_ idOrPrefix: String?, command: String) throws -> [(String, String, RecoveredAnchor)] {
        let view = try view()
        var targets = view.evaluation.recovered
        if let want = idOrPrefix {
            let id = try Identifiers.resolve(want, kind: .task, among: view.state.tasks.keys)
            targets = targets.filter { $0.key == id }
        }
        guard !targets.isEmpty else { return [] }
        var done: [(String, String, RecoveredAnchor)] = []
        try transaction(command: command) { state, _ in
            for (id, anchor) in targets.sorted(by: { $0.key < $1.key }) {
                guard let old = state.tasks[id]?.completion?.commit, old != anchor.commit else { continue }
                state.tasks[id]?.completion?.commit = anchor.commit
                done.append((id, old, anchor))
            }
        }
        return done
    }
}
