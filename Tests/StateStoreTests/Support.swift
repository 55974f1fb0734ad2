import StateModel

/// A seeded generator (SplitMix64): every run of the property tests walks the same sequences,
/// and a failure names the seed and step that reproduce it.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum RandomEdits {
    /// One random edit of the kinds the commands make, by `actor` at `at`; refused edits change
    /// nothing.
    static func edit(_ state: inout ProjectState, _ rng: inout SeededRandom, actor: String, at: Timestamp) {
        let ids = state.tasks.keys.sorted()
        guard let id = ids.randomElement(using: &rng) else { return }
        let ctx = MutationContext(
            actor: actor, now: at, branch: actor, head: String(repeating: actor == "ours" ? "a" : "b", count: 40),
            nonce: rng.next())
        var edit = TaskEdit()
        switch rng.next() % 11 {
        case 0: _ = try? state.startTask(id, ctx)
        case 1: _ = try? state.startTask(id, ctx, lease: 3600)
        case 2:
            let commit = String(repeating: String(rng.next() % 10), count: 40)
            _ = try? state.completeTask(id, commit: commit, branch: actor, note: nil, ctx)
        case 3: _ = try? state.blockTask(id, reason: "waiting on \(actor)", ctx)
        case 4: _ = try? state.cancelTask(id, reason: nil, ctx)
        case 5: _ = try? state.reopenTask(id, ctx)
        case 6:
            edit.title = "\(actor) title \(rng.next() % 100)"
            _ = try? state.editTask(id, edit, ctx)
        case 7:
            edit.priority = Int(rng.next() % 5)
            _ = try? state.editTask(id, edit, ctx)
        case 8:
            if let dep = ids.randomElement(using: &rng) { _ = try? state.addDependency(id, on: dep, ctx) }
        case 9:
            edit.parent = .some(ids.randomElement(using: &rng))
            _ = try? state.editTask(id, edit, ctx)
        default:
            _ = try? state.addTask(NewTask(title: "\(actor) new \(rng.next() % 1000)"), ctx)
        }
    }
}
