/// The three-way merge of state files that `codex-state merge-driver` runs for git, and the
/// conflict records it leaves behind.
///
/// The merge works per entity (by id) and per field, never per line: entities added on either
/// side are kept, a field changed on one side only is taken, and a field changed differently on
/// both sides is settled by a fixed rule while the value that lost is kept in a ``FieldConflict``
/// on the entity until someone resolves it. Nothing either side wrote is dropped silently. The
/// rules are tabulated in docs/git-integration.md; the tests in MergeTests pin each row.

/// Which side of a three-way merge. In `git merge` ours is the branch checked out and theirs the
/// branch being merged; in `git rebase` and `cherry-pick` ours is the commit being built on and
/// theirs the commit being replayed.
public enum MergeSide: String, Codable, Hashable, Sendable, CaseIterable {
    case ours, theirs

    public var other: MergeSide { self == .ours ? .theirs : .ours }
}

/// Why a merge kept one value over another.
public enum ConflictRule: String, Codable, Hashable, Sendable, CaseIterable {
    /// The kept side updated the entity later (tasks: `updated.at`; completions: their `at`).
    case laterUpdate = "later_update"
    /// Both sides updated the entity in the same second: ours is kept.
    case sameTimeOurs = "same_time_ours"
    /// The entity records no update time (project, goals, milestones): ours is kept.
    case undatedOurs = "undated_ours"
    /// A completion is never dropped, and a completed side's `done` wins over other statuses.
    case completionKept = "completion_kept"
    /// One side deleted the entity, the other changed it: it is kept, changed.
    case changedOverDeleted = "changed_over_deleted"
    /// Theirs' value would have closed a dependency or parent cycle: ours' value is kept.
    case cycle
    /// Both sides superseded the same memory with different successors: both are kept.
    case supersededOnBothSides = "superseded_on_both_sides"

    public var explanation: String {
        switch self {
        case .laterUpdate: return "updated later"
        case .sameTimeOurs: return "updated in the same second; ours kept"
        case .undatedOurs: return "no update time; ours kept"
        case .completionKept: return "a completion is never dropped"
        case .changedOverDeleted: return "changed on one side, deleted on the other; kept"
        case .cycle: return "the other value would close a cycle"
        case .supersededOnBothSides: return "superseded differently on both sides; both successors kept"
        }
    }
}

/// A field both sides of a merge changed differently: the value the merge kept, the one it did
/// not, and why. It stays on the entity until resolved (`codex-state task resolve`).
///
/// `field` names the entity's JSON field, or is `deleted` when one side deleted the entity and
/// the other changed it (then `kept` is `false` and `other` is `true`).
public struct FieldConflict: Codable, Hashable, Sendable {
    public var field: String
    public var kept: JSONValue
    public var other: JSONValue
    /// The side whose value was kept.
    public var winner: MergeSide
    public var rule: ConflictRule
    /// When the merge ran.
    public var at: Timestamp
    /// The last update of the entity on the side that lost, when the entity records one.
    public var otherUpdated: Stamp?

    public init(
        field: String, kept: JSONValue, other: JSONValue, winner: MergeSide, rule: ConflictRule, at: Timestamp,
        otherUpdated: Stamp? = nil
    ) {
        self.field = field
        self.kept = kept
        self.other = other
        self.winner = winner
        self.rule = rule
        self.at = at
        self.otherUpdated = otherUpdated
    }

    enum CodingKeys: String, CodingKey {
        case field, kept, other, winner, rule, at
        case otherUpdated = "other_updated"
    }

    /// The field name of the record left when one side deleted an entity the other changed.
    public static let deletedField = "deleted"

    /// The same record but for when the merge ran.
    public func sameOutcome(as other: FieldConflict) -> Bool {
        field == other.field && kept == other.kept && self.other == other.other && winner == other.winner
            && rule == other.rule && otherUpdated == other.otherUpdated
    }
}

/// An entity that can carry conflict records and put a losing value back.
public protocol ConflictCarrying {
    /// Unresolved conflict records; nil (never empty) when there are none, so the field is
    /// absent from the file.
    var conflicts: [FieldConflict]? { get set }

    /// Puts the record's `other` value back into its field. Throws for a field this entity
    /// cannot restore, or a value that is not valid for it.
    mutating func restoreOther(_ record: FieldConflict) throws
}

/// Where a conflict record lives.
public struct EntityConflicts: Hashable, Sendable {
    /// `project`, `goal`, `milestone` or `task`, as in the operation journal.
    public var kind: String
    /// The entity's id (`project` for the project).
    public var id: String
    /// The entity's title, text or name, for display.
    public var label: String
    public var conflicts: [FieldConflict]
}

/// The merged state and the conflict records this merge added.
public struct MergeReport: Sendable, Equatable {
    public var state: ProjectState
    public var added: [EntityConflicts]

    public var addedCount: Int { added.reduce(0) { $0 + $1.conflicts.count } }
}

public enum StateMerge {
    /// Merges `ours` and `theirs`, which both descend from `base` (nil when there is none: two
    /// branches that created the file independently). Pure and deterministic for the same
    /// inputs and `at`, the time recorded in new conflict records.
    ///
    /// With `replay` (a cherry-pick: `base` is the picked commit's parent, not an ancestor of
    /// ours), an entity ours lacks was never deleted by ours — it never had it — so theirs'
    /// version is taken without a `deleted` conflict record.
    public static func merge(
        base: ProjectState?, ours: ProjectState, theirs: ProjectState, at: Timestamp, replay: Bool = false
    ) throws
        -> MergeReport
    {
        var added: [EntityConflicts] = []
        var result = ours
        result.schema = ProjectState.currentSchema

        var project = try mergeProject(base?.project, ours.project, theirs.project, at: at)
        let (all, fresh) = appending(project.new, to: project.value.conflicts)
        if !fresh.isEmpty {
            added.append(EntityConflicts(kind: "project", id: "project", label: project.value.name, conflicts: fresh))
            project.value.conflicts = all
        }
        result.project = project.value

        let goals = try mergeEntities(base?.goals, ours.goals, theirs.goals, at: at, replay: replay) {
            try mergeGoal($0, $1, $2, at: at)
        }
        result.goals = attach(goals, kind: "goal", label: \.text, into: &added)

        let milestones = try mergeEntities(
            base?.milestones, ours.milestones, theirs.milestones, at: at, replay: replay
        ) { try mergeMilestone($0, $1, $2, at: at) }
        result.milestones = attach(milestones, kind: "milestone", label: \.title, into: &added)

        var tasks = try mergeEntities(base?.tasks, ours.tasks, theirs.tasks, at: at, replay: replay) {
            try mergeTask($0, $1, $2, at: at)
        }
        try breakParentCycles(&tasks, ours: ours.tasks, theirs: theirs.tasks, at: at)
        try breakDependencyCycles(&tasks, ours: ours.tasks, theirs: theirs.tasks, at: at)
        result.tasks = attach(tasks, kind: "task", label: \.title, into: &added)
        result.memoryMap = try mergeMemories(base?.memoryMap, ours.memoryMap, theirs.memoryMap, at: at, into: &added)

        try StateCodec.validate(result)
        return MergeReport(state: result, added: added)
    }

    // MARK: - Entities

    /// Merged entities by id, with the conflict records each gained (not yet attached).
    struct Merged<E> {
        var values: [String: E] = [:]
        var new: [String: [FieldConflict]] = [:]
    }

    static func mergeEntities<E: Equatable & ConflictCarrying>(
        _ base: [String: E]?, _ ours: [String: E], _ theirs: [String: E], at: Timestamp, replay: Bool = false,
        mergeOne: (E?, E, E) throws -> (E, [FieldConflict])
    ) throws -> Merged<E> {
        var out = Merged<E>()
        out.values.reserveCapacity(max(ours.count, theirs.count))
        for id in Set(ours.keys).union(theirs.keys).sorted() {
            let b = base?[id]
            switch (ours[id], theirs[id]) {
            case (let o?, let t?):
                if o == t || b == t {
                    out.values[id] = o
                } else if b == o {
                    out.values[id] = t
                } else {
                    let (merged, conflicts) = try mergeOne(b, o, t)
                    out.values[id] = merged
                    if !conflicts.isEmpty { out.new[id] = conflicts }
                }
            case (let only?, nil), (nil, let only?):
                let side: MergeSide = ours[id] != nil ? .ours : .theirs
                guard let b else {
                    out.values[id] = only  // added on one side
                    continue
                }
                if b == only { continue }  // deleted on the other side, untouched here: deleted
                if replay, side == .theirs {
                    out.values[id] = only  // a cherry-pick onto a history that never had it
                    continue
                }
                // Deleted on the other side but changed here: keep the change, and say so.
                out.values[id] = only
                out.new[id] = [
                    FieldConflict(
                        field: FieldConflict.deletedField, kept: .bool(false), other: .bool(true), winner: side,
                        rule: .changedOverDeleted, at: at)
                ]
            case (nil, nil):
                continue
            }
        }
        return out
    }

    /// `new` appended to `existing`, leaving out records that repeat an unresolved one (the same
    /// field, values, winner and rule) but for the merge time: merging the same two commits on
    /// two machines, then merging those merges, must not double the records.
    static func appending(_ new: [FieldConflict], to existing: [FieldConflict]?) -> (
        all: [FieldConflict], fresh: [FieldConflict]
    ) {
        var all = existing ?? []
        var fresh: [FieldConflict] = []
        for c in new where !all.contains(where: { $0.sameOutcome(as: c) }) {
            all.append(c)
            fresh.append(c)
        }
        return (all, fresh)
    }

    /// Appends each entity's new conflict records to it and lists them in `added`.
    static func attach<E: ConflictCarrying>(
        _ merged: Merged<E>, kind: String, label: KeyPath<E, String>, into added: inout [EntityConflicts]
    ) -> [String: E] {
        var values = merged.values
        for id in merged.new.keys.sorted() {
            guard var e = values[id], let new = merged.new[id], !new.isEmpty else { continue }
            let (all, fresh) = appending(new, to: e.conflicts)
            guard !fresh.isEmpty else { continue }
            e.conflicts = all
            values[id] = e
            added.append(EntityConflicts(kind: kind, id: id, label: e[keyPath: label], conflicts: fresh))
        }
        return values
    }

    static func mergeProject(_ b: ProjectInfo?, _ o: ProjectInfo, _ t: ProjectInfo, at: Timestamp) throws -> (
        value: ProjectInfo, new: [FieldConflict]
    ) {
        if o == t || b == t { return (o, []) }
        if b == o { return (t, []) }
        var m = FieldMerge(base: b, ours: o, theirs: t, winner: .ours, rule: .undatedOurs, at: at, updated: nil)
        try m.scalar(\.name, "name")
        m.conflictRecords(\.conflicts)
        return (m.result, m.new)
    }

    static func mergeGoal(_ b: Goal?, _ o: Goal, _ t: Goal, at: Timestamp) throws -> (Goal, [FieldConflict]) {
        var m = FieldMerge(base: b, ours: o, theirs: t, winner: .ours, rule: .undatedOurs, at: at, updated: nil)
        try m.scalar(\.id, "id")
        try m.scalar(\.text, "text")
        try m.scalar(\.created, "created")
        m.conflictRecords(\.conflicts)
        return (m.result, m.new)
    }

    static func mergeMilestone(_ b: Milestone?, _ o: Milestone, _ t: Milestone, at: Timestamp) throws -> (
        Milestone, [FieldConflict]
    ) {
        var m = FieldMerge(base: b, ours: o, theirs: t, winner: .ours, rule: .undatedOurs, at: at, updated: nil)
        try m.scalar(\.id, "id")
        try m.scalar(\.title, "title")
        try m.scalar(\.due, "due")
        try m.scalar(\.created, "created")
        m.conflictRecords(\.conflicts)
        return (m.result, m.new)
    }

    /// Every field of `TaskRecord` the merge handles; MergeTests checks it against the type, so a
    /// field added later cannot be dropped by merges unnoticed.
    static let taskFields: Set<String> = [
        "id", "title", "body", "status", "priority", "parent", "deps", "labels", "milestone", "acceptance", "notes",
        "created", "updated", "started", "completion", "claim", "blocker", "conflicts", "source", "links",
    ]

    static func mergeTask(_ b: TaskRecord?, _ o: TaskRecord, _ t: TaskRecord, at: Timestamp) throws -> (
        TaskRecord, [FieldConflict]
    ) {
        let theirsLater = t.updated.at > o.updated.at
        var m = FieldMerge(
            base: b, ours: o, theirs: t, winner: theirsLater ? .theirs : .ours,
            rule: t.updated.at == o.updated.at ? .sameTimeOurs : .laterUpdate, at: at, updated: { $0.updated })
        try m.scalar(\.id, "id")
        try m.scalar(\.title, "title")
        try m.scalar(\.body, "body")
        try m.scalar(\.priority, "priority")
        try m.scalar(\.parent, "parent")
        try m.scalar(\.milestone, "milestone")
        try m.scalar(\.blocker, "blocker")
        try m.scalar(\.started, "started")
        try m.scalar(\.claim, "claim")
        try m.scalar(\.created, "created")
        // The record of the last import wins as a whole: its fields and stamp belong together.
        try m.scalar(\.source, "source")
        m.links()
        m.set(\.deps, sorted: true)
        m.set(\.labels, sorted: true)
        m.set(\.acceptance, sorted: false)
        m.notes()
        let completionFrom = try m.completion()
        try m.status(completionFrom: completionFrom)
        // A reason for being blocked belongs to a blocked task only (one side may have blocked
        // the task the other completed); the losing reason is kept in a conflict record.
        if m.result.status != .blocked, let reason = m.result.blocker {
            m.result.blocker = nil
            try m.record(
                "blocker", kept: String?.none, other: reason, winner: completionFrom ?? .ours, rule: .completionKept)
        }
        try m.settleStatusInvariants(completionFrom: completionFrom)
        // The merged task was last updated when its later side was.
        if case .take(let u) = pick(b?.updated, o.updated, t.updated) {
            m.result.updated = u
        } else {
            m.result.updated = theirsLater ? t.updated : o.updated
        }
        m.conflictRecords(\.conflicts)
        return (m.result, m.new)
    }

    // MARK: - Cycles

    /// A parent edge the merge took from theirs is dropped (ours' value kept) if it would close a
    /// cycle. Starting from ours' edges (acyclic, as ours was) and adding theirs' one at a time
    /// in id order keeps the graph acyclic at every step.
    static func breakParentCycles(
        _ tasks: inout Merged<TaskRecord>, ours: [String: TaskRecord], theirs: [String: TaskRecord], at: Timestamp
    ) throws {
        var pending: [(id: String, parent: String)] = []
        for id in tasks.values.keys.sorted() {
            let mine = ours[id]?.parent
            guard let merged = tasks.values[id]?.parent, merged != mine else { continue }
            tasks.values[id]?.parent = mine
            pending.append((id, merged))
        }
        for (id, parent) in pending {
            if GraphRules.parentCycle(child: id, parent: parent, in: tasks.values) == nil {
                tasks.values[id]?.parent = parent
                continue
            }
            var records = (tasks.new[id] ?? []).filter { $0.field != "parent" }
            records.append(
                FieldConflict(
                    field: "parent", kept: try JSONValue(encoding: tasks.values[id]?.parent),
                    other: .string(parent), winner: .ours, rule: .cycle, at: at, otherUpdated: theirs[id]?.updated))
            tasks.new[id] = records
        }
    }

    /// As ``breakParentCycles(_:ours:theirs:at:)``, for dependency edges. The edges dropped from
    /// one task are kept together in one record on it.
    static func breakDependencyCycles(
        _ tasks: inout Merged<TaskRecord>, ours: [String: TaskRecord], theirs: [String: TaskRecord], at: Timestamp
    ) throws {
        var pending: [(id: String, dep: String)] = []
        for id in tasks.values.keys.sorted() {
            guard let deps = tasks.values[id]?.deps else { continue }
            let mine = Set(ours[id]?.deps ?? [])
            let extra = deps.filter { !mine.contains($0) }
            guard !extra.isEmpty else { continue }
            tasks.values[id]?.deps = deps.filter { mine.contains($0) }
            pending += extra.map { (id, $0) }
        }
        var dropped: [String: [String]] = [:]
        for (id, dep) in pending {
            if GraphRules.dependencyCycle(adding: id, dependsOn: dep, in: tasks.values) == nil {
                let deps = ((tasks.values[id]?.deps ?? []) + [dep]).sorted()
                tasks.values[id]?.deps = deps
            } else {
                dropped[id, default: []].append(dep)
            }
        }
        for id in dropped.keys.sorted() {
            let kept = tasks.values[id]?.deps ?? []
            let other = (kept + (dropped[id] ?? [])).sorted()
            tasks.new[id, default: []].append(
                FieldConflict(
                    field: "deps", kept: try JSONValue(encoding: kept), other: try JSONValue(encoding: other),
                    winner: .ours, rule: .cycle, at: at, otherUpdated: theirs[id]?.updated))
        }
    }
}

// MARK: - Field rules

/// The outcome of comparing one value across base, ours and theirs.
enum Pick<V> {
    /// Both sides agree, or only one changed it: this is the value.
    case take(V)
    /// Both changed it, differently.
    case diverged
}

/// `base` is nil when the entity did not exist in the base: then any difference is divergence.
func pick<V: Equatable>(_ base: V?, _ ours: V, _ theirs: V) -> Pick<V> {
    if ours == theirs { return .take(ours) }
    if let base {
        if base == ours { return .take(theirs) }
        if base == theirs { return .take(ours) }
    }
    return .diverged
}

/// Three-way set merge: an element is kept if both sides have it or one side added it; removed
/// if either side removed it. Order: ours' elements, then the ones only theirs has.
func mergeSet<T: Hashable>(base: [T]?, ours: [T], theirs: [T]) -> [T] {
    let b = Set(base ?? [])
    let o = Set(ours)
    let t = Set(theirs)
    var seen = Set<T>()
    var out: [T] = []
    for x in ours + theirs where (o.contains(x) && t.contains(x)) || !b.contains(x) {
        if seen.insert(x).inserted { out.append(x) }
    }
    return out
}

/// One entity being merged field by field, starting from ours.
struct FieldMerge<E> {
    let base: E?
    let ours: E
    let theirs: E
    var result: E
    /// Which side wins a field both sides changed, and why.
    let winner: MergeSide
    let rule: ConflictRule
    let at: Timestamp
    let updated: ((E) -> Stamp)?
    var new: [FieldConflict] = []

    init(
        base: E?, ours: E, theirs: E, winner: MergeSide, rule: ConflictRule, at: Timestamp,
        updated: ((E) -> Stamp)?
    ) {
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.result = ours
        self.winner = winner
        self.rule = rule
        self.at = at
        self.updated = updated
    }

    func side(_ s: MergeSide) -> E { s == .ours ? ours : theirs }

    mutating func record<V: Encodable>(_ field: String, kept: V, other: V, winner: MergeSide, rule: ConflictRule)
        throws
    {
        new.append(
            FieldConflict(
                field: field, kept: try JSONValue(encoding: kept), other: try JSONValue(encoding: other),
                winner: winner, rule: rule, at: at, otherUpdated: updated.map { $0(side(winner.other)) }))
    }

    /// A value changed differently on both sides goes to ``winner``; the other is recorded.
    mutating func scalar<V: Codable & Equatable>(_ kp: WritableKeyPath<E, V>, _ field: String) throws {
        switch pick(base.map { $0[keyPath: kp] }, ours[keyPath: kp], theirs[keyPath: kp]) {
        case .take(let v): result[keyPath: kp] = v
        case .diverged:
            let kept = side(winner)[keyPath: kp]
            result[keyPath: kp] = kept
            try record(field, kept: kept, other: side(winner.other)[keyPath: kp], winner: winner, rule: rule)
        }
    }

    mutating func set(_ kp: WritableKeyPath<E, [String]>, sorted: Bool) {
        switch pick(base.map { $0[keyPath: kp] }, ours[keyPath: kp], theirs[keyPath: kp]) {
        case .take(let v): result[keyPath: kp] = v
        case .diverged:
            let merged = mergeSet(
                base: base.map { $0[keyPath: kp] }, ours: ours[keyPath: kp], theirs: theirs[keyPath: kp])
            result[keyPath: kp] = sorted ? merged.sorted() : merged
        }
    }

    /// Conflict records merge as a set: one resolved on either side stays resolved.
    mutating func conflictRecords(_ kp: WritableKeyPath<E, [FieldConflict]?>) {
        switch pick(base.map { $0[keyPath: kp] }, ours[keyPath: kp], theirs[keyPath: kp]) {
        case .take(let v): result[keyPath: kp] = v
        case .diverged:
            let merged = mergeSet(
                base: base.flatMap { $0[keyPath: kp] }, ours: ours[keyPath: kp] ?? [], theirs: theirs[keyPath: kp] ?? []
            )
            let (deduplicated, _) = StateMerge.appending(merged, to: nil)
            result[keyPath: kp] = deduplicated.isEmpty ? nil : deduplicated
        }
    }
}

extension FieldMerge where E == TaskRecord {
    /// Links merge as a set, like labels: one added on either side is kept, one removed on
    /// either side goes.
    mutating func links() {
        switch pick(base?.links, ours.links, theirs.links) {
        case .take(let v): result.links = v
        case .diverged:
            let merged = mergeSet(base: base?.links ?? [], ours: ours.links ?? [], theirs: theirs.links ?? []).sorted()
            result.links = merged.isEmpty ? nil : merged
        }
    }

    /// Notes are append-only: the union of both sides, deduplicated, in time order (ours first
    /// among notes of the same second).
    mutating func notes() {
        switch pick(base?.notes, ours.notes, theirs.notes) {
        case .take(let v): result.notes = v
        case .diverged:
            var seen = Set<Note>()
            let all = (ours.notes + theirs.notes).filter { seen.insert($0).inserted }
            result.notes = all.enumerated().sorted { a, b in
                a.element.at != b.element.at ? a.element.at < b.element.at : a.offset < b.offset
            }.map(\.element)
        }
    }

    /// Fields merged one by one can combine into a task the schema forbids (one side claimed
    /// the task the other completed). The status decides: a claim is held only in progress
    /// (dropped otherwise: a claim on a finished task claims nothing); a completion makes the
    /// task done (it is never dropped), a done task without one is open again, and a task in
    /// progress keeps where it was started. Each change of a field both sides set differently
    /// is recorded as a conflict.
    mutating func settleStatusInvariants(completionFrom: MergeSide?) throws where E == TaskRecord {
        if result.status != .inProgress, result.claim != nil { result.claim = nil }
        if result.completion != nil, result.status != .done, result.status != .cancelled {
            let other = result.status
            let w: MergeSide = completionFrom ?? (ours.completion != nil ? .ours : .theirs)
            result.status = .done
            try record("status", kept: TaskStatus.done, other: other, winner: w, rule: .completionKept)
        }
        if result.status == .done, result.completion == nil {
            let w: MergeSide = ours.status == .done ? .theirs : .ours
            result.status = side(w).status == .done ? .open : side(w).status
            try record("status", kept: result.status, other: TaskStatus.done, winner: w, rule: .completionKept)
        }
        if result.status == .inProgress, result.started == nil {
            if let s = [ours, theirs].first(where: { $0.status == .inProgress && $0.started != nil })?.started {
                result.started = s
            } else {
                result.status = .open
            }
        }
        if result.status != .inProgress, result.claim != nil { result.claim = nil }
    }

    /// A completion is never dropped: against no completion it wins; two different completions
    /// go to the later one. Returns the side a completion was kept from over a missing one.
    mutating func completion() throws -> MergeSide? {
        switch pick(base?.completion, ours.completion, theirs.completion) {
        case .take(let c):
            result.completion = c
            return nil
        case .diverged:
            switch (ours.completion, theirs.completion) {
            case (let o?, let t?):
                let w: MergeSide = t.at > o.at ? .theirs : .ours
                result.completion = w == .ours ? o : t
                try record(
                    "completion", kept: side(w).completion, other: side(w.other).completion, winner: w,
                    rule: t.at == o.at ? .sameTimeOurs : .laterUpdate)
                return nil
            case (nil, nil):
                result.completion = nil
                return nil
            case (let c?, nil), (nil, let c?):
                let w: MergeSide = ours.completion != nil ? .ours : .theirs
                result.completion = c
                try record("completion", kept: side(w).completion, other: nil, winner: w, rule: .completionKept)
                return w
            }
        }
    }

    /// Status follows completion: a side's `done` wins over the other side's non-done status,
    /// also when the completion was kept over a side that reopened the task.
    mutating func status(completionFrom: MergeSide?) throws {
        switch pick(base?.status, ours.status, theirs.status) {
        case .take(let s):
            result.status = s
            if let w = completionFrom, s != .done, side(w).status == .done {
                result.status = .done
                try record("status", kept: TaskStatus.done, other: s, winner: w, rule: .completionKept)
            }
        case .diverged:
            if (ours.status == .done) != (theirs.status == .done) {
                let w: MergeSide = ours.status == .done ? .ours : .theirs
                result.status = .done
                try record(
                    "status", kept: TaskStatus.done, other: side(w.other).status, winner: w, rule: .completionKept)
            } else {
                try scalar(\.status, "status")
            }
        }
    }
}

// MARK: - Resolution

/// Which value a resolution settles on.
public enum ConflictChoice: String, Sendable, CaseIterable {
    /// Keep what the merge chose; just clear the record.
    case kept
    /// Put the value that lost back.
    case other
}

/// What one resolution did.
public struct ConflictResolution: Sendable, Equatable {
    public var kind: String
    public var id: String
    public var take: ConflictChoice
    /// The records cleared.
    public var resolved: [FieldConflict]
    /// The records still on the entity.
    public var remaining: [FieldConflict]
    /// True when taking `other` of a `deleted` record removed the entity.
    public var deletedEntity: Bool
}

extension ProjectState {
    /// Every entity with unresolved conflict records: the project, then goals, milestones and
    /// tasks, each by id.
    public var unresolvedConflicts: [EntityConflicts] {
        var out: [EntityConflicts] = []
        if let c = project.conflicts, !c.isEmpty {
            out.append(EntityConflicts(kind: "project", id: "project", label: project.name, conflicts: c))
        }
        for g in goals.values.sorted(by: { $0.id < $1.id }) {
            if let c = g.conflicts, !c.isEmpty {
                out.append(EntityConflicts(kind: "goal", id: g.id, label: g.text, conflicts: c))
            }
        }
        for m in milestones.values.sorted(by: { $0.id < $1.id }) {
            if let c = m.conflicts, !c.isEmpty {
                out.append(EntityConflicts(kind: "milestone", id: m.id, label: m.title, conflicts: c))
            }
        }
        for t in tasks.values.sorted(by: { $0.id < $1.id }) {
            if let c = t.conflicts, !c.isEmpty {
                out.append(EntityConflicts(kind: "task", id: t.id, label: t.title, conflicts: c))
            }
        }
        for m in memoryMap.values.sorted(by: { $0.id < $1.id }) {
            if let c = m.conflicts, !c.isEmpty {
                out.append(EntityConflicts(kind: "memory", id: m.id, label: m.text, conflicts: c))
            }
        }
        return out
    }

}

extension StateRecords {
    /// Resolves the conflict records of one entity: `project`, a milestone (`m-…`), a goal
    /// (`g-…`) or a task (an id or unique prefix, `t-` optional).
    ///
    /// With `field`, only that field's records; else all of them. Taking `other` puts the value
    /// that lost back (the newest record's, when a field has several), subject to the same rules
    /// as an edit: a dependency or parent that would close a cycle is refused.
    public mutating func resolveConflicts(
        _ target: String, field: String?, take: ConflictChoice, _ ctx: MutationContext
    ) throws -> ConflictResolution {
        if target == "project" {
            var p = project
            let (done, left) = try ProjectState.resolve(&p, field: field, take: take, describe: "the project")
            project = p
            return ConflictResolution(
                kind: "project", id: "project", take: take, resolved: done, remaining: left, deletedEntity: false)
        }
        if target.hasPrefix(EntityKind.memory.idPrefix) {
            var memories = try committedMemories()
            let id = try Identifiers.resolve(target, kind: .memory, among: memories.keys)
            guard var m = memories[id] else { throw ModelError.unknownID(kind: .memory, id: id) }
            let (done, left) = try ProjectState.resolve(&m, field: field, take: take, describe: "memory \(id)")
            memories[id] = m
            try setCommittedMemories(memories)
            return ConflictResolution(
                kind: "memory", id: id, take: take, resolved: done, remaining: left, deletedEntity: false)
        }
        // Not a task id: a milestone's title or a goal's text names it too.
        let titled: EntityKind? =
            (try? resolveTask(target)) != nil
            ? nil
            : (try? resolveMilestone(target)) != nil ? .milestone : (try? resolveGoal(target)) != nil ? .goal : nil
        if target.hasPrefix(EntityKind.milestone.idPrefix) || titled == .milestone {
            let id = try resolveMilestone(target)
            guard var m = milestones[id] else { throw ModelError.unknownID(kind: .milestone, id: id) }
            let (done, left) = try ProjectState.resolve(&m, field: field, take: take, describe: "milestone \(id)")
            let gone = take == .other && done.contains { $0.field == FieldConflict.deletedField }
            milestones[id] = gone ? nil : m
            return ConflictResolution(
                kind: "milestone", id: id, take: take, resolved: done, remaining: left, deletedEntity: gone)
        }
        if target.hasPrefix(EntityKind.goal.idPrefix) || titled == .goal {
            let id = try resolveGoal(target)
            guard var g = goals[id] else { throw ModelError.unknownID(kind: .goal, id: id) }
            let (done, left) = try ProjectState.resolve(&g, field: field, take: take, describe: "goal \(id)")
            let gone = take == .other && done.contains { $0.field == FieldConflict.deletedField }
            goals[id] = gone ? nil : g
            return ConflictResolution(
                kind: "goal", id: id, take: take, resolved: done, remaining: left, deletedEntity: gone)
        }
        let id = try resolveTask(target)
        var t = try existingTask(id)
        let before = t
        let (done, left) = try ProjectState.resolve(&t, field: field, take: take, describe: "task \(id)")
        let gone = take == .other && done.contains { $0.field == FieldConflict.deletedField }
        if gone {
            try setTask(id, nil)
        } else {
            if take == .other {
                if let p = t.parent, p != before.parent, let cycle = try parentCycle(child: id, parent: p) {
                    throw ModelError.parentCycle(path: cycle)
                }
                // The restored dependencies one at a time, each checked against the ones kept.
                var kept = before.deps.filter { t.deps.contains($0) }
                for dep in t.deps where !before.deps.contains(dep) {
                    let cycle = try GraphRules.dependencyCycle(
                        adding: id, dependsOn: dep, dependencies: { $0 == id ? kept : try dependencies(of: $0) })
                    if let cycle { throw ModelError.dependencyCycle(path: cycle) }
                    kept.append(dep)
                }
            }
            t.updated = Stamp(at: ctx.now, actor: ctx.actor)
            try setTask(id, t)
        }
        return ConflictResolution(
            kind: "task", id: id, take: take, resolved: done, remaining: left, deletedEntity: gone)
    }

}

extension ProjectState {
    static func resolve<E: ConflictCarrying>(
        _ e: inout E, field: String?, take: ConflictChoice, describe: String
    ) throws -> (resolved: [FieldConflict], remaining: [FieldConflict]) {
        let all = e.conflicts ?? []
        guard !all.isEmpty else { throw ModelError.invalidState("\(describe) has no unresolved merge conflicts") }
        let chosen = field.map { f in all.filter { $0.field == f } } ?? all
        if let f = field, chosen.isEmpty {
            let fields = Set(all.map(\.field)).sorted().joined(separator: ", ")
            throw ModelError.invalidValue(
                field: "field", value: f, reason: "\(describe) has no conflict on it (conflicts on: \(fields))")
        }
        if take == .other {
            // One value per field: the newest record's (the last, among records of the same merge).
            var newest: [String: FieldConflict] = [:]
            var order: [String] = []
            for c in chosen {
                if newest[c.field] == nil { order.append(c.field) }
                if let n = newest[c.field], n.at > c.at { continue }
                newest[c.field] = c
            }
            for f in order where f != FieldConflict.deletedField {
                if let c = newest[f] { try e.restoreOther(c) }
            }
        }
        let remaining = all.filter { !chosen.contains($0) }
        e.conflicts = remaining.isEmpty ? nil : remaining
        return (chosen, remaining)
    }
}

/// Applies the difference between a set field's recorded `other` and `kept` to its current value.
func restoreSet(_ current: [String], _ c: FieldConflict, sorted: Bool) throws -> [String] {
    let kept = try c.kept.decode([String].self)
    let other = try c.other.decode([String].self)
    let removed = Set(kept).subtracting(other)
    var out = current.filter { !removed.contains($0) }
    for x in other where !kept.contains(x) && !out.contains(x) { out.append(x) }
    return sorted ? out.sorted() : out
}

func cannotRestore(_ c: FieldConflict, _ kind: String) -> ModelError {
    ModelError.invalidValue(field: "field", value: c.field, reason: "a \(kind) has no such field to restore")
}

extension TaskRecord: ConflictCarrying {
    public mutating func restoreOther(_ c: FieldConflict) throws {
        switch c.field {
        case "title":
            let title = try c.other.decode(String.self).trimmingWhitespace
            guard !title.isEmpty else { throw ModelError.emptyText(field: "title") }
            self.title = title
        case "body": body = try c.other.decode(String?.self)
        case "priority":
            let p = try c.other.decode(Int.self)
            try ProjectState.checkPriority(p)
            priority = p
        case "parent": parent = try c.other.decode(String?.self)
        case "milestone": milestone = try c.other.decode(String?.self)
        case "blocker": blocker = try c.other.decode(String?.self)
        case "started": started = try c.other.decode(StartRecord?.self)
        case "claim": claim = try c.other.decode(Claim?.self)
        case "created": created = try c.other.decode(Stamp.self)
        case "completion": completion = try c.other.decode(Completion?.self)
        case "status": status = try c.other.decode(TaskStatus.self)
        case "deps": deps = try restoreSet(deps, c, sorted: true)
        case "labels": labels = try restoreSet(labels, c, sorted: true)
        case "acceptance": acceptance = try restoreSet(acceptance, c, sorted: false)
        case "source": source = try c.other.decode(TaskSource?.self)
        default: throw cannotRestore(c, "task")
        }
    }
}

extension Milestone: ConflictCarrying {
    public mutating func restoreOther(_ c: FieldConflict) throws {
        switch c.field {
        case "title":
            let t = try c.other.decode(String.self)
            guard !t.trimmingWhitespace.isEmpty else { throw ModelError.emptyText(field: "title") }
            title = t
        case "due": due = try c.other.decode(String?.self)
        case "created": created = try c.other.decode(Stamp.self)
        default: throw cannotRestore(c, "milestone")
        }
    }
}

extension Goal: ConflictCarrying {
    public mutating func restoreOther(_ c: FieldConflict) throws {
        switch c.field {
        case "text":
            let t = try c.other.decode(String.self)
            guard !t.trimmingWhitespace.isEmpty else { throw ModelError.emptyText(field: "goal") }
            text = t
        case "created": created = try c.other.decode(Stamp.self)
        default: throw cannotRestore(c, "goal")
        }
    }
}

extension ProjectInfo: ConflictCarrying {
    public mutating func restoreOther(_ c: FieldConflict) throws {
        switch c.field {
        case "name": name = try c.other.decode(String.self)
        default: throw cannotRestore(c, "project")
        }
    }
}
