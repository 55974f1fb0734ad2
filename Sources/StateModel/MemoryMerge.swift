/// The three-way merge of memories (called from `StateMerge.merge`).
///
/// Memories are merged by id like every entity, so nothing either side recorded is lost. A
/// memory's text is never edited, so the only changes a merge meets are a tombstone (forget wins:
/// it was deliberate and must not be undone by a branch that still has the text) and hand edits
/// (settled field by field, ours kept, the other value recorded). Supersession is recorded on the
/// newer memory; when the two sides superseded the same memory with different successors, both
/// successors are kept and the superseded memory gets a `superseded_by` conflict record.
extension StateMerge {
    static func mergeMemories(
        _ base: [String: Memory]?, _ ours: [String: Memory], _ theirs: [String: Memory], at: Timestamp,
        into added: inout [EntityConflicts]
    ) throws -> [String: Memory] {
        var merged = try mergeEntities(base, ours, theirs, at: at) { try mergeMemory($0, $1, $2, at: at) }
        // Successors recorded on one side only, per superseded memory.
        func successors(_ map: [String: Memory]) -> [String: Set<String>] {
            var out: [String: Set<String>] = [:]
            for m in map.values where !m.isForgotten {
                for target in m.supersedes { out[target, default: []].insert(m.id) }
            }
            return out
        }
        let before = successors(base ?? [:])
        let mine = successors(ours)
        let yours = successors(theirs)
        for target in Set(mine.keys).intersection(yours.keys).sorted() {
            let known = before[target] ?? []
            let mineNew = (mine[target] ?? []).subtracting(known)
            let yoursNew = (yours[target] ?? []).subtracting(known)
            // Only successors one side has and the other does not disagree.
            let o = mineNew.subtracting(yoursNew)
            let t = yoursNew.subtracting(mineNew)
            guard !o.isEmpty, !t.isEmpty, merged.values[target] != nil else { continue }
            merged.new[target, default: []].append(
                FieldConflict(
                    field: "superseded_by", kept: .array(o.sorted().map(JSONValue.string)),
                    other: .array(t.sorted().map(JSONValue.string)), winner: .ours, rule: .supersededOnBothSides,
                    at: at))
        }
        return attach(merged, kind: "memory", label: \.text, into: &added)
    }

    static func mergeMemory(_ b: Memory?, _ o: Memory, _ t: Memory, at: Timestamp) throws -> (Memory, [FieldConflict]) {
        if o.isForgotten || t.isForgotten {
            var kept = o.isForgotten ? o : t
            kept.conflicts = appending(t.conflicts ?? [], to: o.conflicts).all.nilIfEmpty
            return (kept, [])
        }
        var m = FieldMerge(base: b, ours: o, theirs: t, winner: .ours, rule: .undatedOurs, at: at, updated: nil)
        try m.scalar(\.id, "id")
        try m.scalar(\.kind, "kind")
        try m.scalar(\.text, "text")
        try m.scalar(\.why, "why")
        try m.scalar(\.tasks, "tasks")
        try m.scalar(\.paths, "paths")
        try m.scalar(\.commits, "commits")
        try m.scalar(\.supersedes, "supersedes")
        try m.scalar(\.hash, "hash")
        try m.scalar(\.created, "created")
        try m.scalar(\.source, "source")
        m.conflictRecords(\.conflicts)
        return (m.result, m.new)
    }
}

extension Array {
    var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}

extension Memory: ConflictCarrying {
    /// Memories are not edited: a record is resolved by keeping what the merge chose (the
    /// successors of a memory superseded on both sides both stay; supersede one to settle it).
    public mutating func restoreOther(_ c: FieldConflict) throws {
        throw ModelError.invalidValue(
            field: "field", value: c.field,
            reason: "a memory's records can only be kept (--take kept); record a new memory to change it")
    }
}
