import Testing

@testable import StateModel

/// Recall's ordering (``MemoryRanking``), pure: the exact path, the fusion, the floor, the
/// weights.
@Suite struct MemoryRankingTests {
    func candidate(
        _ id: String, bm25: Double = 0, credit: Double = 0, matched: [String] = [], exact: [String] = [],
        similarity: Double? = nil, status: MemoryStatus = .current, why: Bool = false, strict: Bool = false
    ) -> MemoryRanking.Candidate {
        MemoryRanking.Candidate(
            id: id, bm25: bm25, strict: strict, matched: matched, credit: credit, exact: exact, similarity: similarity,
            status: status, recency: 0, hasRationale: why)
    }

    func order(_ c: [MemoryRanking.Candidate], terms: Int = 1, why: Bool = false, semantic: Bool = true) -> [String] {
        MemoryRanking.rank(c, .init(termCount: terms, asksWhy: why, history: false, semantic: semantic)).map(
            \.candidate.id)
    }

    @Test func anIdentifierNeverLosesToAParaphraseNeighbour() {
        let exact = candidate(
            "exact", bm25: 0.5, credit: 1, matched: ["eaddrinuse"], exact: ["eaddrinuse"], similarity: 0.1)
        let neighbour = candidate("neighbour", similarity: 0.95)
        let partial = candidate("partial", bm25: 9, credit: 1, matched: ["port"], similarity: 0.9)
        #expect(order([neighbour, partial, exact]) == ["exact", "partial", "neighbour"])
        // Among memories that hold identifiers: more identifiers first, then lexical order.
        let both = candidate("both", bm25: 0.1, credit: 2, exact: ["adr-016", "boto3"], similarity: 0)
        let strong = candidate("strong", bm25: 5, credit: 1, exact: ["adr-016"], similarity: 0)
        let weak = candidate("weak", bm25: 1, credit: 1, exact: ["adr-016"], similarity: 0.99)
        #expect(order([weak, strong, both], terms: 2) == ["both", "strong", "weak"])
    }

    @Test func theFusionWeighsMeaningOverWordsAndTheFloorDropsWhatMatchedNothing() {
        let words = candidate("words", bm25: 4, credit: 0.5, matched: ["ts"], similarity: 0.05)
        let meaning = candidate("meaning", similarity: 0.45)
        let unrelated = candidate("unrelated", similarity: 0.15)
        let verbOnly = candidate("verb", bm25: 2, credit: 0, matched: ["use"], similarity: 0.1)
        #expect(order([words, meaning, unrelated, verbOnly], terms: 4) == ["meaning", "words"])
        // Without a model the lexical score alone orders, and a result must have matched a term.
        #expect(order([words, meaning, unrelated, verbOnly], terms: 4, semantic: false) == ["words"])
    }

    @Test func aWhyQuestionFavoursARationaleAndStatusAndFloorsHold() {
        let decision = candidate("decision", bm25: 1, credit: 1, matched: ["dolt"], similarity: 0.30, why: true)
        let note = candidate("note", bm25: 1, credit: 1, matched: ["dolt"], similarity: 0.34)
        #expect(order([decision, note], why: false) == ["note", "decision"])
        #expect(order([decision, note], why: true) == ["decision", "note"])
        let old = candidate("old", bm25: 9, credit: 1, matched: ["x"], similarity: 0.9, status: .superseded)
        #expect(order([old, note]) == ["note"])
        let history = MemoryRanking.rank(
            [old, note], .init(termCount: 1, asksWhy: false, history: true, semantic: true))
        #expect(history.map(\.candidate.id) == ["old", "note"] || history.map(\.candidate.id) == ["note", "old"])
        #expect(history.first { $0.candidate.id == "old" }.map { $0.score < 0.9 } == true)
    }

    @Test func identifierLikeTermsAndWhyQuestionsAreRecognised() throws {
        let q = try #require(
            MemoryText.query("why does src/db/query.ts throw EADDRINUSE in useEffect after ADR-016 on port 3000"))
        #expect(q.identifiers == ["src/db/query.ts", "eaddrinuse", "useeffect", "adr-016", "3000"])
        #expect(q.asksWhy)
        #expect(MemoryText.query("what was the reason for the pnpm switch")?.asksWhy == true)
        #expect(MemoryText.query("which database do we use")?.asksWhy == false)
        let go = try #require(MemoryText.query("which go version do we need"))
        #expect(go.terms == ["go", "version"])
        #expect(go.optional == ["need"])
        #expect(go.relaxed.contains("\"need\"") && !go.strict.contains("need"))
    }

    @Test func privateTokensJoinEachTerm() throws {
        let q = try #require(MemoryText.query("dolt port"))
        let e = q.expressions(privateTokens: ["dolt": "p1", "port": "p2"])
        #expect(e.strict == "(\"dolt\" OR \"p1\") AND (\"port\" OR \"p2\")")
        #expect(e.relaxed.hasPrefix("\"dolt\" OR \"p1\" OR \"port\" OR \"p2\""))
        #expect(q.expressions(privateTokens: [:]).strict == q.strict)
    }
}
