/// Undo: the inverse of one journaled operation, applied to the current state.
///
/// An operation's journal record holds each changed entity before and after. Undoing it puts
/// back, field by field, what the operation changed, and only that: a later change to other
/// fields of the same entity is kept. When a later operation (or a merge, or a hand edit)
/// changed one of the same fields, or re-created or removed the entity, undo refuses and names
/// them. `updated` (a task's last-change stamp) is not a field an operation is judged by; it is
/// set to the undo itself.
public enum Undo {
    /// Fields never compared or restored.
    static let bookkeeping: Set<String> = ["updated"]

    /// Applies the inverse of `changes` to `state` (committed entities) and `privateMemories`
    /// (when the operation was on the private store).
    public static func apply<S: StateRecords>(
        _ changes: [EntityChange], to state: inout S, privateMemories: inout [String: Memory],
        isPrivate: Bool, _ ctx: MutationContext
    ) throws {
        for c in changes {
            let current = try isPrivate ? privateMemories[c.id].map(EntityValue.memory) : value(c.kind, c.id, in: state)
            let restored = try inverse(c, current: current, ctx)
            if isPrivate {
                if case .memory(let m)? = restored { privateMemories[c.id] = m } else { privateMemories[c.id] = nil }
            } else {
                try set(c.kind, c.id, restored, in: &state)
            }
        }
    }

    /// The entity as it should be after undoing `c`, given what it is now.
    static func inverse(_ c: EntityChange, current: EntityValue?, _ ctx: MutationContext) throws -> EntityValue? {
        let label = "\(c.kind) \(c.id)"
        let before = try c.before.map(json)
        let after = try c.after.map(json)
        let now = try current.map(json)
        switch (before, after) {
        case (nil, let a?):
            guard let n = now else { return nil }  // already gone
            let later = changedFields(a, n)
            guard later.isEmpty else { throw refusal(label, "it was changed since", later) }
            return nil
        case (let b?, nil):
            guard now == nil else { throw refusal(label, "it exists again", []) }
            _ = b
            return try c.before?.restamped(ctx)
        case (let b?, let a?):
            guard case .object(var fields)? = now else { throw refusal(label, "it was removed since", []) }
            let mine = changedFields(b, a)
            let later = Set(changedFields(a, .object(fields)))
            let both = mine.filter(later.contains)
            guard both.isEmpty else { throw refusal(label, "a later change touched the same fields", both) }
            guard case .object(let old) = b else { return current }
            for f in mine { fields[f] = old[f] }
            return try decode(c.kind, .object(fields)).restamped(ctx)
        case (nil, nil):
            return current
        }
    }

    static func refusal(_ label: String, _ reason: String, _ fields: [String]) -> ModelError {
        ModelError.invalidState(
            "cannot undo the change to \(label): \(reason)"
                + (fields.isEmpty ? "" : " (\(fields.joined(separator: ", ")))")
                + "; undo the later operation first, or change it by hand")
    }

    /// Top-level fields that differ between two entity objects (absent counts as null).
    static func changedFields(_ a: JSONValue, _ b: JSONValue) -> [String] {
        guard case .object(let x) = a, case .object(let y) = b else { return a == b ? [] : ["(value)"] }
        return Set(x.keys).union(y.keys).subtracting(bookkeeping).sorted().filter {
            (x[$0] ?? .null) != (y[$0] ?? .null)
        }
    }

    static func json(_ v: EntityValue) throws -> JSONValue {
        switch v {
        case .task(let t): return try JSONValue(encoding: t)
        case .milestone(let m): return try JSONValue(encoding: m)
        case .goal(let g): return try JSONValue(encoding: g)
        case .project(let p): return try JSONValue(encoding: p)
        case .memory(let m): return try JSONValue(encoding: m)
        }
    }

    static func decode(_ kind: String, _ v: JSONValue) throws -> EntityValue {
        switch kind {
        case "task": return .task(try v.decode(TaskRecord.self))
        case "milestone": return .milestone(try v.decode(Milestone.self))
        case "goal": return .goal(try v.decode(Goal.self))
        case "project": return .project(try v.decode(ProjectInfo.self))
        case "memory": return .memory(try v.decode(Memory.self))
        default: throw ModelError.invalidState("cannot undo a change to an entity of kind '\(kind)'")
        }
    }

    static func value<S: StateRecords>(_ kind: String, _ id: String, in state: S) throws -> EntityValue? {
        switch kind {
        case "task": return try state.task(id).map(EntityValue.task)
        case "milestone": return state.milestones[id].map(EntityValue.milestone)
        case "goal": return state.goals[id].map(EntityValue.goal)
        case "project": return .project(state.project)
        case "memory": return try state.committedMemories()[id].map(EntityValue.memory)
        default: throw ModelError.invalidState("cannot undo a change to an entity of kind '\(kind)'")
        }
    }

    static func set<S: StateRecords>(_ kind: String, _ id: String, _ v: EntityValue?, in state: inout S) throws {
        switch (kind, v) {
        case ("task", .task(let t)?): try state.setTask(id, t)
        case ("task", nil): try state.setTask(id, nil)
        case ("milestone", .milestone(let m)?): state.milestones[id] = m
        case ("milestone", nil): state.milestones[id] = nil
        case ("goal", .goal(let g)?): state.goals[id] = g
        case ("goal", nil): state.goals[id] = nil
        case ("project", .project(let p)?): state.project = p
        case ("memory", .memory(let m)?):
            var memories = try state.committedMemories()
            memories[id] = m
            try state.setCommittedMemories(memories)
        case ("memory", nil):
            var memories = try state.committedMemories()
            memories[id] = nil
            try state.setCommittedMemories(memories)
        default: throw ModelError.invalidState("cannot undo the change to \(kind) \(id)")
        }
    }
}

extension EntityValue {
    /// A task restored by undo records the undo as its last update.
    func restamped(_ ctx: MutationContext) throws -> EntityValue {
        guard case .task(var t) = self else { return self }
        t.updated = Stamp(at: ctx.now, actor: ctx.actor)
        return .task(t)
    }
}
