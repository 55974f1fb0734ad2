extension TaskRecord {
    /// A stand-in for a task that a transaction did not decode: every field the index summarises
    /// (``TaskSummary``) is exact, the rest (body, notes, acceptance, actors of stamps, the
    /// completion's note and time, conflict details) is left empty. `TaskSummary(stub)` equals
    /// `summary`, so graph rules, evaluation and ranking see the task as it is.
    ///
    /// A stub is never written: a transaction that changes one decodes that task from the file
    /// and runs again (see `Workspace.transaction`).
    public init(stub s: TaskSummary) {
        let created = Stamp(at: s.createdAt, actor: "")
        self.init(
            id: s.id, title: s.title, status: s.status, priority: s.priority, parent: s.parent, deps: s.deps,
            labels: s.labels, milestone: s.milestone, created: created,
            updated: s.updatedAt.map { Stamp(at: $0, actor: "") } ?? created,
            started: s.startedAt.map {
                StartRecord(at: $0, actor: s.startedActor ?? "", branch: s.startedBranch, commit: nil)
            },
            completion: s.completionCommit != nil || s.completionBranch != nil
                ? Completion(
                    commit: s.completionCommit, branch: s.completionBranch, at: s.createdAt, actor: "", note: nil)
                : nil,
            claim: s.claimActor.flatMap { actor in s.claimExpires.map { Claim(actor: actor, expires: $0) } })
        if s.conflictCount > 0 {
            conflicts = Array(
                repeating: FieldConflict(
                    field: "", kept: .null, other: .null, winner: .ours, rule: .undatedOurs, at: s.createdAt),
                count: s.conflictCount)
        }
    }
}
