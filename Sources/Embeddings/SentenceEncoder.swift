import Foundation
import StateModel

/// What recall needs of a sentence-embedding model (docs/memory.md, "Semantic recall").
public protocol SemanticRanker: AnyObject, Sendable {
    /// Identifies the model and its version: the key of the vectors cached in the index.
    var modelID: String { get }
    /// The length of every vector.
    var dimension: Int { get }
    /// One L2-normalised vector per text, all of `dimension` Floats.
    func embed(_ texts: [String]) throws -> [[Float]]
}

/// A sentence-transformers BERT model directory (`model.safetensors`, `tokenizer.json`,
/// `config.json`, and optionally `sentence_bert_config.json`) run in process: WordPiece, the
/// encoder, mean pooling, L2 normalisation. Nothing is read until a model is opened, and the
/// weights are mapped, not read.
public final class SentenceEncoder: SemanticRanker {
    public let directory: String
    public let modelID: String
    public let tokenizer: WordPieceTokenizer
    let model: BertModel

    public var dimension: Int { model.config.hidden }
    /// The BLAS library the products run on.
    public var library: String { model.blas.library }

    /// Texts per forward pass: bounds the working memory (a batch's tokens are rows of one
    /// matrix, with a 4×-wide feed-forward copy).
    static let batchTokens = 4096

    public init(directory: String) throws(EmbeddingError) {
        self.directory = directory
        let blas: BLAS
        switch BLAS.shared {
        case .success(let b): blas = b
        case .failure(let e): throw e
        }
        let configPath = directory + "/config.json"
        let tokenizerPath = directory + "/tokenizer.json"
        let weightsPath = directory + "/model.safetensors"
        let configData = try MappedFile.contents(configPath)
        let tokenizerData = try MappedFile.contents(tokenizerPath)
        let weights = try SafeTensors(path: weightsPath)
        model = try BertModel(configJSON: configData, configPath: configPath, weights: weights, blas: blas)
        let maxLength = min(
            try Self.maxLength(directory: directory, tokenizerJSON: tokenizerData) ?? model.config.maxPositions,
            model.config.maxPositions)
        tokenizer = try WordPieceTokenizer(tokenizerJSON: tokenizerData, path: tokenizerPath, maxLength: maxLength)
        if let largest = tokenizer.vocabulary.values.max(), Int(largest) >= model.config.vocabulary {
            throw .badFile(
                path: tokenizerPath,
                reason: "token id \(largest) is beyond the model's \(model.config.vocabulary) embeddings")
        }
        modelID = Self.identity(
            name: URL(fileURLWithPath: directory).lastPathComponent, config: configData, tokenizer: tokenizerData,
            weights: weights, maxLength: maxLength)
    }

    /// What sentence-transformers truncates at: `sentence_bert_config.json`'s `max_seq_length`,
    /// else the truncation of `tokenizer.json`, else (nil) the model's position count.
    static func maxLength(directory: String, tokenizerJSON: Data) throws(EmbeddingError) -> Int? {
        let stPath = directory + "/sentence_bert_config.json"
        if let data = try? MappedFile.contents(stPath) {
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw .badFile(path: stPath, reason: "not a JSON object")
            }
            if let n = (obj["max_seq_length"] as? NSNumber)?.intValue, n > 0 { return n }
        }
        // Only the truncation entry is needed here; the tokenizer parses the whole file itself.
        if let range = tokenizerJSON.range(of: Data("\"truncation\"".utf8)) {
            let tail = tokenizerJSON[range.upperBound...].prefix(200)
            let text = String(decoding: tail, as: UTF8.self)
            if let m = text.range(of: #"^\s*:\s*\{[^}]*"max_length"\s*:\s*(\d+)"#, options: .regularExpression) {
                let digits = text[m].reversed().prefix { $0.isNumber }.reversed()
                if let n = Int(String(digits)), n > 0 { return n }
            }
        }
        return nil
    }

    /// The model's name and a SHA-256 over its configuration, its tokenizer, the weights' header
    /// and a sample of every tensor's bytes (its first and last 64 bytes): a retrained model with
    /// the same shapes gets another id, and no more than a page per tensor is read to say so.
    static func identity(name: String, config: Data, tokenizer: Data, weights: SafeTensors, maxLength: Int) -> String {
        var material = Data()
        material.append(config)
        material.append(tokenizer)
        material.append(weights.header)
        material.append(Data("max_length=\(maxLength)".utf8))
        for name in weights.entries.keys.sorted() {
            guard let e = weights.entries[name] else { continue }
            let bytes = weights.file.bytes
            let head = e.range.lowerBound..<min(e.range.upperBound, e.range.lowerBound + 64)
            let tail = max(e.range.lowerBound, e.range.upperBound - 64)..<e.range.upperBound
            material.append(Data(bytes[head]))
            material.append(Data(bytes[tail]))
        }
        return name + "@" + SHA256.hex(material).prefix(16)
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(texts.count)
        var batch: [[Int32]] = []
        var tokens = 0
        for text in texts {
            let ids = tokenizer.encode(text)
            if !batch.isEmpty, tokens + ids.count > Self.batchTokens {
                out.append(contentsOf: model.embed(batch))
                batch = []
                tokens = 0
            }
            batch.append(ids)
            tokens += ids.count
        }
        if !batch.isEmpty { out.append(contentsOf: model.embed(batch)) }
        return out
    }
}
