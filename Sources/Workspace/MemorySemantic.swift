import Embeddings
import Foundation
import StateModel
import StateStore

/// Where the semantic model comes from, and whether it could be used: what `recall` says on
/// stderr when it cannot, and what `codex doctor` and `check` report.
public struct SemanticStatus: Sendable, Equatable {
    /// The model's id (name and a hash of its files) once loaded.
    public var modelID: String?
    /// The directory used or looked for.
    public var directory: String?
    /// Who named it: `CODEX_STATE_SEMANTIC_MODEL`, `git config codex-state.semanticModel`, or
    /// `default` (the install locations).
    public var origin: String
    /// Turned off on purpose (`none`): lexical search, nothing to report.
    public var disabled: Bool
    /// Why recall is lexical only (no model installed, or one that cannot be loaded).
    public var problem: String?

    public var summary: String {
        if disabled { return "semantic ranking off (\(origin) = none): lexical search only" }
        if let problem { return "semantic ranking unavailable, lexical search only: \(problem)" }
        return "semantic ranking with \(modelID ?? "?") from \(directory ?? "?") (\(origin))"
    }
}

/// The model a command opened: loaded at most once per command, and kept for the process (the
/// MCP server answers many calls) while its files do not change.
final class SemanticSlot {
    var status: SemanticStatus?
    var ranker: (any SemanticRanker)?
    var warned = false
}

/// Models loaded in this process, by directory and the stamps of their files.
private final class LoadedModels: @unchecked Sendable {
    static let shared = LoadedModels()
    private let lock = NSLock()
    private var models: [String: (stamp: String, ranker: SentenceEncoder)] = [:]

    func open(_ directory: String) throws -> SentenceEncoder {
        let stamp = ["config.json", "tokenizer.json", "model.safetensors", "sentence_bert_config.json"]
            .map { Files.stamp(directory + "/" + $0)?.encoded ?? "-" }.joined(separator: "|")
        lock.lock()
        defer { lock.unlock() }
        if let kept = models[directory], kept.stamp == stamp { return kept.ranker }
        let encoder = try SentenceEncoder(directory: directory)
        models[directory] = (stamp, encoder)
        return encoder
    }
}

extension Workspace {
    /// The name of the default model's directory.
    public static let defaultSemanticModel = "all-MiniLM-L6-v2"

    /// Values of the variable or the git setting that turn semantic ranking off.
    static let semanticOff: Set<String> = ["none", "off", "false", "0", "no"]

    /// Where the default model is looked for, in order: the user's data directory
    /// (`$XDG_DATA_HOME`, else `~/.local/share`), the installation's `share` directory beside the
    /// binary (`/usr/local/bin/codex-state` → `/usr/local/share`), then `/usr/local/share` and
    /// `/usr/share`; each `…/codex-state/models/all-MiniLM-L6-v2`.
    public func defaultSemanticModelDirectories() -> [String] {
        let tail = "/codex-state/models/" + Self.defaultSemanticModel
        var roots: [String] = []
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            roots.append(xdg)
        } else if let home = environment["HOME"], !home.isEmpty {
            roots.append(home + "/.local/share")
        }
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            roots.append(exe.deletingLastPathComponent().deletingLastPathComponent().path + "/share")
        }
        roots += ["/usr/local/share", "/usr/share"]
        var out: [String] = []
        for r in roots where !out.contains(r + tail) { out.append(r + tail) }
        return out
    }

    /// Which model directory this command would use, without loading it.
    func semanticLocation() -> SemanticStatus {
        if let v = environment["CODEX_STATE_SEMANTIC_MODEL"], !v.isEmpty {
            return Self.location(v, origin: "CODEX_STATE_SEMANTIC_MODEL")
        }
        if let v = try? repository.configString("codex-state.semanticModel"), !v.isEmpty {
            return Self.location(v, origin: "git config codex-state.semanticModel")
        }
        let candidates = defaultSemanticModelDirectories()
        if let found = candidates.first(where: { Files.exists($0 + "/model.safetensors") }) {
            return SemanticStatus(modelID: nil, directory: found, origin: "default", disabled: false, problem: nil)
        }
        return SemanticStatus(
            modelID: nil, directory: nil, origin: "default", disabled: false,
            problem:
                "no model installed (looked in \(candidates.joined(separator: ", "))); README.md's install "
                + "command installs \(Self.defaultSemanticModel), or name a sentence-transformers BERT directory "
                + "with CODEX_STATE_SEMANTIC_MODEL")
    }

    static func location(_ value: String, origin: String) -> SemanticStatus {
        if semanticOff.contains(value.lowercased()) {
            return SemanticStatus(modelID: nil, directory: nil, origin: origin, disabled: true, problem: nil)
        }
        var dir = value
        while dir.count > 1, dir.hasSuffix("/") { dir.removeLast() }
        return SemanticStatus(modelID: nil, directory: dir, origin: origin, disabled: false, problem: nil)
    }

    /// The semantic model, loaded on first use by the commands that rank memories (`recall`,
    /// `remember` and the MCP memory tools; nothing else calls this). nil when it is off, absent
    /// or cannot be loaded: the first time, one warning says why and recall stays lexical.
    func semanticRanker(warn: Bool = true) -> (any SemanticRanker)? {
        if let status = semantic.status {
            return status.problem == nil && !status.disabled ? semantic.ranker : nil
        }
        var status = semanticLocation()
        if !status.disabled, status.problem == nil, let dir = status.directory {
            do {
                let encoder = try LoadedModels.shared.open(dir)
                semantic.ranker = encoder
                status.modelID = encoder.modelID
            } catch {
                status.problem = "cannot load the model in \(dir) (\(status.origin)): \(error)"
            }
        }
        semantic.status = status
        if warn, status.problem != nil, !semantic.warned {
            semantic.warned = true
            warnings.append(status.summary)
        }
        return semantic.ranker
    }

    /// The model the last `recall` of this command ranked with (nil: lexical search only).
    public var recallModel: String? { semantic.ranker == nil ? nil : semantic.status?.modelID }

    /// Whether semantic ranking works here, for `codex doctor` and `check`: the model is found
    /// and loaded (its weights mapped, nothing embedded).
    public func semanticStatus() -> SemanticStatus {
        _ = semanticRanker(warn: false)
        return semantic.status ?? semanticLocation()
    }

    // MARK: - Vectors

    /// The vectors of the memories recall may show (committed and private, not forgotten), by
    /// memory id: cached ones from the index, the missing ones embedded now and stored. A private
    /// memory's vector is stored sealed, under a keyed hash of its text (nothing of it can be read
    /// or confirmed without the key). nil when there is no model, or embedding failed (said once).
    func memoryVectors(_ view: MemoryView, ranker: any SemanticRanker) -> [String: [Float]]? {
        var inputs: [String: String] = [:]
        var keyOf: [String: String] = [:]
        var privateKeys: Set<String> = []
        let indexKey = view.keys?.indexKey
        for m in view.evaluation.memories.values where !m.isForgotten {
            let input = MemoryRanking.embeddingInput(text: m.text, why: m.why)
            let key: String
            if view.evaluation.privateIDs.contains(m.id) {
                guard let indexKey else { continue }
                key = "private:" + Identifiers.hex(Crypto.hmac(key: indexKey, Array(input.utf8)))
                privateKeys.insert(key)
            } else {
                key = SHA256.hex(Array(input.utf8))
            }
            keyOf[m.id] = key
            inputs[key] = input
        }
        let wanted = Set(inputs.keys)
        var cached: [String: [Float]] = [:]
        for (key, blob) in (try? view.index?.vectors(model: ranker.modelID, hashes: wanted)) ?? [:] {
            if privateKeys.contains(key) {
                if let v = openVector(blob, keys: view.keys) { cached[key] = v }
            } else {
                cached[key] = Self.floats(blob)
            }
        }
        let missing = wanted.subtracting(cached.keys).sorted()
        if missing.count > 64, view.index?.path ?? ":memory:" == ":memory:" {
            // The index another process holds cannot keep what would be embedded now.
            semanticFailed("the memory index is busy; \(missing.count) memories would be embedded for one query")
            return nil
        }
        if !missing.isEmpty {
            do {
                let made = try ranker.embed(missing.compactMap { inputs[$0] })
                guard made.count == missing.count else { return nil }
                var fresh: [String: Data] = [:]
                for (key, v) in zip(missing, made) {
                    cached[key] = v
                    if privateKeys.contains(key) {
                        if let sealed = sealVector(v, keys: view.keys) { fresh[key] = sealed }
                    } else {
                        fresh[key] = Self.blob(v)
                    }
                }
                try? view.index?.storeVectors(model: ranker.modelID, fresh, keep: wanted)
            } catch {
                semanticFailed("embedding the memories failed: \(error)")
                return nil
            }
        }
        var out: [String: [Float]] = [:]
        for (id, key) in keyOf { out[id] = cached[key] }
        return out
    }

    /// Little-endian Float32s, as every platform this runs on stores them.
    static func blob(_ v: [Float]) -> Data { v.withUnsafeBytes { Data($0) } }

    static func floats(_ data: Data) -> [Float] {
        var out = [Float](repeating: 0, count: data.count / MemoryLayout<Float>.size)
        out.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        return out
    }

    static let vectorAAD = Array("codex-state private vector v1".utf8)

    /// `<key id (8)><nonce (12)><sealed floats>`.
    func sealVector(_ v: [Float], keys: PrivateKeyring?) -> Data? {
        guard let key = keys?.newest, let nonce = try? Crypto.random(Crypto.nonceSize),
            let sealed = try? Crypto.seal(Array(Self.blob(v)), key: key.bytes, nonce: nonce, aad: Self.vectorAAD)
        else { return nil }
        return Data(Array(key.id.utf8) + nonce + sealed)
    }

    func openVector(_ blob: Data, keys: PrivateKeyring?) -> [Float]? {
        let bytes = Array(blob)
        guard bytes.count > 8 + Crypto.nonceSize,
            let key = keys?.key(id: String(decoding: bytes.prefix(8), as: UTF8.self)),
            let plain = Crypto.open(
                Array(bytes.dropFirst(8 + Crypto.nonceSize)), key: key.bytes,
                nonce: Array(bytes[8..<(8 + Crypto.nonceSize)]),
                aad: Self.vectorAAD)
        else { return nil }
        return Self.floats(Data(plain))
    }

    /// A model that loaded but failed to embed: lexical for the rest of the command, said once.
    func semanticFailed(_ problem: String) {
        var status = semantic.status ?? semanticLocation()
        status.problem = problem
        semantic.status = status
        semantic.ranker = nil
        if !semantic.warned {
            semantic.warned = true
            warnings.append(status.summary)
        }
    }
}

extension CodexFinding {
    /// `codex doctor`'s line about recall: semantic with which model, or lexical and why (a note:
    /// Codex runs either way).
    public static func semanticRecall(_ s: SemanticStatus) -> CodexFinding {
        CodexFinding(level: s.problem == nil && !s.disabled ? .ok : .note, subject: "recall", detail: s.summary)
    }
}
