import Foundation

/// The BERT encoder of a sentence-transformers model: token, position and type embeddings with a
/// LayerNorm, then `layers` encoder layers (multi-head self-attention and a GELU feed-forward,
/// each followed by a residual LayerNorm). Weights stay in the memory-mapped safetensors file.
///
/// A batch is packed, not padded: the tokens of every text are rows of one matrix, so each
/// linear layer is one matrix product over all of them, and only attention works text by text
/// (no text attends to another, so no mask is needed and no work is spent on padding).
final class BertModel: @unchecked Sendable {
    struct Config: Sendable {
        var hidden: Int
        var heads: Int
        var layers: Int
        var intermediate: Int
        var eps: Float
        var maxPositions: Int
        var vocabulary: Int
        var typeVocabulary: Int
    }

    struct Layer {
        var query, queryBias, key, keyBias, value, valueBias: UnsafeBufferPointer<Float>
        var attentionOut, attentionOutBias, attentionNorm, attentionNormBias: UnsafeBufferPointer<Float>
        var up, upBias, down, downBias, outputNorm, outputNormBias: UnsafeBufferPointer<Float>
    }

    let config: Config
    let blas: BLAS
    let weights: SafeTensors
    let wordEmbeddings, positionEmbeddings, typeEmbeddings, embeddingNorm, embeddingNormBias: UnsafeBufferPointer<Float>
    let encoder: [Layer]

    init(configJSON: Data, configPath: String, weights: SafeTensors, blas: BLAS) throws(EmbeddingError) {
        guard let c = try? JSONSerialization.jsonObject(with: configJSON) as? [String: Any] else {
            throw .badFile(path: configPath, reason: "not a JSON object")
        }
        func int(_ key: String, _ fallback: Int? = nil) throws(EmbeddingError) -> Int {
            if let v = (c[key] as? NSNumber)?.intValue, v > 0 { return v }
            if let fallback { return fallback }
            throw .badFile(path: configPath, reason: "no positive \(key)")
        }
        if let type = c["model_type"] as? String, type != "bert" {
            throw .unsupported(path: configPath, reason: "model_type \(type) (a BERT model is expected)")
        }
        if let act = c["hidden_act"] as? String, act != "gelu" {
            throw .unsupported(path: configPath, reason: "hidden_act \(act) (gelu is expected)")
        }
        if let pos = c["position_embedding_type"] as? String, pos != "absolute" {
            throw .unsupported(path: configPath, reason: "position_embedding_type \(pos)")
        }
        let config = Config(
            hidden: try int("hidden_size"), heads: try int("num_attention_heads"), layers: try int("num_hidden_layers"),
            intermediate: try int("intermediate_size"), eps: (c["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12,
            maxPositions: try int("max_position_embeddings"), vocabulary: try int("vocab_size"),
            typeVocabulary: try int("type_vocab_size", 2))
        guard config.hidden % config.heads == 0 else {
            throw .badFile(
                path: configPath, reason: "hidden_size \(config.hidden) is not a multiple of \(config.heads) heads")
        }
        self.config = config
        self.blas = blas
        self.weights = weights
        let prefix = weights.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        let h = config.hidden
        func t(_ name: String, _ shape: [Int]) throws(EmbeddingError) -> UnsafeBufferPointer<Float> {
            try weights.floats(prefix + name, shape: shape)
        }
        wordEmbeddings = try t("embeddings.word_embeddings.weight", [config.vocabulary, h])
        positionEmbeddings = try t("embeddings.position_embeddings.weight", [config.maxPositions, h])
        typeEmbeddings = try t("embeddings.token_type_embeddings.weight", [config.typeVocabulary, h])
        embeddingNorm = try t("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try t("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for i in 0..<config.layers {
            let l = "encoder.layer.\(i)."
            let n = config.intermediate
            layers.append(
                Layer(
                    query: try t(l + "attention.self.query.weight", [h, h]),
                    queryBias: try t(l + "attention.self.query.bias", [h]),
                    key: try t(l + "attention.self.key.weight", [h, h]),
                    keyBias: try t(l + "attention.self.key.bias", [h]),
                    value: try t(l + "attention.self.value.weight", [h, h]),
                    valueBias: try t(l + "attention.self.value.bias", [h]),
                    attentionOut: try t(l + "attention.output.dense.weight", [h, h]),
                    attentionOutBias: try t(l + "attention.output.dense.bias", [h]),
                    attentionNorm: try t(l + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBias: try t(l + "attention.output.LayerNorm.bias", [h]),
                    up: try t(l + "intermediate.dense.weight", [n, h]),
                    upBias: try t(l + "intermediate.dense.bias", [n]),
                    down: try t(l + "output.dense.weight", [h, n]), downBias: try t(l + "output.dense.bias", [h]),
                    outputNorm: try t(l + "output.LayerNorm.weight", [h]),
                    outputNormBias: try t(l + "output.LayerNorm.bias", [h])))
        }
        encoder = layers
        // The encoder's weights are read whole by every forward pass: mapped in one call.
        let ranges = weights.entries.filter { $0.key.hasPrefix(prefix + "encoder.") }.map(\.value.range)
        if let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() {
            weights.file.populate(low..<high)
        }
    }

    /// One mean-pooled, L2-normalised vector per sequence of token ids.
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let h = config.hidden
        let lengths = sequences.map { min($0.count, config.maxPositions) }
        let n = lengths.reduce(0, +)
        guard n > 0 else { return sequences.map { _ in [Float](repeating: 0, count: h) } }
        var x = [Float](repeating: 0, count: n * h)
        var q = [Float](repeating: 0, count: n * h)
        var k = [Float](repeating: 0, count: n * h)
        var v = [Float](repeating: 0, count: n * h)
        var context = [Float](repeating: 0, count: n * h)
        var wide = [Float](repeating: 0, count: n * config.intermediate)
        let longest = lengths.max() ?? 0
        var scores = [Float](repeating: 0, count: longest * longest)
        // Embeddings.
        x.withUnsafeMutableBufferPointer { x in
            guard let out = x.baseAddress, let words = wordEmbeddings.baseAddress,
                let positions = positionEmbeddings.baseAddress, let types = typeEmbeddings.baseAddress
            else { return }
            var row = 0
            for (s, ids) in sequences.enumerated() {
                for p in 0..<lengths[s] {
                    let id = Int(ids[p])
                    let word = words + (id >= 0 && id < config.vocabulary ? id : 0) * h
                    let position = positions + p * h
                    let target = out + row * h
                    for j in 0..<h { target[j] = word[j] + position[j] + types[j] }
                    row += 1
                }
            }
            Self.layerNorm(x, rows: n, width: h, weight: embeddingNorm, bias: embeddingNormBias, eps: config.eps)
        }
        for layer in encoder {
            linear(x, rows: n, weight: layer.query, bias: layer.queryBias, out: &q, width: h)
            linear(x, rows: n, weight: layer.key, bias: layer.keyBias, out: &k, width: h)
            linear(x, rows: n, weight: layer.value, bias: layer.valueBias, out: &v, width: h)
            attention(q: q, k: k, v: v, lengths: lengths, scores: &scores, context: &context)
            // x = LayerNorm(x + context · Woᵀ + bo): the product accumulates onto the residual.
            x.withUnsafeMutableBufferPointer { x in
                Self.addBias(x, rows: n, bias: layer.attentionOutBias)
                context.withUnsafeBufferPointer { c in
                    blas.multiplyTransposed(
                        m: n, n: h, k: h, a: base(c), lda: h, b: base(layer.attentionOut), ldb: h, accumulate: true,
                        c: mutableBase(x), ldc: h)
                }
                Self.layerNorm(
                    x, rows: n, width: h, weight: layer.attentionNorm, bias: layer.attentionNormBias, eps: config.eps)
            }
            linear(x, rows: n, weight: layer.up, bias: layer.upBias, out: &wide, width: config.intermediate)
            wide.withUnsafeMutableBufferPointer { Self.gelu($0) }
            x.withUnsafeMutableBufferPointer { x in
                Self.addBias(x, rows: n, bias: layer.downBias)
                wide.withUnsafeBufferPointer { w in
                    blas.multiplyTransposed(
                        m: n, n: h, k: config.intermediate, a: base(w), lda: config.intermediate,
                        b: base(layer.down), ldb: config.intermediate, accumulate: true, c: mutableBase(x), ldc: h)
                }
                Self.layerNorm(
                    x, rows: n, width: h, weight: layer.outputNorm, bias: layer.outputNormBias, eps: config.eps)
            }
        }
        // Mean pooling over every token of a text ([CLS] and [SEP] included, as
        // sentence-transformers does with a mask of ones), then L2 normalisation.
        var out: [[Float]] = []
        var row = 0
        for length in lengths {
            var sum = [Double](repeating: 0, count: h)
            for r in row..<(row + length) {
                for j in 0..<h { sum[j] += Double(x[r * h + j]) }
            }
            row += length
            let mean = sum.map { $0 / Double(max(length, 1)) }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            out.append(mean.map { Float(norm > 0 ? $0 / norm : 0) })
        }
        return out
    }

    /// out = x · Wᵀ + b for every row (`width` outputs per row).
    private func linear(
        _ x: [Float], rows: Int, weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>,
        out: inout [Float], width: Int
    ) {
        let h = config.hidden
        out.withUnsafeMutableBufferPointer { o in
            if let base = o.baseAddress, let b = bias.baseAddress {
                for r in 0..<rows { (base + r * width).update(from: b, count: width) }
            }
            x.withUnsafeBufferPointer { a in
                blas.multiplyTransposed(
                    m: rows, n: width, k: h, a: base(a), lda: h, b: base(weight), ldb: h, accumulate: true,
                    c: mutableBase(o), ldc: width)
            }
        }
    }

    /// Scaled dot-product attention, text by text and head by head, into `context`.
    private func attention(
        q: [Float], k: [Float], v: [Float], lengths: [Int], scores: inout [Float], context: inout [Float]
    ) {
        let h = config.hidden
        let d = h / config.heads
        let scale = 1 / Float(d).squareRoot()
        q.withUnsafeBufferPointer { q in
            k.withUnsafeBufferPointer { k in
                v.withUnsafeBufferPointer { v in
                    scores.withUnsafeMutableBufferPointer { s in
                        context.withUnsafeMutableBufferPointer { c in
                            var row = 0
                            for l in lengths {
                                for head in 0..<config.heads {
                                    let offset = row * h + head * d
                                    blas.multiplyTransposed(
                                        m: l, n: l, k: d, alpha: scale, a: base(q) + offset, lda: h,
                                        b: base(k) + offset,
                                        ldb: h, accumulate: false, c: mutableBase(s), ldc: l)
                                    Self.softmaxRows(s, rows: l, width: l)
                                    blas.multiply(
                                        m: l, n: d, k: l, a: base(UnsafeBufferPointer(s)), lda: l, b: base(v) + offset,
                                        ldb: h, c: mutableBase(c) + offset, ldc: h)
                                }
                                row += l
                            }
                        }
                    }
                }
            }
        }
    }

    // The elementwise steps run over raw rows (no index arithmetic to check), so the compiler
    // vectorises them: with checked indexing they were an eighth of the time of a batch.

    static func addBias(_ x: UnsafeMutableBufferPointer<Float>, rows: Int, bias: UnsafeBufferPointer<Float>) {
        guard let base = x.baseAddress, let b = bias.baseAddress else { return }
        let w = bias.count
        for r in 0..<rows {
            let row = base + r * w
            for j in 0..<w { row[j] += b[j] }
        }
    }

    static func layerNorm(
        _ x: UnsafeMutableBufferPointer<Float>, rows: Int, width: Int, weight: UnsafeBufferPointer<Float>,
        bias: UnsafeBufferPointer<Float>, eps: Float
    ) {
        guard let base = x.baseAddress, let w = weight.baseAddress, let b = bias.baseAddress else { return }
        for r in 0..<rows {
            let row = base + r * width
            var sum: Float = 0
            for j in 0..<width { sum += row[j] }
            let mean = sum / Float(width)
            var squares: Float = 0
            for j in 0..<width {
                let d = row[j] - mean
                squares += d * d
            }
            let inv = 1 / (squares / Float(width) + eps).squareRoot()
            for j in 0..<width { row[j] = (row[j] - mean) * inv * w[j] + b[j] }
        }
    }

    static func softmaxRows(_ s: UnsafeMutableBufferPointer<Float>, rows: Int, width: Int) {
        guard let base = s.baseAddress else { return }
        for r in 0..<rows {
            let row = base + r * width
            var top = -Float.infinity
            for j in 0..<width { top = Swift.max(top, row[j]) }
            var sum: Float = 0
            for j in 0..<width {
                let e = expf(row[j] - top)
                row[j] = e
                sum += e
            }
            let inv = 1 / sum
            for j in 0..<width { row[j] *= inv }
        }
    }

    /// GELU as BERT defines it, x·Φ(x) = x·(1 + erf(x/√2))/2. erf is a rational approximation on
    /// [-4, 4] (outside it erf is ±1 to float precision), odd numerator of degree 13 over even
    /// denominator of degree 8, within 5e-7 of libm's `erff` (EmbeddingsTests); written as a
    /// plain loop the compiler vectorises, where `erff`, called per element, was a fifth of the
    /// time of embedding a batch.
    static func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        guard let p = x.baseAddress else { return }
        for i in 0..<x.count {
            let v = p[i]
            p[i] = 0.5 * v * (1 + erfApproximation(v * 0.707_106_781_186_547_5))
        }
    }

    @inline(__always)
    static func erfApproximation(_ input: Float) -> Float {
        let x = Swift.min(Swift.max(input, -4), 4)
        let x2 = x * x
        var p = x2 * -2.726_142_258_013_06e-10 + 2.770_681_424_959_02e-08
        p = p * x2 + -2.101_024_020_825_08e-06
        p = p * x2 + -5.692_506_394_623_46e-05
        p = p * x2 + -7.349_906_303_268_55e-04
        p = p * x2 + -2.954_599_808_540_25e-03
        p = p * x2 + -1.609_603_332_624_15e-02
        p = p * x
        var q = x2 * -1.456_607_184_649_96e-05 + -2.133_740_552_789_05e-04
        q = q * x2 + -1.682_826_974_382_03e-03
        q = q * x2 + -7.373_329_167_204_68e-03
        q = q * x2 + -1.426_473_905_141_89e-02
        return p / q
    }
}

/// The first element's address of a buffer that is never empty here (every product has at least
/// one row and one column).
@inline(__always)
private func base(_ b: UnsafeBufferPointer<Float>) -> UnsafePointer<Float> {
    b.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Float>.alignment).unsafelyUnwrapped
}

@inline(__always)
private func mutableBase(_ b: UnsafeMutableBufferPointer<Float>) -> UnsafeMutablePointer<Float> {
    b.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Float>.alignment).unsafelyUnwrapped
}
