/// How `recall` orders memories once the index has answered (docs/memory.md, "Search" and
/// "Semantic recall"). Pure: the lexical scores, the terms each memory matched and the cosine
/// similarities come in; an ordered list with the reasons comes out.
///
/// 1. **Exact path.** A memory that holds one of the query's identifier-like terms whole
///    (`src/db/query.ts`, `ADR-016`, `EADDRINUSE`, `--max-retries`) ranks above every memory that
///    does not, in lexical order among themselves: an identifier query never loses to a
///    paraphrase neighbour.
/// 2. **Fusion.** The rest, over the union of the lexical candidates and the nearest memories by
///    cosine: 0.8 × cosine + 0.2 × the lexical score divided by the best lexical score and
///    multiplied by the share of the query the memory covers. Without a model, the lexical score alone (bm25 × how much of the query
///    matched × 1.25 for a strict match), as before the model existed.
/// 3. **Weights as before**: superseded (× 0.3) and other-branch (× 0.2) memories only with
///    history, up to × 1.05 for the newest; a "why" question favours memories that carry a
///    rationale.
/// 4. **Floor.** A memory that matched no query term (a question's verbs do not count) and whose similarity is below
///    `similarityFloor` is not a result.
public enum MemoryRanking {
    /// Chosen on the recall benchmark's tuning split only (docs/memory.md, "Recall benchmark"):
    /// 0.8/0.2 and a floor of 0.2 did best there; the held-out split was measured once, after.
    public struct Weights: Sendable, Equatable {
        public var similarity = 0.8
        public var lexical = 0.2
        /// Below this cosine, a memory that matched no term is not shown.
        public var similarityFloor = 0.2
        /// How many nearest memories by cosine join the lexical candidates.
        public var neighbours = 50
        /// Factor for memories with a rationale when the query asks why.
        public var rationale = 1.25
        public init() {}
    }

    public struct Candidate: Sendable, Equatable {
        public var id: String
        /// FTS5's bm25 (positive, higher is better); 0 when the lexical passes did not find it.
        public var bm25: Double
        /// Found by the strict pass (every term).
        public var strict: Bool
        /// The query terms (or their parts and related words) it contains.
        public var matched: [String]
        /// Coverage credit: 1 per term found whole, 0.5 per term found through a part or a
        /// related word.
        public var credit: Double
        /// The identifier-like query terms it holds whole.
        public var exact: [String]
        /// Cosine similarity with the query; nil without a model (or without a vector).
        public var similarity: Double?
        public var status: MemoryStatus
        /// 0 for the oldest memory, 1 for the newest.
        public var recency: Double
        public var hasRationale: Bool

        public init(
            id: String, bm25: Double, strict: Bool, matched: [String], credit: Double, exact: [String],
            similarity: Double?, status: MemoryStatus, recency: Double, hasRationale: Bool
        ) {
            self.id = id
            self.bm25 = bm25
            self.strict = strict
            self.matched = matched
            self.credit = credit
            self.exact = exact
            self.similarity = similarity
            self.status = status
            self.recency = recency
            self.hasRationale = hasRationale
        }
    }

    public struct Ranked: Sendable, Equatable {
        public var candidate: Candidate
        public var score: Double
        /// The lexical part before normalisation (bm25 × coverage × strictness).
        public var lexical: Double
        /// The share of the query's topic terms it holds (parts and related words count half).
        public var coverage: Double
    }

    public struct Query: Sendable, Equatable {
        /// How many terms carry the topic (the coverage denominator).
        public var termCount: Int
        public var asksWhy: Bool
        public var history: Bool
        /// A model ranked the memories (similarities are present).
        public var semantic: Bool

        public init(termCount: Int, asksWhy: Bool, history: Bool, semantic: Bool) {
            self.termCount = termCount
            self.asksWhy = asksWhy
            self.history = history
            self.semantic = semantic
        }
    }

    /// The weight of a memory's status: 0 drops it.
    public static func statusWeight(_ status: MemoryStatus, history: Bool) -> Double {
        switch status {
        case .current: return 1
        case .superseded: return history ? 0.3 : 0
        case .elsewhere: return history ? 0.2 : 0
        case .forgotten: return 0
        }
    }

    /// The candidates best first (exact matches, then the fused order), without those the
    /// status or the floor drops.
    public static func rank(_ candidates: [Candidate], _ query: Query, weights: Weights = Weights()) -> [Ranked] {
        var lexical: [String: Double] = [:]
        var coverage: [String: Double] = [:]
        for c in candidates {
            coverage[c.id] = query.termCount == 0 ? 1 : min(c.credit / Double(query.termCount), 1)
        }
        for c in candidates where c.bm25 > 0 {
            lexical[c.id] = c.bm25 * (0.3 + 0.7 * (coverage[c.id] ?? 0)) * (c.strict ? 1.25 : 1)
        }
        let best = lexical.values.max() ?? 0
        var ranked: [Ranked] = []
        for c in candidates {
            let status = statusWeight(c.status, history: query.history)
            guard status > 0 else { continue }
            let lex = lexical[c.id] ?? 0
            let similarity = c.similarity ?? 0
            // Matching only a question's verbs ("use", "pick") is matching nothing.
            if c.credit == 0, !query.semantic || similarity < weights.similarityFloor { continue }
            var score: Double
            if query.semantic, c.exact.isEmpty {
                // The lexical part is relative to the best lexical match and scaled by how much
                // of the query this memory covers: a memory that shares one related word with a
                // long question is not a strong lexical match just because nothing else is.
                let relative = best > 0 ? lex / best : 0
                score = weights.similarity * max(similarity, 0) + weights.lexical * relative * (coverage[c.id] ?? 0)
            } else {
                score = max(lex, 0.000_001)
            }
            if query.asksWhy, c.hasRationale { score *= weights.rationale }
            score *= status * (1 + 0.05 * c.recency)
            ranked.append(Ranked(candidate: c, score: score, lexical: lex, coverage: coverage[c.id] ?? 0))
        }
        ranked.sort { a, b in
            // Exact first, by how many identifiers each holds, then the score, then the id.
            if a.candidate.exact.count != b.candidate.exact.count {
                return a.candidate.exact.count > b.candidate.exact.count
            }
            if a.score != b.score { return a.score > b.score }
            return a.candidate.id < b.candidate.id
        }
        return ranked
    }

    /// The cosine of two L2-normalised vectors (their dot product); 0 when the lengths differ.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return 0 }
        var sum: Float = 0
        for i in a.indices { sum += a[i] * b[i] }
        return Double(sum)
    }

    /// What a memory's vector is made from: its text and its rationale, so a "why" question can
    /// find the reason as well as the fact.
    public static func embeddingInput(text: String, why: String?) -> String {
        guard let why, !why.isEmpty else { return text }
        return text + "\n" + why
    }
}
