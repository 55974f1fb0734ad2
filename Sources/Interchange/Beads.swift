import StateModel

/// beads (`bd`) issues as JSONL: one issue per line, as `.beads/issues.jsonl` and `bd export` hold
/// them (learnt from beads' `internal/types/types.go`). docs/interchange.md tabulates the mapping.
public enum Beads {
    /// Every field an issue line may have (beads' `Issue` JSON tags across versions). Fields not
    /// listed are kept too, with a warning naming them.
    static let knownFields: Set<String> = [
        "id", "title", "description", "design", "acceptance_criteria", "notes", "spec_id", "status", "priority",
        "issue_type", "assignee", "owner", "estimated_minutes", "created_at", "created_by", "updated_at",
        "started_at", "closed_at", "close_reason", "closed_by_session", "due_at", "defer_until", "external_ref",
        "source_system", "metadata", "compaction_level", "compacted_at", "compacted_at_commit", "original_size",
        "labels", "dependencies", "comments", "deleted_at", "deleted_by", "delete_reason", "original_type",
        "sender", "ephemeral", "no_history", "wisp_type", "pinned", "is_template", "bonded_from", "creator",
        "validations", "quality_score", "crystallizes", "await_type", "await_id", "timeout", "waiters", "holder",
        "source_formula", "source_location", "hook_bead", "role_bead", "agent_state", "last_activity",
        "role_type", "rig", "mol_type", "work_type", "event_kind", "actor", "target", "payload",
    ]
    /// Counts `bd list --json` adds; derived, so not kept.
    static let derivedFields: Set<String> = ["dependency_count", "dependent_count", "comment_count"]
    /// Fields mapped onto the task itself (the rest go to the source block).
    static let mappedFields: Set<String> = [
        "id", "title", "description", "acceptance_criteria", "status", "priority", "created_at", "created_by",
        "started_at", "closed_at", "close_reason", "labels", "dependencies", "comments",
    ]
    /// Close reasons that mean the work will not be done: the task is cancelled here (beads
    /// itself counts these as a failed close for `conditional-blocks`).
    static let cancelReasons = ["cancel", "wontfix", "won't fix", "wont fix", "won't do", "abandon", "not planned"]

    /// beads statuses and what they are here: `hooked` (claimed by a worker) is in progress;
    /// `deferred` and `pinned` are blocked (not offered); `tombstone` (deleted) is cancelled.
    static func status(_ s: String) -> (TaskStatus, blocker: String?)? {
        switch s {
        case "open": return (.open, nil)
        case "in_progress", "hooked": return (.inProgress, nil)
        case "blocked": return (.blocked, "blocked in beads")
        case "deferred": return (.blocked, "deferred in beads")
        case "pinned": return (.blocked, "pinned in beads (a standing item, not work)")
        case "closed": return (.done, nil)
        case "tombstone": return (.cancelled, nil)
        default: return nil
        }
    }

    /// Reads beads JSONL a line at a time (the file is streamed: only the records are kept).
    public struct Reader {
        public let file: String
        var batch = ImportBatch(format: .beads)
        var problems: [String] = []
        var unknown: [String: (count: Int, first: String)] = [:]
        var skippedIDs = Set<String>()
        var lines = 0

        public init(file: String) { self.file = file }

        /// One line, without its newline; `terminated` is false for a last line with none.
        public mutating func line(_ bytes: ArraySlice<UInt8>, number: Int, terminated: Bool) {
            lines = number
            let origin = "\(file):\(number)"
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            if let bad = ForeignJSON.firstInvalidUTF8(bytes) {
                problems.append("\(origin): not valid UTF-8 (byte \(bad + 1) of the line)")
                return
            }
            let value: JSONValue
            do {
                value = try ForeignJSON.parse(bytes)
            } catch {
                problems.append(
                    terminated
                        ? "\(origin): not valid JSON (\(error))"
                        : "\(origin): truncated: the last line ends without a newline and is not complete JSON")
                return
            }
            guard let record = value.objectValue else {
                problems.append("\(origin): expected a JSON object (one issue per line)")
                return
            }
            read(record, value, origin: origin)
        }

        mutating func read(_ r: [String: JSONValue], _ whole: JSONValue, origin: String) {
            guard let rawID = r["id"]?.stringValue, !rawID.trimmed.isEmpty else {
                problems.append("\(origin): the issue has no \"id\"")
                return
            }
            let id = rawID
            let source = "beads:" + id
            let at = "\(origin) (\(id))"
            if r["ephemeral"] == .bool(true) {
                batch.skipped.append(SkippedRecord(origin: origin, source: source, reason: "ephemeral (a wisp)"))
                skippedIDs.insert(id)
                return
            }
            if r["issue_type"]?.stringValue == "event" {
                batch.skipped.append(SkippedRecord(origin: origin, source: source, reason: "an event record"))
                skippedIDs.insert(id)
                return
            }
            guard let title = r["title"]?.stringValue?.trimmed, !title.isEmpty else {
                problems.append("\(at): the issue has no title")
                return
            }
            var fields: [String: JSONValue] = [:]
            for (k, v) in r where !Beads.mappedFields.contains(k) && !Beads.derivedFields.contains(k) && !v.isNull {
                fields[k] = v
                if !Beads.knownFields.contains(k) {
                    unknown[k, default: (0, at)].count += 1
                }
            }
            let rawStatus = r["status"]?.stringValue ?? "open"
            var (status, blocker) = Beads.status(rawStatus) ?? (.blocked, "status '\(rawStatus)' in beads")
            if Beads.status(rawStatus) == nil || ["hooked", "deferred", "pinned", "tombstone"].contains(rawStatus) {
                fields["status"] = .string(rawStatus)
            }
            if Beads.status(rawStatus) == nil {
                batch.warnings.append("\(at): unknown status '\(rawStatus)': imported as blocked")
            }
            let closeReason = r["close_reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            if status == .done, let reason = closeReason,
                Beads.cancelReasons.contains(where: { reason.lowercased().hasPrefix($0) })
            {
                status = .cancelled
            }
            if status == .cancelled {
                // Kept as they were: a cancelled task has no completion to hold them.
                if let reason = closeReason { fields["close_reason"] = .string(reason) }
                if let c = r["closed_at"], !c.isNull { fields["closed_at"] = c }
            }
            if status != .blocked { blocker = nil }
            var priority = 2
            if let p = r["priority"], !p.isNull {
                guard let n = p.integerValue, (0...4).contains(n) else {
                    problems.append("\(at): priority \(p) is not 0-4")
                    return
                }
                priority = Int(n)
            }
            func time(_ key: String) -> Timestamp?? {
                guard let v = r[key], !v.isNull else { return .some(nil) }
                guard let s = v.stringValue, let t = ForeignJSON.time(s) else {
                    problems.append("\(at): \(key) \(v) is not a time")
                    return nil
                }
                return .some(t)
            }
            guard let createdAt = time("created_at"), let startedAt = time("started_at"),
                let closedAt = time("closed_at"), let updatedAt = time("updated_at")
            else { return }
            func text(_ key: String) -> String? { r[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
            // Who worked on it: the assignee, else the owner, else its creator; never the importing
            // actor, whom `next` would then tell to resume someone else's work.
            let worker = text("assignee") ?? text("owner") ?? text("created_by") ?? "beads"
            let created = ForeignStamp(at: createdAt ?? updatedAt, actor: text("created_by"))
            var labels: [String] = []
            if let l = r["labels"], !l.isNull {
                guard let a = l.arrayValue, a.allSatisfy({ $0.stringValue != nil }) else {
                    problems.append("\(at): labels is not a list of strings")
                    return
                }
                labels = a.compactMap(\.stringValue)
            }
            var notes: [Note] = []
            if let c = r["comments"], !c.isNull {
                guard let list = c.arrayValue else {
                    problems.append("\(at): comments is not a list")
                    return
                }
                for item in list {
                    guard let o = item.objectValue, let text = o["text"]?.stringValue else {
                        problems.append("\(at): a comment without text")
                        return
                    }
                    guard let when = o["created_at"]?.stringValue.flatMap(ForeignJSON.time) ?? created.at else {
                        problems.append("\(at): a comment without a time")
                        return
                    }
                    let author = o["author"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? created.actor ?? "beads"
                    if !text.isEmpty { notes.append(Note(at: when, actor: author, text: text)) }
                }
            }
            var parent: String?
            var parents: [String] = []
            var deps: [String] = []
            var links: [ImportedLink] = []
            if let d = r["dependencies"], !d.isNull {
                guard let list = d.arrayValue else {
                    problems.append("\(at): dependencies is not a list")
                    return
                }
                for item in list {
                    guard let o = item.objectValue, let target = o["depends_on_id"]?.stringValue, !target.isEmpty else {
                        problems.append("\(at): a dependency without depends_on_id")
                        return
                    }
                    if let owner = o["issue_id"]?.stringValue, !owner.isEmpty, owner != id {
                        problems.append("\(at): a dependency of \(owner) is listed under \(id)")
                        return
                    }
                    let type = o["type"]?.stringValue ?? "blocks"
                    if target.hasPrefix("external:") {
                        links.append(ImportedLink(kind: type, target: target, external: true))
                        batch.warnings.append(
                            "\(at): \(type) on \(target) (outside this tracker) is kept as a link; it holds nothing back here"
                        )
                        continue
                    }
                    switch type {
                    case "parent-child": parents.append(target)
                    case "blocks": deps.append(target)
                    default: links.append(ImportedLink(kind: type, target: "beads:" + target))
                    }
                }
            }
            parents.sort()
            parent = parents.first
            for p in parents.dropFirst() { links.append(ImportedLink(kind: "parent-child", target: "beads:" + p)) }
            if links.contains(where: { $0.kind == "parent-child" }) {
                batch.warnings.append("\(at): more than one parent; the first by id is the parent, the others links")
            }
            for l in links where l.kind == "waits-for" || l.kind == "conditional-blocks" {
                batch.warnings.append(
                    "\(at): \(l.kind) on \(l.target) is kept as a link; it holds nothing back here")
            }
            batch.tasks.append(
                ImportedTask(
                    source: source, origin: origin, digest: ForeignJSON.digest(whole), title: title,
                    body: r["description"]?.stringValue, status: status, blocker: blocker, priority: priority,
                    labels: labels, acceptance: TextList.split(r["acceptance_criteria"]?.stringValue), notes: notes,
                    created: created,
                    started: ForeignStamp(at: startedAt ?? updatedAt ?? created.at, actor: worker),
                    completed: ForeignStamp(at: closedAt ?? updatedAt ?? created.at, actor: worker),
                    completionNote: status == .done ? closeReason : nil, parent: parent.map { "beads:" + $0 },
                    deps: deps.map { "beads:" + $0 }, links: links, fields: fields))
        }

        /// The batch, or every problem found.
        public func finish() throws -> ImportBatch {
            guard problems.isEmpty else { throw ImportError(problems) }
            var out = batch
            // Edges to records left out (wisps, events) go with them.
            var dropped = 0
            var first: String?
            for i in out.tasks.indices {
                let before = out.tasks[i].deps.count + out.tasks[i].links.count + (out.tasks[i].parent == nil ? 0 : 1)
                func kept(_ s: String) -> Bool { !skippedIDs.contains(String(s.dropFirst("beads:".count))) }
                out.tasks[i].deps = out.tasks[i].deps.filter(kept)
                out.tasks[i].links = out.tasks[i].links.filter { $0.external || kept($0.target) }
                if let p = out.tasks[i].parent, !kept(p) { out.tasks[i].parent = nil }
                let after = out.tasks[i].deps.count + out.tasks[i].links.count + (out.tasks[i].parent == nil ? 0 : 1)
                if after < before {
                    dropped += before - after
                    if first == nil { first = out.tasks[i].origin + " (" + out.tasks[i].source + ")" }
                }
            }
            if let first {
                out.warnings.append(
                    "dependencies and links to skipped records (wisps, events) left out: \(dropped), the first at \(first)"
                )
            }
            for (name, u) in unknown.sorted(by: { $0.key < $1.key }) {
                out.warnings.append(
                    "\(u.first): unknown beads field '\(name)' (in \(u.count) record(s)): kept in the task's source fields"
                )
            }
            return out
        }
    }
}

/// Multi-line text fields as lists (acceptance criteria): one item per line when that loses
/// nothing, else the whole text as one item.
enum TextList {
    static func split(_ text: String?) -> [String] {
        guard let text, !text.trimmed.isEmpty else { return [] }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if !lines.contains(where: { $0.trimmed.isEmpty }), lines.joined(separator: "\n") == text {
            return lines
        }
        return [text]
    }

    static func join(_ items: [String]) -> String? { items.isEmpty ? nil : items.joined(separator: "\n") }
}
