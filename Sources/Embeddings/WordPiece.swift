import Foundation

/// BERT's tokenizer as Hugging Face's `tokenizers` runs it from a `tokenizer.json`: the special
/// tokens split off first (matched on the raw text), then the BERT normaliser (control characters
/// dropped and whitespace made a space, CJK ideographs spaced, accents stripped, lower-cased), the
/// BERT pre-tokeniser (split on whitespace, every punctuation character a word of its own), then
/// WordPiece (greedy longest match, `##` continuations, a word that cannot be spelt or is longer
/// than `maxInputCharsPerWord` is one `[UNK]`), and `[CLS] … [SEP]` around the result, truncated
/// to `maxLength` tokens in all.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let unknownID: Int32
    public let clsID: Int32
    public let sepID: Int32
    public let maxLength: Int
    let continuingPrefix: String
    let maxInputCharsPerWord: Int
    let lowercase: Bool
    let stripAccents: Bool
    let handleChineseChars: Bool
    let cleanText: Bool
    /// Added special tokens matched on the raw text (`[CLS]`, `[MASK]`, …) and their ids.
    let specials: [(text: String, id: Int32)]

    /// Reads `tokenizer.json` (a `WordPiece` model with a `BertNormalizer`); `maxLength` is the
    /// number of tokens the model takes, special tokens included.
    public init(tokenizerJSON data: Data, path: String, maxLength: Int) throws(EmbeddingError) {
        // The vocabulary is read by a scanner of its own (most of the file); the rest, small, by
        // Foundation. A file the scanner does not take is read whole by Foundation.
        let split = VocabularyReader.split(data)
        guard let root = try? JSONSerialization.jsonObject(with: split?.rest ?? data) as? [String: Any] else {
            throw .badFile(path: path, reason: "not a JSON object")
        }
        guard let model = root["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Any] else {
            throw .badFile(path: path, reason: "no model.vocab")
        }
        let type = model["type"] as? String ?? "WordPiece"
        guard type == "WordPiece" else { throw .unsupported(path: path, reason: "tokenizer model \(type)") }
        var ids: [String: Int32] = split?.vocabulary ?? [:]
        if split == nil {
            ids.reserveCapacity(vocab.count)
            for (token, value) in vocab {
                guard let n = (value as? NSNumber)?.int32Value else {
                    throw .badFile(path: path, reason: "vocabulary entry '\(token)' is not a number")
                }
                ids[token] = n
            }
        }
        vocabulary = ids
        let unk = model["unk_token"] as? String ?? "[UNK]"
        guard let unkID = ids[unk] else {
            throw .badFile(path: path, reason: "the unknown token \(unk) is not in the vocabulary")
        }
        unknownID = unkID
        continuingPrefix = model["continuing_subword_prefix"] as? String ?? "##"
        maxInputCharsPerWord = (model["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100
        let normalizer = root["normalizer"] as? [String: Any]
        if let n = normalizer, let t = n["type"] as? String, t != "BertNormalizer" {
            throw .unsupported(path: path, reason: "normalizer \(t) (BertNormalizer expected)")
        }
        cleanText = normalizer?["clean_text"] as? Bool ?? true
        handleChineseChars = normalizer?["handle_chinese_chars"] as? Bool ?? true
        lowercase = normalizer?["lowercase"] as? Bool ?? true
        stripAccents = normalizer?["strip_accents"] as? Bool ?? lowercase
        if let pre = root["pre_tokenizer"] as? [String: Any], let t = pre["type"] as? String, t != "BertPreTokenizer" {
            throw .unsupported(path: path, reason: "pre-tokenizer \(t) (BertPreTokenizer expected)")
        }
        func special(_ name: String) throws(EmbeddingError) -> Int32 {
            if let post = root["post_processor"] as? [String: Any],
                let table = post["special_tokens"] as? [String: Any],
                let entry = table[name] as? [String: Any], let list = entry["ids"] as? [NSNumber], list.count == 1
            {
                return list[0].int32Value
            }
            guard let id = ids[name] else { throw .badFile(path: path, reason: "no \(name) token") }
            return id
        }
        clsID = try special("[CLS]")
        sepID = try special("[SEP]")
        var specials: [(String, Int32)] = []
        for case let t as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            if let content = t["content"] as? String, !content.isEmpty, let id = (t["id"] as? NSNumber)?.int32Value,
                t["special"] as? Bool == true
            {
                specials.append((content, id))
            }
        }
        // Longest first, so a special token that contains another wins.
        self.specials = specials.sorted { $0.0.count > $1.0.count }
        guard maxLength >= 2 else { throw .badFile(path: path, reason: "a maximum length of \(maxLength) tokens") }
        self.maxLength = maxLength
    }

    /// The ids the model reads for `text`: `[CLS]`, the word pieces (cut to fit), `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var pieces: [Int32] = []
        let room = maxLength - 2
        for segment in splitSpecials(text) {
            switch segment {
            case .special(let id):
                pieces.append(id)
            case .text(let raw):
                for word in preTokenize(normalize(raw)) {
                    wordPiece(word, into: &pieces)
                    if pieces.count >= room { break }
                }
            }
            if pieces.count >= room { break }
        }
        if pieces.count > room { pieces.removeLast(pieces.count - room) }
        return [clsID] + pieces + [sepID]
    }

    enum Segment {
        case text(Substring)
        case special(Int32)
    }

    /// The text around the special tokens it contains, and those tokens.
    func splitSpecials(_ text: String) -> [Segment] {
        guard !specials.isEmpty, text.contains("[") || specials.contains(where: { !$0.text.hasPrefix("[") }) else {
            return [.text(Substring(text))]
        }
        var out: [Segment] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var best: (range: Range<Substring.Index>, id: Int32)?
            for s in specials {
                if let r = rest.range(of: s.text), best.map({ r.lowerBound < $0.range.lowerBound }) ?? true {
                    best = (r, s.id)
                }
            }
            guard let found = best else {
                out.append(.text(rest))
                break
            }
            if found.range.lowerBound > rest.startIndex { out.append(.text(rest[..<found.range.lowerBound])) }
            out.append(.special(found.id))
            rest = rest[found.range.upperBound...]
        }
        return out
    }

    // MARK: - Normaliser

    /// The BERT normaliser, character by character as `tokenizers` does it.
    func normalize(_ text: Substring) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for c in text.unicodeScalars {
            if cleanText {
                if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { continue }
                if Self.isWhitespace(c) {
                    out.append(" ")
                    continue
                }
            }
            if handleChineseChars, Self.isChinese(c) {
                out.append(" ")
                out.append(c)
                out.append(" ")
            } else {
                out.append(c)
            }
        }
        if stripAccents {
            var stripped: [Unicode.Scalar] = []
            stripped.reserveCapacity(out.count)
            for c in out {
                if c.isASCII {
                    stripped.append(c)
                    continue
                }
                for d in String(c).decomposedStringWithCanonicalMapping.unicodeScalars
                where d.properties.generalCategory != .nonspacingMark {
                    stripped.append(d)
                }
            }
            out = stripped
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(out.count)
            for c in out {
                if c.isASCII {
                    lowered.append(c.value >= 65 && c.value <= 90 ? Unicode.Scalar(c.value + 32) ?? c : c)
                } else {
                    lowered.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
                }
            }
            out = lowered
        }
        return out
    }

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
    }

    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isChinese(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            let v = c.value
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    // MARK: - Pre-tokeniser and WordPiece

    /// Words: runs of characters between whitespace, each punctuation character on its own.
    func preTokenize(_ scalars: [Unicode.Scalar]) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)) }
            current = String.UnicodeScalarView()
        }
        for c in scalars {
            if Self.isWhitespace(c) {
                flush()
            } else if Self.isPunctuation(c) {
                flush()
                words.append(String(c))
            } else {
                current.append(c)
            }
        }
        flush()
        return words
    }

    /// Greedy longest-match-first over the word's characters; a word that cannot be spelt from
    /// the vocabulary, or is too long, is `[UNK]`.
    func wordPiece(_ word: String, into out: inout [Int32]) {
        if let whole = vocabulary[word] {
            out.append(whole)
            return
        }
        let chars = Array(word.unicodeScalars)
        guard chars.count <= maxInputCharsPerWord else {
            out.append(unknownID)
            return
        }
        var pieces: [Int32] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: Int32?
            while start < end {
                var piece = String.UnicodeScalarView(chars[start..<end])
                if start > 0 { piece.insert(contentsOf: continuingPrefix.unicodeScalars, at: piece.startIndex) }
                if let id = vocabulary[String(piece)] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                out.append(unknownID)
                return
            }
            pieces.append(id)
            start = end
        }
        out.append(contentsOf: pieces)
    }
}
