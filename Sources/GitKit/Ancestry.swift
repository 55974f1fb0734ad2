import CLibGit2

#if canImport(Glibc)
    import Glibc
#endif

/// How ``Repository/ancestry(of:head:)`` answers in this clone.
public enum AncestryMethod: Sendable, Equatable {
    /// From git's commit-graph file: a walk over parent positions that reads no objects.
    case commitGraph
    /// A libgit2 revwalk (no usable graph: none written, `core.commitGraph=false`, grafts).
    case walk
    /// A shallow clone: HEAD's commits the clone has, newest first, to the boundary.
    case shallowWalk
}

/// The one ancestry question every caller asks (reachability of completions, containment by
/// branch tips, anchors, hooks, check): GitKit picks the way to answer it.
extension Repository {
    /// How ``ancestry(of:head:)`` answers here: the commit-graph when the clone has a usable one,
    /// a libgit2 walk otherwise, and a walk to the boundary in a shallow clone (libgit2 1.5 does
    /// not read `.git/shallow` and fails there).
    public var ancestryMethod: AncestryMethod {
        get throws {
            if try isShallow { return .shallowWalk }
            return try loadedCommitGraph() == nil ? .walk : .commitGraph
        }
    }

    /// For each commit, whether it is an ancestor of (or equal to) `head`, in one pass whatever
    /// the number of commits: ``ancestryMethod`` says how. A commit the clone lacks is `missing`;
    /// in a shallow clone, one it has but did not find is `notFoundInShallowClone`.
    ///
    /// `method` forces a way (for tests comparing them); a forced graph the clone cannot use
    /// falls back to the walk.
    public func ancestry(of commits: Set<ObjectID>, head: ObjectID, using method: AncestryMethod? = nil) throws
        -> [ObjectID: Ancestry]
    {
        switch try method ?? ancestryMethod {
        case .shallowWalk:
            return try ancestryWithinClone(of: commits, head: head)
        case .commitGraph:
            if let graph = try loadedCommitGraph(), let answers = try ancestry(of: commits, head: head, in: graph) {
                return answers
            }
            return try ancestryByWalk(of: commits, head: head)
        case .walk:
            return try ancestryByWalk(of: commits, head: head)
        }
    }

    /// The commit-graph, loaded once per repository; nil when git would not use one either
    /// (none written, `core.commitGraph=false`, a shallow clone, grafts) or it cannot be trusted
    /// (the walk answers then). Throws when the configuration or `shallow` cannot be read.
    func loadedCommitGraph() throws -> CommitGraph? {
        if let loaded = graphCache { return loaded.graph }
        let graph = try loadCommitGraph()
        graphCache = GraphCache(graph: graph)
        return graph
    }

    private func loadCommitGraph() throws -> CommitGraph? {
        if try isShallow || config().bool("core.commitGraph", file: commonDir + "config") == false { return nil }
        if try RepoFiles.kind(RepoFiles.gitPath("info/grafts", dirs)) != .missing { return nil }
        return CommitGraph.load(objectsDir: RepoFiles.gitPath("objects", dirs))
    }

    /// One walk that pushes the candidates and hides `head`: what it yields is reachable from a
    /// candidate but not from HEAD, so a candidate is an ancestor exactly when it is not yielded.
    /// libgit2 stops once every commit left to visit is hidden, so the cost follows the distance
    /// from HEAD down to the oldest candidate, not the number of candidates; but it inflates
    /// every commit object on the way.
    private func ancestryByWalk(of commits: Set<ObjectID>, head: ObjectID) throws -> [ObjectID: Ancestry] {
        var result: [ObjectID: Ancestry] = [:]
        var present: [ObjectID] = []
        for c in commits {
            if c == head {
                result[c] = .ancestor
            } else if try commitExists(c) {
                present.append(c)
            } else {
                result[c] = .missing
            }
        }
        guard !present.isEmpty else { return result }
        // Pushed in one order every run (a Set's order changes from process to process).
        present.sort { $0.hex < $1.hex }
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), "start history walk")
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_NONE.rawValue)
        for c in present {
            var oid = c.gitOID
            try check(git_revwalk_push(walk, &oid), "walk from \(c.short)")
        }
        var headOID = head.gitOID
        try check(git_revwalk_hide(walk, &headOID), "hide HEAD \(head.short)")
        let wanted = Set(present)
        var outside = Set<ObjectID>()
        var oid = git_oid()
        while true {
            let rc = git_revwalk_next(&oid, walk)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "walk history")
            let id = ObjectID(oid)
            if wanted.contains(id) { outside.insert(id) }
        }
        // The walk's stop rule, like git's, trusts commit dates: with several commits in the same
        // second it can yield a commit HEAD does reach. A "no" is therefore confirmed by libgit2's
        // exact test; "yes" needs none (a commit the walk never yields is hidden by HEAD).
        for c in present {
            guard outside.contains(c) else {
                result[c] = .ancestor
                continue
            }
            var candidate = c.gitOID
            let descends = try check(
                git_graph_descendant_of(handle, &headOID, &candidate), "compare \(c.short) with HEAD")
            result[c] = descends == 1 ? .ancestor : .notAncestor
        }
        return result
    }

    /// Ancestry from the commit-graph: one breadth-first walk over parent positions from
    /// `head`, reading no objects, stopping once every candidate is found or every commit left
    /// is below the lowest candidate's topological level (git's generation-number cut-off).
    /// Commits newer than the graph (made since it was last written) are walked through libgit2
    /// until the walk enters the graph, which is closed under parents. Nil when the graph turns
    /// out to be inconsistent (the caller walks instead).
    private func ancestry(of commits: Set<ObjectID>, head: ObjectID, in graph: CommitGraph) throws -> [ObjectID:
        Ancestry]?
    {
        var result: [ObjectID: Ancestry] = [:]
        var wantedAt: [Int: ObjectID] = [:]  // graph position → candidate
        var wantedOutside: Set<ObjectID> = []  // candidates the graph lacks
        for c in commits {
            if c == head {
                result[c] = .ancestor
            } else if let p = graph.position(of: c.gitOID) {
                wantedAt[p] = c
            } else if try commitExists(c) {
                wantedOutside.insert(c)
            } else {
                result[c] = .missing
            }
        }
        var open = wantedAt.count + wantedOutside.count
        guard open > 0 else { return result }
        var seen = [Bool](repeating: false, count: graph.count)
        var queue: [Int] = []

        // Commits above the graph: walked by libgit2 until each path enters the graph.
        var outside: [ObjectID] = []
        var outsideSeen: Set<ObjectID> = []
        if let p = graph.position(of: head.gitOID) {
            seen[p] = true
            queue.append(p)
        } else {
            outside.append(head)
            outsideSeen.insert(head)
        }
        while let id = outside.popLast(), open > 0 {
            if wantedOutside.remove(id) != nil {
                result[id] = .ancestor
                open -= 1
            }
            var oid = id.gitOID
            var commit: OpaquePointer?
            try check(git_commit_lookup(&commit, handle, &oid), "look up commit \(id.short)")
            defer { git_commit_free(commit) }
            for i in 0..<git_commit_parentcount(commit) {
                guard let parentOID = git_commit_parent_id(commit, i) else { continue }
                if let p = graph.position(of: parentOID.pointee) {
                    if !seen[p] {
                        seen[p] = true
                        queue.append(p)
                    }
                } else {
                    let parent = ObjectID(parentOID.pointee)
                    if outsideSeen.insert(parent).inserted { outside.append(parent) }
                }
            }
        }

        // Candidates outside the graph are settled: the graph is closed under parents, so the
        // walk inside it cannot reach them.
        for c in wantedOutside { result[c] = .notAncestor }
        open = wantedAt.count
        // Below the lowest level still looked for, no commit can lead to a candidate (every
        // parent's level is lower than its child's).
        let byLevel = wantedAt.keys.compactMap { p in graph.level(of: p).map { (p, $0) } }.sorted { $0.1 < $1.1 }
        let pruning = byLevel.count == wantedAt.count
        var lowest = 0
        var next = 0
        while next < queue.count, open > 0 {
            let p = queue[next]
            next += 1
            if let c = wantedAt.removeValue(forKey: p) {
                result[c] = .ancestor
                open -= 1
            }
            if pruning, let level = graph.level(of: p) {
                while lowest < byLevel.count, wantedAt[byLevel[lowest].0] == nil { lowest += 1 }
                if lowest < byLevel.count, level <= byLevel[lowest].1 { continue }
            }
            let consistent = graph.forEachParent(of: p) { parent in
                if !seen[parent] {
                    seen[parent] = true
                    queue.append(parent)
                }
            }
            guard consistent else { return nil }
        }
        for c in wantedAt.values { result[c] = .notAncestor }
        return result
    }
}
