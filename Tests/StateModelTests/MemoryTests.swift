import Foundation
import Testing

@testable import StateModel

@Suite struct MemoryTextTests {
    @Test func identifiersStayWholeWithTheirPartsBeside() {
        let terms = MemoryText.terms("See ADR-016: EADDRINUSE in src/auth/jwt.ts, snake_case and useEffect.")
        let wholes = terms.map(\.whole)
        #expect(wholes == ["see", "adr-016", "eaddrinuse", "in", "src/auth/jwt.ts", "snake_case", "and", "useeffect"])
        #expect(terms[4].parts == ["src", "auth", "jwt", "ts"])
        #expect(terms[5].parts == ["snake", "case"])
        #expect(terms[7].parts == ["use", "effect"])
        #expect(terms[2].parts.isEmpty)
    }

    @Test func everyQueryTermIsQuotedSoNoOperatorReachesFTS() {
        let q = MemoryText.query("NEAR(\"jwt\" * -cookie) OR AND")
        #expect(q?.terms == ["near", "jwt", "cookie"])
        #expect(q?.strict == #""near" AND "jwt" AND "cookie""#)
        #expect(MemoryText.query("\" * - ( ) ^ :") == nil)
        #expect(MemoryText.query("") == nil)
    }

    @Test func questionsLoseTheirStopwordsButNeverAllTerms() {
        #expect(MemoryText.query("what database do we use?")?.terms == ["database"])
        #expect(MemoryText.query("use the database")?.terms == ["use", "database"])
        #expect(MemoryText.query("what is it")?.terms == ["what", "is", "it"])
    }

    @Test func relatedWordsOnlyWidenTheRelaxedPass() throws {
        let q = try #require(MemoryText.query("why were 2FA codes rejected?"))
        #expect(q.terms == ["2fa", "codes", "rejected"])
        #expect(q.strict == #""2fa" AND "codes" AND "rejected""#)
        #expect(q.relaxed.contains(#""totp""#) && q.alternatives[0].contains("two-factor"))
    }

    @Test func nearDuplicatesButNotNegationsOrOtherNumbers() {
        #expect(MemoryText.nearDuplicate("Use Postgres for the main database.", "use postgres for the main database"))
        #expect(!MemoryText.nearDuplicate("Use X for caching", "Do not use X for caching"))
        #expect(!MemoryText.nearDuplicate("Use X for caching", "Don't use X for caching"))
        #expect(!MemoryText.nearDuplicate("pin boto3 to 1.26", "pin boto3 to 1.27"))
        #expect(!MemoryText.nearDuplicate("Use Redis for sessions", "Use Postgres for migrations"))
    }
}

@Suite struct MemoryModelTests {
    func state() -> ProjectState { ProjectState(projectName: "p") }

    @Test func rememberStoresTextExactlyWithItsHashAndOrigin() throws {
        var s = state()
        let text = "  `any` is banned in TypeScript\n(use `unknown`)  "
        let r = try s.remember(
            NewMemory(kind: .constraint, text: text, paths: ["./src/", "src"]), ctx(head: "abc"))
        let m = try #require(s.memoryMap[r.id])
        #expect(r.id.hasPrefix("mem-") && r.id.count == 14)
        #expect(m.text == text)
        #expect(m.hash == SHA256.hex(Array(text.utf8)))
        #expect(m.paths == ["src"])
        #expect(m.created == MemoryOrigin(at: t0, actor: "alice", branch: "main", commit: "abc"))
        #expect(m.hashMatches)
    }

    @Test func badTextIsRefusedAndNothingChanges() throws {
        var s = state()
        let before = s
        for bad in ["", "   \n", String(repeating: "x", count: 1_048_576), "bad \u{FFFD} bytes", "bell \u{07}"] {
            #expect(throws: ModelError.self) { try s.remember(NewMemory(kind: .note, text: bad), ctx()) }
        }
        #expect(s == before)
    }

    @Test func secretsAreRedactedAndReported() throws {
        var s = state()
        let r = try s.remember(
            NewMemory(kind: .decision, text: "CI uses AKIA" + "IOSFODNN7EXAMPLE", why: "password=Hunter2Hunter2"),
            ctx())
        #expect(s.memoryMap[r.id]?.text == "CI uses [REDACTED:aws-access-key]")
        #expect(s.memoryMap[r.id]?.why == "password=[REDACTED:secret-assignment]")
        #expect(r.redactions.map(\.rule) == ["aws-access-key", "secret-assignment"])
    }

    @Test func duplicatesAreRefusedUnlessTheyDifferInNegationOrNumber() throws {
        var s = state()
        let first = try s.remember(NewMemory(kind: .decision, text: "Pin boto3 to 1.26.x"), ctx(nonce: 1)).id
        #expect(throws: MemoryError.duplicate(of: first, exact: true)) {
            try s.remember(NewMemory(kind: .note, text: "Pin boto3 to 1.26.x"), ctx(nonce: 2))
        }
        #expect(throws: MemoryError.duplicate(of: first, exact: false)) {
            try s.remember(NewMemory(kind: .decision, text: "pin boto3 to 1.26.x."), ctx(nonce: 3))
        }
        try s.remember(NewMemory(kind: .decision, text: "Pin boto3 to 1.27.x"), ctx(nonce: 4))
        try s.remember(NewMemory(kind: .decision, text: "Do not pin boto3 to 1.26.x"), ctx(nonce: 5))
        // Superseding the near-duplicate is how a fact is refined.
        try s.remember(NewMemory(kind: .decision, text: "pin boto3 to 1.26.x.", supersedes: [first]), ctx(nonce: 6))
        #expect(s.memoryMap.count == 4)
    }

    @Test func supersessionAndForgettingAsEvaluated() throws {
        var s = state()
        let old = try s.remember(NewMemory(kind: .decision, text: "Sessions in cookies"), ctx(nonce: 1)).id
        let new = try s.remember(
            NewMemory(
                kind: .decision, text: "JWT access tokens, Redis refresh tokens", supersedes: [String(old.prefix(8))]),
            ctx(nonce: 2)
        ).id
        #expect(throws: ModelError.self) {
            try s.remember(NewMemory(kind: .decision, text: "Sessions in Redis", supersedes: [old]), ctx(nonce: 3))
        }
        var eval = MemoryEvaluation(
            committed: s.memoryMap, private: [:], head: MemoryHead(branch: "main", commit: nil, committedIDs: []))
        #expect(eval.status[old] == .superseded && eval.status[new] == .current)
        #expect(eval.supersededBy[old] == [new])
        try s.forgetMemory(new, ctx())
        #expect(s.memoryMap[new]?.text == "" && s.memoryMap[new]?.hash == nil && s.memoryMap[new]?.forgotten != nil)
        eval = MemoryEvaluation(
            committed: s.memoryMap, private: [:], head: MemoryHead(branch: "main", commit: nil, committedIDs: []))
        #expect(eval.status[new] == .forgotten && eval.status[old] == .current)
        #expect(throws: ModelError.self) { try s.forgetMemory(new, ctx()) }
    }

    @Test func aMemoryIsCurrentWhereCommittedOrRecordedAndElsewhereOtherwise() throws {
        var s = state()
        let merged = try s.remember(NewMemory(kind: .note, text: "merged"), ctx(branch: "feature", nonce: 1)).id
        let local = try s.remember(NewMemory(kind: .note, text: "local"), ctx(branch: "main", nonce: 2)).id
        let other = try s.remember(NewMemory(kind: .note, text: "other"), ctx(branch: "feature", nonce: 3)).id
        let detached = try s.remember(NewMemory(kind: .note, text: "detached"), ctx(branch: nil, head: "c1", nonce: 4))
            .id
        let eval = MemoryEvaluation(
            committed: s.memoryMap, private: [:], head: MemoryHead(branch: "main", commit: "c1", committedIDs: [merged])
        )
        #expect(eval.status[merged] == .current && eval.status[local] == .current)
        #expect(eval.status[other] == .elsewhere && eval.status[detached] == .current)
    }

    @Test func aHandEditedConstraintNoLongerMatchesItsHash() throws {
        var s = state()
        let id = try s.remember(NewMemory(kind: .constraint, text: "never force-push main"), ctx()).id
        s.memories?[id]?.text = "force-push main when needed"
        #expect(s.memoryMap[id]?.hashMatches == false)
    }

    @Test func stateWithoutMemoriesEncodesAsBefore() throws {
        let text = String(decoding: try CanonicalJSON.encode(state()), as: UTF8.self)
        #expect(!text.contains("memories"))
    }
}

@Suite struct MemoryMergeTests {
    let at = Timestamp(iso8601: "2026-02-01T00:00:00Z")!

    @Test func memoriesFromBothSidesAreKept() throws {
        let base = ProjectState(projectName: "p")
        var ours = base
        var theirs = base
        let a = try ours.remember(NewMemory(kind: .decision, text: "ours"), ctx(nonce: 1)).id
        let b = try theirs.remember(NewMemory(kind: .constraint, text: "theirs"), ctx("bob", nonce: 2)).id
        let merged = try StateMerge.merge(base: base, ours: ours, theirs: theirs, at: at)
        #expect(Set(merged.state.memoryMap.keys) == [a, b])
        #expect(merged.added.isEmpty)
    }

    @Test func forgetOnOneSideIsNotUndoneByTheOther() throws {
        var base = ProjectState(projectName: "p")
        let id = try base.remember(NewMemory(kind: .note, text: "secret-ish"), ctx()).id
        var ours = base
        try ours.forgetMemory(id, ctx())
        let merged = try StateMerge.merge(base: base, ours: base, theirs: ours, at: at)
        #expect(merged.state.memoryMap[id]?.isForgotten == true)
    }

    @Test func supersessionOnBothSidesIsAConflictRecordAndKeepsBothSuccessors() throws {
        var base = ProjectState(projectName: "p")
        let old = try base.remember(NewMemory(kind: .decision, text: "Use MySQL"), ctx(nonce: 1)).id
        var ours = base
        var theirs = base
        let o = try ours.remember(NewMemory(kind: .decision, text: "Use Postgres", supersedes: [old]), ctx(nonce: 2)).id
        let t = try theirs.remember(
            NewMemory(kind: .decision, text: "Use SQLite", supersedes: [old]), ctx("bob", nonce: 3)
        ).id
        let merged = try StateMerge.merge(base: base, ours: ours, theirs: theirs, at: at)
        #expect(merged.state.memoryMap[o] != nil && merged.state.memoryMap[t] != nil)
        let record = try #require(merged.state.memoryMap[old]?.conflicts?.first)
        #expect(record.field == "superseded_by" && record.rule == .supersededOnBothSides)
        #expect(record.kept == .array([.string(o)]) && record.other == .array([.string(t)]))
        #expect(merged.added.map(\.kind) == ["memory"])
        // Merging the merge again adds nothing.
        let again = try StateMerge.merge(base: base, ours: merged.state, theirs: theirs, at: at)
        #expect(again.added.isEmpty)
        // Resolving keeps both successors and clears the record.
        var resolved = merged.state
        _ = try resolved.resolveConflicts(old, field: nil, take: .kept, ctx())
        #expect(resolved.memoryMap[old]?.conflicts == nil)
    }
}
