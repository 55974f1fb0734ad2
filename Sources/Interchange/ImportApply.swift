import StateModel

extension ProjectState {
    /// Takes a batch into the state, as one mutation (the Workspace runs it as one transaction).
    ///
    /// Each task is found by its source id: a record not imported before is added; one imported
    /// before is skipped when it did not change in the tracker, updated when it did and the task
    /// was not changed here since, and refused when both changed (unless `overwrite`). References
    /// (parent, dependencies, links) must name records of the batch or tasks imported before;
    /// the result must have no dependency or parent cycle. Any such problem throws an
    /// ``ImportError`` listing them all, and nothing changes.
    public mutating func applyImport(_ batch: ImportBatch, overwrite: Bool, _ ctx: MutationContext) throws
        -> ImportResult
    {
        var result = ImportResult(format: batch.format)
        result.warnings = batch.warnings
        let stamp = Stamp(at: ctx.now, actor: ctx.actor)

        // Tasks imported before, by source id (the oldest task when a merge left two).
        var bySource: [String: String] = [:]
        for t in tasks.values.sorted(by: { $0.id < $1.id }) {
            if let s = t.source?.id, bySource[s] == nil { bySource[s] = t.id }
        }
        var problems: [String] = []
        var seen: [String: String] = [:]
        for item in batch.tasks {
            if let first = seen[item.source] {
                problems.append("\(item.origin): \(item.source) is there twice (first at \(first))")
            } else {
                seen[item.source] = item.origin
            }
        }
        // Ids for the new records: derived from the source id, so the same import makes the same ids.
        var idOf: [String: String] = bySource
        var taken = Set(tasks.keys)
        for item in batch.tasks where idOf[item.source] == nil {
            let id = Identifiers.make(
                kind: .task, text: item.source, actor: ctx.actor, at: ctx.now, nonce: ctx.nonce,
                existing: { taken.contains($0) })
            taken.insert(id)
            idOf[item.source] = id
        }
        func reference(_ item: ImportedTask, _ target: String, _ what: String) -> String? {
            if let id = idOf[target] { return id }
            problems.append(
                "\(item.origin) (\(item.source)): \(what) \(target), which is neither in the input nor imported before")
            return nil
        }

        // Milestones by title (GitHub's); new ones are added.
        var milestoneByTitle: [String: String] = [:]
        for m in milestones.values.sorted(by: { $0.id < $1.id }) where milestoneByTitle[m.title] == nil {
            milestoneByTitle[m.title] = m.id
        }
        func milestoneID(_ m: ImportedMilestone) -> String {
            if let id = milestoneByTitle[m.title] { return id }
            let id = Identifiers.make(
                kind: .milestone, text: m.title, actor: ctx.actor, at: ctx.now, nonce: ctx.nonce,
                existing: { milestones[$0] != nil })
            milestones[id] = Milestone(id: id, title: m.title, due: m.due, created: stamp)
            milestoneByTitle[m.title] = id
            result.milestonesAdded.append(id)
            return id
        }

        var updated = tasks
        for item in batch.tasks {
            guard let id = idOf[item.source] else { continue }
            let existing = tasks[id]
            if let old = existing, old.source?.digest == item.digest {
                result.items.append(
                    ImportItem(
                        origin: item.origin, source: item.source, outcome: .skipped, id: id,
                        detail: "unchanged since the last import"))
                continue
            }
            var t =
                existing
                ?? TaskRecord(id: id, title: item.title, priority: item.priority, created: item.created.stamp(ctx))
            t.title = item.title
            t.body = item.body.flatMap { $0.isEmpty ? nil : $0 }
            t.priority = item.priority
            t.labels = Self.normalizedLabels(item.labels)
            t.acceptance = item.acceptance.filter { !$0.isEmpty }
            t.notes = Self.mergedNotes(existing?.notes ?? [], item.notes)
            if existing == nil { t.created = item.created.stamp(ctx) }
            if item.hasGraph {
                t.parent = item.parent.flatMap { reference(item, $0, "has the parent") }
                t.deps = Array(Set(item.deps.compactMap { reference(item, $0, "depends on") })).sorted()
                var links = Set<TaskLink>()
                for l in item.links {
                    if l.external {
                        links.insert(TaskLink(kind: l.kind, target: l.target))
                    } else if let target = reference(item, l.target, "links (\(l.kind)) to") {
                        links.insert(TaskLink(kind: l.kind, target: target))
                    }
                }
                t.links = links.isEmpty ? nil : links.sorted()
            }
            if item.hasMilestone { t.milestone = item.milestone.map(milestoneID) }
            Self.setStatus(&t, item, keeping: existing, ctx)
            t.source = TaskSource(
                id: item.source, fields: item.fields.isEmpty ? nil : item.fields, digest: item.digest, imported: stamp)
            t.updated = stamp

            guard let old = existing else {
                updated[id] = t
                result.items.append(
                    ImportItem(origin: item.origin, source: item.source, outcome: .added, id: id, detail: nil))
                continue
            }
            let changed = Self.changedFields(old, t)
            if changed.isEmpty {
                // Only the record's bookkeeping moved (its digest): kept, reported as unchanged.
                var kept = old
                kept.source = t.source
                if let s = old.source, old.updated == s.imported { kept.updated = stamp }
                updated[id] = kept
                result.items.append(
                    ImportItem(
                        origin: item.origin, source: item.source, outcome: .skipped, id: id,
                        detail: "no change to the task"))
                continue
            }
            let changedHere = old.source.map { old.updated != $0.imported } ?? true
            if changedHere && !overwrite {
                result.items.append(
                    ImportItem(
                        origin: item.origin, source: item.source, outcome: .refused, id: id,
                        detail:
                            "changed here since its last import; the import would change \(changed.joined(separator: ", ")) (--overwrite takes them)"
                    ))
                continue
            }
            updated[id] = t
            result.items.append(
                ImportItem(
                    origin: item.origin, source: item.source, outcome: .updated, id: id,
                    detail: changed.joined(separator: ", ")))
        }
        for s in batch.skipped {
            result.items.append(
                ImportItem(origin: s.origin, source: s.source, outcome: .skipped, id: nil, detail: s.reason))
        }
        if let cycle = Self.dependencyCycle(updated) {
            problems.append("dependency cycle: " + cycle.map { Self.describe($0, updated) }.joined(separator: " -> "))
        }
        if let cycle = Self.parentCycle(updated) {
            problems.append("parent cycle: " + cycle.map { Self.describe($0, updated) }.joined(separator: " -> "))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        tasks = updated
        try applyMemories(batch, ctx, into: &result)
        return result
    }

    /// `bd-12 (t-3f9a2b1c0d)`: a task named by its source id where it has one.
    static func describe(_ id: String, _ tasks: [String: TaskRecord]) -> String {
        guard let s = tasks[id]?.source?.id else { return id }
        return s + " (" + id + ")"
    }

    static func normalizedLabels(_ labels: [String]) -> [String] {
        Array(Set(labels.map(\.trimmed).filter { !$0.isEmpty })).sorted()
    }

    /// Notes are append-only: the task's own and the record's, each once, oldest first.
    static func mergedNotes(_ mine: [Note], _ theirs: [Note]) -> [Note] {
        var seen = Set<Note>()
        let all = (mine + theirs).filter { seen.insert($0).inserted }
        return all.enumerated().sorted { a, b in
            a.element.at != b.element.at ? a.element.at < b.element.at : a.offset < b.offset
        }.map(\.element)
    }

    /// The status and what goes with it. A task already in the record's status keeps its own
    /// start and completion (a completion's anchor is this clone's fact, not the tracker's).
    static func setStatus(_ t: inout TaskRecord, _ item: ImportedTask, keeping old: TaskRecord?, _ ctx: MutationContext)
    {
        if let old, old.status == item.status {
            t.started = old.started
            t.completion = old.completion
            t.claim = old.claim
            t.blocker = item.status == .blocked ? (item.blocker ?? old.blocker) : nil
            return
        }
        t.status = item.status
        t.claim = nil
        t.blocker = item.status == .blocked ? (item.blocker ?? "blocked in the tracker") : nil
        switch item.status {
        case .open:
            t.started = nil
            t.completion = nil
        case .inProgress:
            let s = item.started.stamp(ctx)
            t.started = StartRecord(at: s.at, actor: s.actor, branch: ctx.branch, commit: ctx.head)
            t.completion = nil
        case .blocked:
            t.completion = nil
        case .done:
            let c = item.completed.stamp(ctx)
            t.completion = Completion(
                commit: nil, branch: ctx.branch, at: c.at, actor: c.actor, note: item.completionNote)
        case .cancelled:
            t.started = old?.started
            t.completion = old?.completion
        }
    }

    /// The fields that differ between two versions of a task, bookkeeping aside.
    static func changedFields(_ a: TaskRecord, _ b: TaskRecord) -> [String] {
        var out: [String] = []
        if a.title != b.title { out.append("title") }
        if a.body != b.body { out.append("body") }
        if a.status != b.status { out.append("status") }
        if a.priority != b.priority { out.append("priority") }
        if a.parent != b.parent { out.append("parent") }
        if a.deps != b.deps { out.append("deps") }
        if a.labels != b.labels { out.append("labels") }
        if a.milestone != b.milestone { out.append("milestone") }
        if a.acceptance != b.acceptance { out.append("acceptance") }
        if a.notes != b.notes { out.append("notes") }
        if a.started != b.started { out.append("started") }
        if a.completion != b.completion { out.append("completion") }
        if a.blocker != b.blocker { out.append("blocker") }
        if a.links != b.links { out.append("links") }
        if a.source?.fields != b.source?.fields { out.append("source fields") }
        return out
    }

    /// One dependency cycle (ids in order, the first repeated at the end), or nil.
    static func dependencyCycle(_ tasks: [String: TaskRecord]) -> [String]? {
        // Iterative depth-first search; 0 unvisited, 1 on the stack, 2 done.
        var state: [String: UInt8] = [:]
        for start in tasks.keys.sorted() where state[start] == nil {
            var stack: [(String, Int)] = [(start, 0)]
            var path: [String] = [start]
            state[start] = 1
            while let (id, next) = stack.last {
                let deps = tasks[id]?.deps ?? []
                if next < deps.count {
                    stack[stack.count - 1].1 = next + 1
                    let d = deps[next]
                    guard tasks[d] != nil else { continue }
                    switch state[d] {
                    case 1?:
                        let from = path.firstIndex(of: d) ?? 0
                        return Array(path[from...]) + [d]
                    case 2?: continue
                    default:
                        state[d] = 1
                        stack.append((d, 0))
                        path.append(d)
                    }
                } else {
                    state[id] = 2
                    stack.removeLast()
                    path.removeLast()
                }
            }
        }
        return nil
    }

    /// One parent cycle, or nil.
    static func parentCycle(_ tasks: [String: TaskRecord]) -> [String]? {
        var done = Set<String>()
        for start in tasks.keys.sorted() where !done.contains(start) {
            var path: [String] = []
            var onPath = Set<String>()
            var current: String? = start
            while let c = current, tasks[c] != nil, !done.contains(c) {
                if onPath.contains(c) {
                    let from = path.firstIndex(of: c) ?? 0
                    return Array(path[from...]) + [c]
                }
                onPath.insert(c)
                path.append(c)
                current = tasks[c]?.parent
            }
            done.formUnion(path)
        }
        return nil
    }

    /// Memories from a Codex memories folder, each recorded as `remember` records one
    /// (validated, secrets redacted): a block imported before (same source id) with another
    /// text now is recorded superseding it; a text the state already holds, or nearly, is skipped.
    mutating func applyMemories(_ batch: ImportBatch, _ ctx: MutationContext, into result: inout ImportResult) throws {
        guard !batch.memories.isEmpty else { return }
        var bySource: [String: String] = [:]
        for m in memoryMap.values.sorted(by: { ($0.created.at, $0.id) < ($1.created.at, $1.id) }) where !m.isForgotten {
            if let s = m.source { bySource[s] = m.id }
        }
        for item in batch.memories {
            let previous = bySource[item.source].flatMap { id in
                memoryMap.values.contains { $0.supersedes.contains(id) && !$0.isForgotten } ? nil : id
            }
            // The block as imported before (its text as stored: redacted).
            if let p = previous, memoryMap[p]?.hash == Memory.hash(of: Redaction.redact(item.text).text) {
                result.items.append(
                    ImportItem(
                        origin: item.origin, source: item.source, outcome: .skipped, id: p,
                        detail: "unchanged since the last import"))
                continue
            }
            let id: String
            do {
                id = try remember(
                    NewMemory(kind: item.kind, text: item.text, supersedes: previous.map { [$0] } ?? []), ctx
                ).id
            } catch MemoryError.duplicate(let of, let exact) {
                result.items.append(
                    ImportItem(
                        origin: item.origin, source: item.source, outcome: .skipped, id: of,
                        detail: exact ? "the same text is memory \(of) already" : "nearly the same as memory \(of)"))
                continue
            } catch {
                result.items.append(
                    ImportItem(origin: item.origin, source: item.source, outcome: .refused, id: nil, detail: "\(error)")
                )
                continue
            }
            memoryMap[id]?.source = item.source
            bySource[item.source] = id
            result.items.append(
                ImportItem(
                    origin: item.origin, source: item.source, outcome: previous == nil ? .added : .updated, id: id,
                    detail: previous.map { "supersedes \($0)" }))
        }
    }
}
