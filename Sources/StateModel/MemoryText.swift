/// Text handling for memory search: a tokenizer that keeps code identifiers whole, the FTS5
/// queries built from user input, and the near-duplicate test.
///
/// The same tokenizer feeds the index and the queries, so what a query can match is exactly
/// what was indexed. SQLite's FTS5 (`porter unicode61 tokenchars '-_./'`) then only splits on
/// the spaces this tokenizer puts between terms and stems them.
public enum MemoryText {
    /// Characters that join the parts of an identifier: `ADR-016`, `snake_case`, `jwt.ts`,
    /// `src/auth/jwt.ts`.
    static let joiners: Set<Character> = ["-", "_", ".", "/"]

    /// One word of the input: the whole token (lower-cased) and, for compound identifiers
    /// (joined or camelCase), its parts.
    public struct Term: Hashable, Sendable {
        public var whole: String
        public var parts: [String]
        /// Looks like a code identifier rather than a word, as typed: it has a joiner inside
        /// (`src/db`, `ADR-016`, `max_retries`), a digit (`RS256`, `3000`), inner capitals
        /// (`useEffect`) or is three or more capitals (`EADDRINUSE`, `JWT`). Recall keeps such a
        /// term exact: a memory holding it whole ranks above paraphrase neighbours.
        public var identifier: Bool = false
    }

    /// The terms of `text`, in order.
    public static func terms(_ text: String) -> [Term] {
        var out: [Term] = []
        var current = ""
        func flush() {
            defer { current = "" }
            var token = Substring(current)
            while let f = token.first, joiners.contains(f) { token = token.dropFirst() }
            while let l = token.last, joiners.contains(l) { token = token.dropLast() }
            guard !token.isEmpty else { return }
            let whole = token.lowercased()
            var parts: [String] = []
            for piece in token.split(whereSeparator: { joiners.contains($0) }) {
                for sub in camelParts(piece) where !sub.isEmpty {
                    let p = sub.lowercased()
                    if p != whole, !parts.contains(p) { parts.append(p) }
                }
            }
            let letters = token.filter(\.isLetter)
            let identifier =
                token.contains(where: { joiners.contains($0) || $0.isNumber })
                || token.dropFirst().contains(where: \.isUppercase) && token.contains(where: \.isLowercase)
                || (letters.count >= 3 && letters.allSatisfy(\.isUppercase))
            out.append(Term(whole: whole, parts: parts, identifier: identifier))
        }
        for c in text {
            if c.isLetter || c.isNumber || joiners.contains(c) {
                current.append(c)
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// `useEffect` → `use`, `Effect`; `HTTPServer` → `HTTP`, `Server`; `EADDRINUSE` stays whole.
    static func camelParts(_ s: Substring) -> [Substring] {
        let chars = Array(s.indices)
        guard chars.count > 1 else { return [s] }
        var parts: [Substring] = []
        var start = s.startIndex
        for i in 1..<chars.count {
            let prev = s[chars[i - 1]]
            let cur = s[chars[i]]
            let next: Character? = i + 1 < chars.count ? s[chars[i + 1]] : nil
            let lowerToUpper = prev.isLowercase && cur.isUppercase
            let acronymEnd = prev.isUppercase && cur.isUppercase && (next?.isLowercase ?? false)
            if lowerToUpper || acronymEnd {
                parts.append(s[start..<chars[i]])
                start = chars[i]
            }
        }
        parts.append(s[start...])
        return parts
    }

    /// The text the index stores for FTS5: every whole term and every part, space-separated.
    public static func indexText(_ text: String) -> String {
        var words: [String] = []
        for t in terms(text) {
            words.append(t.whole)
            words.append(contentsOf: t.parts)
        }
        return words.joined(separator: " ")
    }

    /// Words that carry no topic in a question ("what database do we use?").
    public static let stopwords: Set<String> = [
        "a", "about", "all", "am", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "can",
        "could", "did", "do", "does", "doing", "for", "from", "had", "has", "have", "having", "how", "i", "if", "in",
        "into", "is", "it", "its", "just", "me", "my", "of", "on", "or", "our", "ours", "should", "so", "some", "than",
        "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "us", "was", "we",
        "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
        "your", "again", "also", "anything", "currently", "ever", "know", "tell", "remind", "said", "decided",
        "decide", "way", "right", "thing", "things", "there's", "here", "now", "get", "got", "supposed",
    ]

    /// Words that carry no topic once a query is a question ("what database do we *use*?",
    /// "how do we *handle* retries?"): dropped from questions only.
    public static let questionNoise: Set<String> = [
        "use", "uses", "using", "used", "choose", "chose", "chosen", "pick", "picked", "prefer", "handle",
        "handled", "need", "needs", "want", "make", "work", "works", "deal", "happen", "happens",
        "happened", "supposed", "allowed", "okay", "ok", "fine", "again",
    ]

    /// Words that open a question.
    static let questionOpeners: Set<String> = [
        "what", "which", "how", "why", "when", "where", "who", "whom", "whose", "do", "does", "did", "should",
        "is", "are", "can", "could", "would", "will", "was", "were", "have", "has",
    ]

    /// A query ready for FTS5: each term double-quoted (no query syntax reaches SQLite), the
    /// terms that count for ranking, and the two match expressions.
    public struct Query: Sendable, Equatable {
        /// Whole terms that carry the topic (stopwords dropped unless nothing else is left).
        public var terms: [String]
        /// For each term, what else stands for it in the relaxed pass: the parts of a compound
        /// term, then related words (``MemorySynonyms``).
        public var alternatives: [[String]]
        /// Every term required (`"a" AND "b"`).
        public var strict: String
        /// Any term or alternative (`"a" OR "b" OR "a-part" OR "synonym"`).
        public var relaxed: String
        /// A question's topic-less verbs (``questionNoise``): searched by the relaxed pass and
        /// shown when matched, but never required and not counted as covering the query.
        public var optional: [String] = []
        /// Every term the relaxed pass looks for, each once, in order.
        public var relaxedTerms: [String] = []
        /// The terms that look like identifiers (``Term/identifier``): recall's exact path.
        public var identifiers: [String] = []
        /// The query asks for a reason ("why …", "what was the reason for …"): memories that
        /// carry a rationale answer it best.
        public var asksWhy = false

        /// One term as an FTS5 expression: quoted, or, where private memories are indexed under
        /// keyed tokens, either the term or its token.
        public static func match(_ term: String, _ privateTokens: [String: String]) -> String {
            guard let token = privateTokens[term] else { return MemoryText.quote(term) }
            return "(" + MemoryText.quote(term) + " OR " + MemoryText.quote(token) + ")"
        }

        /// The strict and relaxed expressions, private tokens included.
        public func expressions(privateTokens: [String: String]) -> (strict: String, relaxed: String) {
            guard !privateTokens.isEmpty else { return (strict, relaxed) }
            return (
                terms.map { Self.match($0, privateTokens) }.joined(separator: " AND "),
                relaxedTerms.flatMap {
                    [MemoryText.quote($0)] + (privateTokens[$0].map { [MemoryText.quote($0)] } ?? [])
                }
                .joined(separator: " OR ")
            )
        }

        /// Parts of compound terms and related words, each once.
        public var parts: [String] {
            var out: [String] = []
            for alts in alternatives { for a in alts where !out.contains(a) { out.append(a) } }
            return out
        }
    }

    /// Nil when the input has no word at all (only punctuation or operators such as `"`, `*`,
    /// `-`): there is nothing to search for.
    public static func query(_ input: String) -> Query? {
        let all = terms(input)
        guard !all.isEmpty else { return nil }
        let question =
            input.trimmingWhitespace.hasSuffix("?") || all.first.map { questionOpeners.contains($0.whole) } == true
        var kept = all.filter { !stopwords.contains($0.whole) && !(question && questionNoise.contains($0.whole)) }
        if kept.isEmpty { kept = all }
        var wholes: [String] = []
        var alternatives: [[String]] = []
        for t in kept where !wholes.contains(t.whole) {
            wholes.append(t.whole)
            let candidates = t.parts.filter { !stopwords.contains($0) } + MemorySynonyms.related(t.whole)
            var alts: [String] = []
            for a in candidates where !alts.contains(a) { alts.append(a) }
            alternatives.append(alts)
        }
        for i in alternatives.indices { alternatives[i].removeAll { wholes.contains($0) } }
        let quoted = wholes.map(quote)
        var relaxed = quoted
        for alts in alternatives { for a in alts where !relaxed.contains(quote(a)) { relaxed.append(quote(a)) } }
        // The question's verbs are not required, but a memory that has them is closer: "why did
        // we *pick* Dolt" is answered by "we *picked* Dolt for …" before "run dolt gc".
        var optional: [String] = []
        if question, kept.count < all.count {
            for t in all where questionNoise.contains(t.whole) && !wholes.contains(t.whole) {
                if !optional.contains(t.whole) { optional.append(t.whole) }
                if !relaxed.contains(quote(t.whole)) { relaxed.append(quote(t.whole)) }
            }
        }
        var identifiers: [String] = []
        for t in kept where t.identifier && !identifiers.contains(t.whole) { identifiers.append(t.whole) }
        var anyTerm: [String] = []
        for term in wholes + alternatives.flatMap({ $0 }) + optional where !anyTerm.contains(term) {
            anyTerm.append(term)
        }
        let words = Set(all.map(\.whole))
        return Query(
            terms: wholes, alternatives: alternatives, strict: quoted.joined(separator: " AND "),
            relaxed: relaxed.joined(separator: " OR "), optional: optional, relaxedTerms: anyTerm,
            identifiers: identifiers,
            asksWhy: all.first?.whole == "why" || !words.isDisjoint(with: reasonWords))
    }

    /// Words that ask for a reason anywhere in a query.
    static let reasonWords: Set<String> = ["why", "reason", "reasons", "rationale", "motivation"]

    /// An FTS5 string literal: the term in double quotes, inner quotes doubled (the tokenizer
    /// never produces one, but the quoting must not depend on that).
    public static func quote(_ term: String) -> String {
        "\"" + term.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - Near duplicates

    /// Words that turn a statement into its opposite.
    static let negations: Set<String> = [
        "not", "no", "never", "dont", "don't", "doesn't", "doesnt", "isn't", "isnt", "aren't", "arent", "won't",
        "wont", "cannot", "can't", "cant", "shouldn't", "shouldnt", "mustn't", "mustnt", "without", "nor", "avoid",
        "stop", "forbid", "forbidden", "banned", "ban", "disallow", "disallowed",
    ]

    struct Signature: Equatable {
        var words: Set<String>
        var numbers: Set<String>
        var negated: Bool
    }

    static func signature(_ text: String) -> Signature {
        var words: Set<String> = []
        var numbers: Set<String> = []
        for t in terms(text) {
            if t.whole.contains(where: \.isNumber) { numbers.insert(t.whole) }
            if !stopwords.contains(t.whole) { words.insert(stem(t.whole)) }
        }
        let lowered = text.lowercased().replacingOccurrences(of: "\u{2019}", with: "'")
        let rawWords = lowered.split { !($0.isLetter || $0 == "'") }
        let negated = rawWords.contains { negations.contains(String($0)) || $0.hasSuffix("n't") }
        return Signature(words: words, numbers: numbers, negated: negated)
    }

    /// A crude plural/inflection fold for the duplicate test (the index uses Porter).
    static func stem(_ w: String) -> String {
        for suffix in ["ing", "ed", "es", "s"] where w.count > suffix.count + 3 && w.hasSuffix(suffix) {
            return String(w.dropLast(suffix.count))
        }
        return w
    }

    /// True when `b` says what `a` says in nearly the same words: at least 80% of their topic
    /// words shared, the same numbers and versions, and neither negated where the other is not.
    /// "use X" vs "do not use X", "pin 1.26" vs "pin 1.27" are different facts.
    public static func nearDuplicate(_ a: String, _ b: String) -> Bool {
        let x = signature(a)
        let y = signature(b)
        guard x.numbers == y.numbers, x.negated == y.negated, !x.words.isEmpty, !y.words.isEmpty else {
            return false
        }
        let shared = x.words.intersection(y.words).count
        let union = x.words.union(y.words).count
        return Double(shared) / Double(union) >= 0.8
    }
}

extension MemoryText {
    /// Why two memories may contradict each other, or nil: the same subject (at least two topic
    /// words in common, and half of the shorter one's) said with different numbers or versions,
    /// or negated in one and not the other. "pin boto3 1.26" against "pin boto3 1.28", "deploy
    /// on Fridays" against "never deploy on Fridays". A person decides (`memories --review`).
    public static func contradiction(_ a: String, _ b: String) -> String? {
        let x = signature(a)
        let y = signature(b)
        // Numbers and versions (`16`, `1.26.x`, `v2`), not names with a digit (`boto3`, `s3`).
        func numeric(_ s: Set<String>) -> Set<String> {
            s.filter { t in
                t.first?.isNumber == true || (t.first == "v" && t.dropFirst().first?.isNumber == true)
            }
        }
        let numbersX = numeric(x.numbers)
        let numbersY = numeric(y.numbers)
        let topicX = x.words.subtracting(numbersX)
        let topicY = y.words.subtracting(numbersY)
        let shared = topicX.intersection(topicY)
        guard shared.count >= 2, Double(shared.count) >= 0.5 * Double(min(topicX.count, topicY.count)) else {
            return nil
        }
        if x.negated != y.negated { return "one says not (\(shared.sorted().prefix(4).joined(separator: ", ")))" }
        if !numbersX.isEmpty, !numbersY.isEmpty, numbersX != numbersY {
            let onlyX = numbersX.subtracting(numbersY).sorted().joined(separator: ", ")
            let onlyY = numbersY.subtracting(numbersX).sorted().joined(separator: ", ")
            return "\(onlyX) against \(onlyY) (\(shared.sorted().prefix(4).joined(separator: ", ")))"
        }
        return nil
    }

    /// The files a memory's text names: `/`-joined terms whose last part has an extension
    /// (`src/db/query.ts`, `test/globalTeardown.ts`), not URLs or globs.
    public static func namedFiles(_ text: String) -> [String] {
        var out: [String] = []
        for raw in text.split(whereSeparator: { $0.isWhitespace || "`'\"(),;".contains($0) }) {
            var token = Substring(raw)
            while let l = token.last, ".:!?".contains(l) { token = token.dropLast() }
            guard token.contains("/"), !token.contains("://"), !token.contains("*"), !token.hasPrefix("/"),
                let last = token.split(separator: "/").last, let dot = last.lastIndex(of: "."),
                dot != last.startIndex, last[last.index(after: dot)...].allSatisfy({ $0.isLetter || $0.isNumber }),
                !last[last.index(after: dot)...].isEmpty
            else { continue }
            let path = String(token.hasPrefix("./") ? token.dropFirst(2) : token)
            if !out.contains(path) { out.append(path) }
        }
        return out
    }

    /// The code identifiers a memory's text names that should be found in the repository's
    /// files: command-line flags (`--max-retries`), environment-style names (`DATABASE_URL`) and
    /// identifiers in backticks with an underscore, inner capitals or a call (`redact()`,
    /// `test_checkout_total`, `useEffect`).
    public static func namedIdentifiers(_ text: String) -> [String] {
        var out: [String] = []
        func add(_ s: Substring) {
            let v = String(s)
            if v.count >= 3, !out.contains(v) { out.append(v) }
        }
        let words = text.split(whereSeparator: { $0.isWhitespace || "`'\"(),;=".contains($0) })
        for w in words {
            var token = Substring(w)
            while let l = token.last, ".:!?".contains(l) { token = token.dropLast() }
            if token.hasPrefix("--"), token.count > 3,
                token.dropFirst(2).allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
                token.dropFirst(2).first?.isLetter == true
            {
                add(token)
            } else if token.contains("_"), token.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }),
                token.first?.isLetter == true, token.filter(\.isLetter).count >= 3
            {
                add(token)
            }
        }
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() where i % 2 == 1 && i < parts.count - 1 {
            var code = Substring(part)
            if code.hasSuffix("()") { code = code.dropLast(2) }
            guard !code.isEmpty, code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                code.first?.isLetter == true || code.first == "_"
            else { continue }
            let camel = code.dropFirst().contains(where: \.isUppercase) && code.contains(where: \.isLowercase)
            if code.contains("_") || camel || part.hasSuffix("()") { add(code) }
        }
        return out
    }
}
