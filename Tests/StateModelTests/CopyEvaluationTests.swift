import Testing

@testable import StateModel

/// The definitions of docs/state-format.md, "One truth across branches and worktrees", on the
/// pure evaluation.
@Suite struct CopyEvaluationTests {
    let now = Timestamp(seconds: 1_800_000_000)
    let feature = CopyName(kind: .branch, name: "feature")
    let wt = CopyName(kind: .worktree, name: "wt2", branch: "side")

    func summary(_ id: String, _ status: TaskStatus = .open, deps: [String] = []) -> TaskSummary {
        TaskSummary(
            id: id, title: id, status: status, priority: 2, parent: nil, deps: deps, labels: [], milestone: nil,
            createdAt: Timestamp(seconds: 0), startedActor: nil, startedBranch: nil, startedAt: nil,
            completionCommit: nil, completionBranch: nil, claimActor: nil, claimExpires: nil)
    }

    func fact(_ id: String, _ status: TaskStatus, commit: String? = nil, actor: String? = nil, claimUntil: Int64? = nil)
        -> TaskSummary
    {
        TaskSummary(
            id: id, title: id, status: status, priority: 2, startedActor: actor,
            startedBranch: actor == nil ? nil : "feature", startedAt: actor == nil ? nil : now.adding(seconds: -60),
            completionCommit: commit, completionBranch: "feature", claimActor: claimUntil == nil ? nil : actor,
            claimExpires: claimUntil.map { now.adding(seconds: $0) }, updatedAt: now.adding(seconds: -60))
    }

    func evaluate(
        _ tasks: [TaskSummary], _ facts: [(CopyName, [TaskSummary])], reach: [String: Reachability] = [:],
        containing: [String: String] = [:]
    ) -> Evaluation {
        Evaluation(
            tasks: Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0) }), reachability: reach,
            copies: CopyInputs(
                facts: CopyFact.merge(facts), containing: containing, now: now, staleAfter: 7 * 86_400))
    }

    @Test func aCompletionInAnyCopyOnHeadIsDoneHereAndSatisfiesDependents() {
        let e = evaluate(
            [summary("a"), summary("b", deps: ["a"])], [(feature, [fact("a", .done, commit: "c1")])],
            reach: ["c1": .reachable])
        #expect(e.status["a"] == .done)
        #expect(e.ready == ["b"])
    }

    @Test func aCompletionElsewhereIsDoneAtTheContainingBranch() {
        let e = evaluate(
            [summary("a"), summary("b", deps: ["a"])], [(feature, [fact("a", .done, commit: "c1")])],
            reach: ["c1": .unreachable], containing: ["c1": "release"])
        #expect(e.status["a"] == .doneElsewhere)
        #expect(e.elsewhere["a"]?.place == "release")
        #expect(e.ready.isEmpty)
    }

    @Test func aLiveStartElsewhereIsInProgressThereAndAnExpiredClaimIsStale() {
        let live = evaluate([summary("a")], [(wt, [fact("a", .inProgress, actor: "bob", claimUntil: 600)])])
        #expect(live.status["a"] == .inProgress)
        #expect(live.elsewhere["a"]?.place == "worktree wt2")
        #expect(live.ready.isEmpty && live.offerableStale.isEmpty)
        #expect(live.validUntil == now.adding(seconds: 600))
        let expired = evaluate([summary("a")], [(wt, [fact("a", .inProgress, actor: "bob", claimUntil: -1)])])
        #expect(expired.status["a"] == .stale)
        #expect(expired.offerableStale == ["a"])
        let ranked = Ranking.rank(expired, actor: "me", branch: "main", milestoneOrder: [:])
        #expect(ranked.first?.terms.stale == true)
    }

    @Test func fieldsComeFromHereAndOtherOnlyTasksAreForeign() {
        var renamed = fact("a", .open)
        renamed.title = "Another title"
        let e = evaluate([summary("a")], [(feature, [renamed, fact("x", .open)])])
        #expect(e.tasks["a"]?.title == "a")
        #expect(e.foreignOnly["x"] != nil && e.tasks["x"] == nil)
        #expect(e.foreignCopy["x"] == "feature")
        #expect(!e.ready.contains("x"))
    }

    @Test func doneAndCancelledDisagreeAndDoneWins() {
        let e = evaluate(
            [summary("a", .cancelled)], [(feature, [fact("a", .done, commit: "c1")])], reach: ["c1": .unreachable],
            containing: ["c1": "feature"])
        #expect(e.status["a"] == .doneElsewhere)
        #expect(e.disagreements["a"]?.message.contains("done wins") == true)
    }

    @Test func groupedFactsSurviveTheirLineEncoding() {
        let copies = [feature, wt]
        let merged = CopyFact.merge([
            (feature, [fact("a", .done, commit: "c1"), fact("b", .open)]), (wt, [fact("a", .done, commit: "c1")]),
        ])
        let back = CopyFact.decode(CopyFact.encode(merged, copies: copies), copies: copies)
        #expect(back == merged)
    }
}

extension CopyEvaluationTests {
    @Test func updatingAGroupingEqualsGroupingAfresh() {
        let b = CopyName(kind: .branch, name: "b")
        let before: [(CopyName, [TaskSummary])] = [
            (feature, [fact("a", .done, commit: "c1"), fact("b", .open)]), (wt, [fact("a", .done, commit: "c1")]),
            (b, [fact("b", .inProgress, actor: "x")]),
        ]
        // feature moved (its facts changed), wt went, a new copy appeared.
        let moved = [fact("a", .done, commit: "c1"), fact("b", .cancelled)]
        let fresh = CopyName(kind: .remote, name: "origin/z")
        let after: [(CopyName, [TaskSummary])] = [(feature, moved), (b, before[2].1), (fresh, [fact("z", .open)])]
        let updated = CopyFact.update(
            CopyFact.merge(before), removing: [feature, wt], adding: [(feature, moved), (fresh, [fact("z", .open)])])
        #expect(updated == CopyFact.merge(after))
    }
}
