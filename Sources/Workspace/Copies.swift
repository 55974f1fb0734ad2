import GitKit
import StateModel
import StateStore

/// A copy of the state this worktree cannot read: corrupt, conflicted, of a newer schema.
public struct CopyProblem: Sendable, Hashable {
    public var copy: CopyName
    /// The reference (`refs/heads/x`, `refs/remotes/origin/x`) or the worktree's file.
    public var location: String
    public var reason: String

    /// The one warning a read prints for it.
    public var warning: String {
        "warning: skipped the state of \(copy.label) (\(location)): \(reason); codex-state check reports it"
    }
}

/// The other copies of the state as they are now, named by content: what a read needs to know
/// whether anything changed since the last one, without reading any of them.
struct CopyListing {
    struct Entry {
        var copy: CopyName
        /// `blob:<git blob id>`; worktree files are keyed by the blob id their content would have,
        /// so a worktree whose file equals its branch's committed copy shares its cache entry.
        var key: String
        var location: String
        /// Set when the listing already read the bytes (a worktree file that changed).
        var bytes: [UInt8]?
        var blob: ObjectID?
        /// Why the copy could not even be listed (its tip's tree could not be read): skipped with
        /// a warning, and asked again by the next read.
        var problem: String?
    }
    var entries: [Entry]
    var tips: [BranchTip]

    /// Changes whenever any copy appears, disappears or changes content.
    var signature: String {
        ContentHash.sha256(
            Array(entries.map { "\($0.copy.kind.rawValue):\($0.copy.label)=\($0.key)" }.joined(separator: "\n").utf8))
    }
}

/// What the other copies say, ready for ``Evaluation``.
struct OtherCopies {
    var facts: [String: [CopyFact]] = [:]
    var problems: [CopyProblem] = []
    var tips: [BranchTip] = []
    /// When asked for: every copy's facts about this worktree's tasks before they are narrowed
    /// to what adds to this worktree's own (the evaluated graph keeps them to re-decide a task
    /// after an edit), and the copies they were read from, in listing order.
    var unfiltered: [String: [CopyFact]]?
    var readable: [CopyName] = []
}

extension Workspace {

    /// Lists the copies besides this worktree's file: every local and remote-tracking branch tip,
    /// and every other worktree with a state file. The branch checked out here is listed too, so
    /// the listing (and its cached facts) does not change with a checkout; its facts are left out
    /// when read (this worktree's file supersedes them). Costs a reference listing, one cached
    /// lookup per tip and one `stat` per worktree.
    func listCopies(index: StateIndex?) throws -> CopyListing {
        let tips = try repository.branchTips()
        var blobs = (try? index?.tipBlobs(tips.map(\.tip.hex))) ?? [:]
        var fresh: [String: String] = [:]
        // A tip whose tree cannot be read now (a missing object, a transient error) is listed as
        // unreadable, never remembered as having no state file.
        var unreadable: [String: String] = [:]
        for t in tips where blobs[t.tip.hex] == nil {
            do {
                let b = try repository.fileID(StateFileName.relative, at: t.tip)?.hex ?? ""
                blobs[t.tip.hex] = b
                fresh[t.tip.hex] = b
            } catch {
                unreadable[t.tip.hex] = "\(error)"
            }
        }
        if !fresh.isEmpty { try? index?.storeTipBlobs(fresh) }
        var entries: [CopyListing.Entry] = []
        for t in tips {
            let copy = CopyName(kind: t.remote ? .remote : .branch, name: t.name)
            let location = t.refName
            if let reason = unreadable[t.tip.hex] {
                entries.append(
                    CopyListing.Entry(
                        copy: copy, key: "unreadable:" + t.tip.hex, location: location, problem: reason))
                continue
            }
            guard let b = blobs[t.tip.hex], !b.isEmpty else { continue }
            entries.append(CopyListing.Entry(copy: copy, key: "blob:" + b, location: location, blob: ObjectID(hex: b)))
        }
        // The other worktrees, as git records them: a record that cannot be read is an error of
        // the read, not "no other worktree".
        for w in try repository.otherWorktrees() {
            let file = w.path + "/" + StateFileName.relative
            guard let stamp = Files.stamp(file) else { continue }
            let copy = CopyName(kind: .worktree, name: w.name, branch: w.branch)
            if let known = try? index?.fileHash(path: file, stamp: stamp) {
                entries.append(CopyListing.Entry(copy: copy, key: "blob:" + known, location: file))
                continue
            }
            do {
                if store.faultPoint == "worktree-state" { throw InjectedFault(point: "worktree-state") }
                let bytes = try Files.read(file)
                let id = bytes.isEmpty ? "empty" : try Repository.blobID(of: bytes).hex
                try? index?.storeFileHash(path: file, stamp: stamp, hash: id)
                entries.append(CopyListing.Entry(copy: copy, key: "blob:" + id, location: file, bytes: bytes))
            } catch {
                // Unreadable now (being written, a permission): skipped with a warning, asked again.
                entries.append(
                    CopyListing.Entry(
                        copy: copy, key: "unreadable:" + file + "@" + stamp.encoded, location: file, problem: "\(error)"
                    ))
            }
        }
        entries.sort { $0.copy < $1.copy }
        return CopyListing(entries: entries, tips: tips)
    }

    /// The facts of every listed copy that say something this worktree's copy does not, grouped;
    /// copies that cannot be read are skipped and named in `problems`. A copy is parsed once per
    /// content (its facts are kept in the index by blob id), and the grouped facts of the whole
    /// listing are kept by the listing's signature, so an unchanged set of copies costs one
    /// cached row however many branches there are.
    func readCopies(
        _ full: CopyListing, here: [String: TaskSummary], hereHash: String?, head: HeadInfo, index: StateIndex?,
        keepUnfiltered: Bool = false
    ) throws -> OtherCopies {
        var listing = full
        listing.entries.removeAll { $0.problem != nil }
        var out = readListedCopies(
            listing, here: here, hereHash: hereHash, head: head, index: index, keepUnfiltered: keepUnfiltered,
            now: try now())
        for e in full.entries {
            guard let p = e.problem else { continue }
            out.problems.append(CopyProblem(copy: e.copy, location: e.location, reason: p))
            incompleteReads += 1
        }
        return out
    }

    private func readListedCopies(
        _ listing: CopyListing, here: [String: TaskSummary], hereHash: String?, head: HeadInfo, index: StateIndex?,
        keepUnfiltered: Bool, now: Timestamp
    ) -> OtherCopies {
        var out = OtherCopies(tips: listing.tips)
        guard !listing.entries.isEmpty else { return out }
        // Set when a copy could not be read now: the groupings made without it are not kept.
        var transient = false
        defer { if transient { incompleteReads += 1 } }
        let signature = listing.signature
        // What the copies add to this worktree's own (usually a few facts), for this file's
        // content: the common case of a read with nothing changed but HEAD or the render cache.
        let excluded = head.branch.map { CopyName(kind: .branch, name: $0) }
        let filteredKey = hereHash.map { signature + "|" + $0 + "|" + (excluded?.name ?? "") }
        if !keepUnfiltered, let index, let key = filteredKey, let bytes = try? index.mergedCopies(key) {
            out.problems = readCopyProblems(listing, index: index)
            let failed = Set(out.problems.map(\.copy))
            out.facts = CopyFact.decode(bytes, copies: listing.entries.map(\.copy).filter { !failed.contains($0) })
            out.problems.removeAll { $0.copy == excluded }
            return out
        }
        // A grouping without the branch checked out here (see `skipped` below) is kept under its
        // own key: it serves only a read on that branch.
        let partialKey = excluded.map { signature + "|without:" + $0.name }
        var merged: [String: [CopyFact]]
        if let index, let bytes = try? index.mergedCopies(signature) {
            out.problems = readCopyProblems(listing, index: index)
            let failed = Set(out.problems.map(\.copy))
            merged = CopyFact.decode(bytes, copies: listing.entries.map(\.copy).filter { !failed.contains($0) })
        } else if let index, let key = partialKey, let bytes = try? index.mergedCopies(key) {
            out.problems = readCopyProblems(listing, index: index)
            let failed = Set(out.problems.map(\.copy))
            merged = CopyFact.decode(
                bytes, copies: listing.entries.map(\.copy).filter { !failed.contains($0) && $0 != excluded })
        } else {
            let keys = Array(Set(listing.entries.map(\.key)))
            var stored: [String: (problem: String?, facts: [UInt8])] = [:]
            // The committed copy of the branch checked out here is superseded by this worktree's
            // file, so its facts would be dropped below: unless the index already holds them, it
            // is not parsed at all (10 MB at 10k tasks, a fifth of a cold `check`). The grouping
            // then lacks it, and its stored listing says so: a read on another branch adds it.
            let skipped: CopyName? = excluded.flatMap { x in
                guard let e = listing.entries.first(where: { $0.copy == x }) else { return nil }
                if let row = (try? index?.copyFacts([e.key]))?[e.key] {
                    stored[e.key] = row
                    return nil
                }
                return x
            }
            var decoded: [String: [TaskSummary]] = [:]
            /// The facts of one copy: from the index, else parsed once and stored there (what its
            /// content says, problems of content included; a copy that could not be read now is
            /// named and asked again).
            func factsOf(_ e: CopyListing.Entry) -> [TaskSummary]? {
                if stored[e.key] == nil, let row = (try? index?.copyFacts([e.key]))?[e.key] { stored[e.key] = row }
                if stored[e.key] == nil {
                    let bytes: [UInt8]
                    do {
                        bytes = try copyBytes(e) ?? []
                    } catch {
                        out.problems.append(CopyProblem(copy: e.copy, location: e.location, reason: "\(error)"))
                        transient = true
                        return nil
                    }
                    let extracted = Self.extractFacts(bytes)
                    let encoded = extracted.facts.map { TaskSummary.encode($0) } ?? []
                    stored[e.key] = (extracted.problem, encoded)
                    try? index?.storeCopyFacts(key: e.key, problem: extracted.problem, facts: encoded)
                    if let f = extracted.facts { decoded[e.key] = f }
                }
                guard let entry = stored[e.key] else { return nil }
                if let p = entry.problem {
                    out.problems.append(CopyProblem(copy: e.copy, location: e.location, reason: p))
                    return nil
                }
                let facts = decoded[e.key] ?? TaskSummary.decode(entry.facts)
                decoded[e.key] = facts
                return facts
            }
            var readable: [(CopyName, String)] = []
            if let index, let last = try? index.latestUnion(), let previous = Self.parseListing(last.listing),
                case let before = Dictionary(previous, uniquingKeysWith: { a, _ in a }),
                case let changed = listing.entries.filter({ before[$0.copy] != $0.key }),
                case let now = Dictionary(listing.entries.map { ($0.copy, $0.key) }, uniquingKeysWith: { a, _ in a }),
                case let gone = Set(previous.filter { now[$0.0] != $0.1 }.map(\.0)),
                changed.count + gone.count <= max(2, listing.entries.count / 2)
            {
                // A few copies changed since the last grouping (a ref moved, a branch appeared or
                // went): update it with theirs instead of reading every copy again.
                var adding: [(CopyName, [TaskSummary])] = []
                for e in changed where e.copy != skipped {
                    if let f = factsOf(e) {
                        adding.append((e.copy, f))
                        readable.append((e.copy, e.key))
                    }
                }
                readable += previous.filter { now[$0.0] == $0.1 }
                merged = CopyFact.update(
                    CopyFact.decode(last.facts, copies: previous.map(\.0)), removing: gone, adding: adding)
            } else {
                var perCopy: [(CopyName, [TaskSummary])] = []
                for e in listing.entries where e.copy != skipped {
                    if let f = factsOf(e) {
                        perCopy.append((e.copy, f))
                        readable.append((e.copy, e.key))
                    }
                }
                merged = CopyFact.merge(perCopy)
            }
            try? index?.pruneCopyFacts(keeping: Set(keys))
            // In listing order: a later read decodes the positions against the listing.
            readable.sort { $0.0 < $1.0 }
            if let index, !transient, let key = skipped == nil ? signature : partialKey {
                try? index.storeMergedCopies(
                    key, CopyFact.encode(merged, copies: readable.map(\.0)), listing: Self.listingText(readable),
                    now: now)
            }
        }
        if let x = excluded {
            // The branch checked out here: this worktree's file supersedes its committed copy.
            for (id, facts) in merged {
                let kept = facts.compactMap { f in
                    var f = f
                    f.copies.removeAll { $0 == x }
                    return f.copies.isEmpty ? nil : f
                }
                merged[id] = kept.isEmpty ? nil : kept
            }
        }
        if keepUnfiltered { out.unfiltered = merged.filter { here[$0.key] != nil } }
        for (id, facts) in merged {
            guard let h = here[id] else { continue }
            let adding = facts.filter { $0.fact.adds(to: h) }
            merged[id] = adding.isEmpty ? nil : adding
        }
        out.facts = merged
        let failed = Set(out.problems.map(\.copy))
        out.readable = listing.entries.map(\.copy).filter { !failed.contains($0) }
        if let index, !transient, let key = filteredKey {
            let readable = listing.entries.map(\.copy).filter { !failed.contains($0) }
            try? index.storeMergedCopies(key, CopyFact.encode(merged, copies: readable), now: now)
        }
        // Nothing of that branch's committed copy counts here, its being unreadable included.
        out.problems.removeAll { $0.copy == excluded }
        return out
    }

    /// The copies a grouping was built from, with their content keys, as stored beside it.
    static func listingText(_ entries: [(CopyName, String)]) -> String {
        entries.map { [$0.0.kind.rawValue, $0.0.name, $0.0.branch ?? "", $0.1].joined(separator: "\u{1F}") }
            .joined(separator: "\n")
    }

    static func parseListing(_ text: String?) -> [(CopyName, String)]? {
        guard let text else { return nil }
        var out: [(CopyName, String)] = []
        for line in text.split(separator: "\n") {
            let p = line.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            guard p.count == 4, let kind = CopyName.Kind(rawValue: p[0]) else { return nil }
            out.append((CopyName(kind: kind, name: p[1], branch: p[2].isEmpty ? nil : p[2]), p[3]))
        }
        return out
    }

    /// What a copy's content says: its facts, or why it is not a state (kept with its content).
    static func extractFacts(_ bytes: [UInt8]) -> (problem: String?, facts: [TaskSummary]?) {
        do {
            return (nil, TaskSummary.facts(of: try StateCodec.decode(bytes)))
        } catch {
            return ("\(error)", nil)
        }
    }

    /// For each commit, a branch this clone sees that contains it: local branches first, then
    /// remote-tracking ones, in name order, with the branches the completions were recorded on
    /// tried first. One walk per tip answers every commit still open, and each answer is cached
    /// for good (tip and commit never change), so an unchanged ref costs nothing again.
    func containingBranches(
        _ commits: Set<String>, preferring preferred: [String], tips: [BranchTip], head: HeadInfo,
        index: StateIndex?
    ) -> [String: String] {
        guard !commits.isEmpty else { return [:] }
        // The branch checked out here contains nothing unreachable from HEAD.
        var all = tips.filter { $0.remote || $0.name != head.branch }
        let rank = Dictionary(preferred.enumerated().map { ($1, $0) }, uniquingKeysWith: min)
        all.sort { a, b in
            if a.remote != b.remote { return !a.remote }
            let ra = rank[a.name] ?? Int.max
            let rb = rank[b.name] ?? Int.max
            if ra != rb { return ra < rb }
            return a.name < b.name
        }
        var open = commits
        var out: [String: String] = [:]
        let cached = (try? index?.contains(tips: all.map(\.tip.hex), commits: Array(commits))) ?? [:]
        var fresh: [(tip: String, commit: String, contains: Bool)] = []
        for t in all {
            let ask = Set(open.filter { cached[$0]?[t.tip.hex] == nil }.compactMap(ObjectID.init(hex:)))
            var answers: [ObjectID: Ancestry] = [:]
            do {
                if store.faultPoint == "containing-branches" { throw InjectedFault(point: "containing-branches") }
                if !ask.isEmpty { answers = try repository.ancestry(of: ask, head: t.tip) }
            } catch {
                // Which branch holds it stays unsaid this time (the rows are not kept as final).
                warnings.append("warning: cannot tell whether \(t.name) contains completions: \(error)")
                incompleteReads += 1
            }
            for (id, a) in answers where a == .ancestor || a == .notAncestor {
                fresh.append((t.tip.hex, id.hex, a == .ancestor))
            }
            for c in open {
                let yes = cached[c]?[t.tip.hex] ?? ObjectID(hex: c).flatMap { answers[$0] }.map { $0 == .ancestor }
                if yes == true {
                    out[c] = t.name
                    open.remove(c)
                }
            }
            if open.isEmpty { break }
        }
        if !fresh.isEmpty { try? index?.storeContains(fresh) }
        return out
    }

    /// How long a start with no claim may go without activity before it is stale:
    /// `codex-state.staleAfter` in git config (`90m`, `48h`, `7d`; `0` or `never` turns it off),
    /// 7 days by default.
    func staleAfter() throws -> Int64? {
        guard let raw = try repository.configString("codex-state.staleAfter")?.trimmingWhitespace, !raw.isEmpty
        else {
            return 7 * 86_400
        }
        if raw == "0" || raw == "never" || raw == "off" { return nil }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        if let unit = raw.last.flatMap({ units[$0] }), let n = Int64(raw.dropLast()), n > 0 { return n * unit }
        if let n = Int64(raw), n > 0 { return n * 3_600 }
        warnings.append("warning: codex-state.staleAfter='\(raw)' is not a duration like 48h or 7d; using 7d")
        return 7 * 86_400
    }

    /// Every copy's facts folded into an evaluation of `tasks` at HEAD: reachability and anchor
    /// recovery for every copy's completions, the branches containing the unreachable ones, and
    /// staleness at this time.
    func evaluateEverywhere(
        _ tasks: [String: TaskSummary], hash: String? = nil, head: HeadInfo, index: StateIndex?,
        uncommittedElsewhere: Set<String> = []
    ) throws -> (Evaluation, [CopyProblem]) {
        let e = try evaluateEverywhere(
            tasks, hash: hash, head: head, index: index, listing: nil, uncommittedElsewhere: uncommittedElsewhere,
            keepUnfiltered: false)
        return (e.evaluation, e.others.problems)
    }

    /// As above, with the listing of copies when the caller has it, and the copies' facts kept
    /// unfiltered when asked for (``OtherCopies/unfiltered``).
    func evaluateEverywhere(
        _ tasks: [String: TaskSummary], hash: String?, head: HeadInfo, index: StateIndex?, listing: CopyListing?,
        uncommittedElsewhere: Set<String>, keepUnfiltered: Bool
    ) throws -> (evaluation: Evaluation, others: OtherCopies) {
        let listing = try listing ?? listCopies(index: index)
        var others = try readCopies(
            listing, here: tasks, hereHash: hash, head: head, index: index, keepUnfiltered: keepUnfiltered)
        others.facts = anchorIntroducedCompletions(others.facts, tips: others.tips, index: index)
        others.adding(claims: remoteClaimFacts(tasks))  // Claims+Integration.swift
        let pairs = CopyInputs.completionCommits(here: tasks, facts: others.facts)
        let reach = try reachability(of: pairs.map(\.commit), head: head, index: index)
        let recovered = try recoverAnchors(completions: pairs, reach: reach, head: head, index: index)
        let unreachable = Set(pairs.map(\.commit).filter { reach[$0] == .unreachable })
        var preferred: [String] = []
        for (id, fs) in others.facts {
            for f in fs where f.fact.status == .done {
                preferred += f.copies.map { $0.kind == .worktree ? ($0.branch ?? $0.name) : $0.name }
                if let b = f.fact.completionBranch { preferred.append(b) }
            }
            _ = id
        }
        for t in tasks.values where t.status == .done { if let b = t.completionBranch { preferred.append(b) } }
        let containing = containingBranches(
            unreachable, preferring: preferred, tips: others.tips, head: head, index: index)
        let inputs = CopyInputs(
            facts: others.facts, containing: containing, now: try now(), staleAfter: try staleAfter(),
            workOnHead: trailerEvidence(head: head, index: index))
        return (
            Evaluation(
                tasks: tasks, reachability: reach, recovered: recovered, copies: inputs,
                uncommittedElsewhere: uncommittedElsewhere),
            others
        )
    }

    /// Completions a branch tip's committed file records without a commit are anchored, as
    /// everywhere, by the commit that first holds the record on that branch
    /// (``anchorCommit(of:_:from:)``, cached in the index): fill it in so ancestry decides
    /// whether the work is here. A completion whose anchor cannot be found stays commit-less.
    ///
    /// The answer for a (task, tip commit) pair never changes, so it is cached in the index: the
    /// tip's state file (megabytes at 10k tasks) is parsed once, not on every read.
    func anchorIntroducedCompletions(_ facts: [String: [CopyFact]], tips: [BranchTip], index: StateIndex?)
        -> [String: [CopyFact]]
    {
        var out = facts
        var blobs: [ObjectID: [UInt8]] = [:]
        for (id, fs) in facts {
            for (i, f) in fs.enumerated() where f.fact.status == .done && f.fact.completionCommit == nil {
                guard let copy = f.copies.first(where: { $0.kind != .worktree }),
                    let tip = tips.first(where: { $0.name == copy.name && $0.remote == (copy.kind == .remote) })?.tip
                else { continue }
                let atTip = "tip:" + tip.hex
                if let known = (try? index?.introducingCommits(task: id, record: atTip))?.first {
                    out[id]?[i].fact.completionCommit = known
                    continue
                }
                let anchor: String?
                do {
                    if blobs[tip] == nil, let blob = try repository.fileID(StateFileName.relative, at: tip) {
                        blobs[tip] = try repository.blob(blob)
                    }
                    guard let bytes = blobs[tip], let completion = StateCodec.task(id, in: bytes)?.completion else {
                        continue
                    }
                    if store.faultPoint == "anchor-walk" { throw InjectedFault(point: "anchor-walk") }
                    anchor = try anchorCommit(of: id, completion, from: tip)
                } catch {
                    // Where it is anchored stays unsaid this time (the rows are not kept as final).
                    warnings.append("warning: cannot find the commit that completed \(id) on \(copy.label): \(error)")
                    incompleteReads += 1
                    continue
                }
                guard let anchor else { continue }
                out[id]?[i].fact.completionCommit = anchor
                try? index?.storeIntroducingCommit(task: id, record: atTip, commit: anchor)
            }
        }
        return out
    }

    /// Tasks named by a `Codex-Task:` trailer among HEAD's newest commits (the window `check`
    /// reads for CS040), with the newest commit naming each. Cached per HEAD in the index.
    func trailerEvidence(head: HeadInfo, index: StateIndex?) -> [String: String] {
        guard let hex = head.commit, let id = ObjectID(hex: hex) else { return [:] }
        if let cached = try? index?.headTrailers(hex) { return cached }
        let window: [CommitMessage]
        do {
            if store.faultPoint == "trailer-window" { throw InjectedFault(point: "trailer-window") }
            window = try repository.recentCommits(from: id, limit: Self.checkTrailerWindow, containing: TaskTrailer.key)
                .matches
        } catch {
            // Not an answer: said, and asked again by the next read.
            warnings.append("warning: cannot read HEAD's recent commits for Codex-Task trailers: \(error)")
            incompleteReads += 1
            return [:]
        }
        var out: [String: String] = [:]
        for m in window {
            for t in TaskTrailer.taskIDs(in: m.message) where out[t] == nil { out[t] = m.info.id.hex }
        }
        if let now = try? now() { try? index?.storeHeadTrailers(hex, out, now: now) }  // a cache write
        return out
    }

    /// The warnings a read prints for copies it skipped, one per copy.
    func noteProblems(_ problems: [CopyProblem]) {
        for p in problems where !warnings.contains(p.warning) { warnings.append(p.warning) }
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}

extension Workspace {
    /// The problems of listed copies already known to the index (one cached lookup).
    func readCopyProblems(_ listing: CopyListing, index: StateIndex) -> [CopyProblem] {
        let problems = (try? index.copyProblems(listing.entries.map(\.key))) ?? [:]
        return listing.entries.compactMap { e in
            (e.problem ?? problems[e.key]).map { CopyProblem(copy: e.copy, location: e.location, reason: $0) }
        }
    }
}
