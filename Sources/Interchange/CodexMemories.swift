import StateModel

/// A Codex memories folder (`$CODEX_HOME/memories`, learnt from Codex's memory templates):
/// `memory_summary.md` (sections: user profile, general tips, an index), `MEMORY.md` (the
/// handbook: `# Task Group: …` blocks, or blocks under a `---` header in older folders) and
/// `rollout_summaries/*.md` (one recap per session). Each section, block and recap becomes a
/// note; the folder is only read. The folder is the user's, across projects: blocks that name
/// another working directory (`cwd=…`) and the user profile are left out.
public enum CodexMemories {
    /// One file of the folder: its path relative to the folder, and its bytes.
    public struct File: Sendable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// A note longer than this is split (a memory holds at most ``MemoryRules/maxTextBytes``).
    static let partBytes = 15 * 1024

    /// - Parameter root: the repository's working tree (real path): blocks about other
    ///   directories are skipped.
    public static func read(_ files: [File], folder: String, root: String) throws -> ImportBatch {
        var batch = ImportBatch(format: .codexMemories)
        var problems: [String] = []
        for f in files.sorted(by: { $0.name < $1.name }) {
            let origin = folder + "/" + f.name
            if let bad = ForeignJSON.firstInvalidUTF8(f.bytes[...]) {
                problems.append("\(origin): not valid UTF-8 (byte \(bad + 1))")
                continue
            }
            let text = String(decoding: f.bytes, as: UTF8.self)
            let blocks: [(key: String, text: String)]
            switch f.name {
            case "memory_summary.md": blocks = sections(text, level: "## ")
            case "MEMORY.md": blocks = handbookBlocks(text)
            default:
                guard f.name.hasPrefix("rollout_summaries/"), f.name.hasSuffix(".md") else { continue }
                blocks = [(String(f.name.dropFirst("rollout_summaries/".count).dropLast(3)), text)]
            }
            for (key, body) in blocks {
                let cleaned = clean(body)
                guard !cleaned.trimmed.isEmpty else { continue }
                let source = "codex-memories:\(f.name)#\(key)"
                if f.name == "memory_summary.md", key == "user-profile" {
                    batch.skipped.append(
                        SkippedRecord(origin: origin, source: source, reason: "the user's profile, not project memory"))
                    continue
                }
                let dirs = workingDirectories(cleaned)
                if !dirs.isEmpty, !dirs.contains(where: { $0 == root || $0.hasPrefix(root + "/") }) {
                    batch.skipped.append(
                        SkippedRecord(
                            origin: origin, source: source,
                            reason: "about another directory (cwd=\(dirs.sorted().first ?? ""))"))
                    continue
                }
                let parts = split(cleaned)
                for (i, part) in parts.enumerated() {
                    let suffix = parts.count > 1 ? " (part \(i + 1) of \(parts.count))" : ""
                    batch.memories.append(
                        ImportedMemory(
                            source: parts.count > 1 ? source + "/\(i + 1)" : source, origin: origin,
                            text: "Codex memory, \(f.name)\(suffix):\n" + part))
                }
            }
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return batch
    }

    /// The sections of a Markdown text that start with a heading of `level` (`## `), keyed by
    /// the heading's slug; text before the first heading is its own block (`preamble`).
    static func sections(_ text: String, level: String) -> [(key: String, text: String)] {
        var out: [(String, [Substring])] = []
        var current: (String, [Substring]) = ("preamble", [])
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(level) {
                if !current.1.isEmpty { out.append(current) }
                current = (slug(String(line.dropFirst(level.count))), [line])
            } else {
                current.1.append(line)
            }
        }
        if !current.1.isEmpty { out.append(current) }
        return unique(out.map { ($0.0, $0.1.joined(separator: "\n")) })
    }

    /// MEMORY.md's blocks: `# Task Group:` headings when it has them, else blocks that open
    /// with a `---` header, else its top-level headings.
    static func handbookBlocks(_ text: String) -> [(key: String, text: String)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.contains(where: { $0.hasPrefix("# Task Group:") }) {
            var out: [(String, [Substring])] = []
            var current: (String, [Substring]) = ("preamble", [])
            for line in lines {
                if line.hasPrefix("# Task Group:") {
                    if !current.1.isEmpty { out.append(current) }
                    current = (slug(String(line.dropFirst("# Task Group:".count))), [line])
                } else {
                    current.1.append(line)
                }
            }
            if !current.1.isEmpty { out.append(current) }
            return unique(out.map { ($0.0, $0.1.joined(separator: "\n")) })
        }
        if lines.first?.trimmed == "---" {
            // `---` header (rollout_summary_files, description, keywords) `---`, then the body,
            // then the next header: the segments between `---` lines alternate header, body.
            var segments: [[Substring]] = [[]]
            for line in lines {
                if line.trimmed == "---" { segments.append([]) } else { segments[segments.count - 1].append(line) }
            }
            var out: [(String, String)] = []
            var i = 1
            while i < segments.count {
                let header = segments[i]
                let body = i + 1 < segments.count ? segments[i + 1] : []
                let description = header.first { $0.hasPrefix("description:") }
                let key = description.map { slug(String($0.dropFirst("description:".count))) } ?? "block"
                out.append((key, (["---"] + header + ["---"] + body).joined(separator: "\n")))
                i += 2
            }
            return unique(out)
        }
        return sections(text, level: "# ")
    }

    /// Keys made unique in order (`tips`, `tips-2`).
    static func unique(_ blocks: [(String, String)]) -> [(key: String, text: String)] {
        var seen: [String: Int] = [:]
        return blocks.map { key, text in
            seen[key, default: 0] += 1
            let n = seen[key] ?? 1
            return (n == 1 ? key : "\(key)-\(n)", text)
        }
    }

    static func slug(_ s: String) -> String {
        var out = ""
        var dash = false
        for ch in s.lowercased().unicodeScalars {
            if (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") {
                if dash && !out.isEmpty { out += "-" }
                dash = false
                out.unicodeScalars.append(ch)
            } else {
                dash = true
            }
            if out.count >= 60 { break }
        }
        return out.isEmpty ? "block" : out
    }

    /// Paths named as `cwd=/path` or `cwd: /path` in a block.
    static func workingDirectories(_ text: String) -> Set<String> {
        var out = Set<String>()
        for line in text.split(separator: "\n") {
            var rest = Substring(line)
            while let r = rest.range(of: "cwd") {
                rest = rest[r.upperBound...]
                var value = rest.drop { $0 == " " || $0 == "=" || $0 == ":" }
                guard value.first == "/" || value.first == "~" else { continue }
                value = value.prefix { !$0.isWhitespace && $0 != "," && $0 != ")" && $0 != ";" && $0 != "`" }
                var path = String(value)
                while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
                out.insert(path)
            }
        }
        return out
    }

    /// Text a memory may hold: controls other than tab and line breaks dropped.
    static func clean(_ s: String) -> String {
        String(
            String.UnicodeScalarView(
                s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" || $0 == "\r" }.filter {
                    $0.value != 0x7F
                }))
    }

    /// Parts of at most ``partBytes``, cut at line ends where there are any.
    static func split(_ text: String) -> [String] {
        guard text.utf8.count > partBytes else { return [text] }
        var parts: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var piece = String(line)
            while piece.utf8.count > partBytes {
                if !current.isEmpty {
                    parts.append(current)
                    current = ""
                }
                var head = ""
                for ch in piece {
                    if head.utf8.count + ch.utf8.count > partBytes { break }
                    head.append(ch)
                }
                parts.append(head)
                piece = String(piece.dropFirst(head.count))
            }
            if current.utf8.count + piece.utf8.count + 1 > partBytes {
                parts.append(current)
                current = ""
            }
            current += current.isEmpty ? piece : "\n" + piece
        }
        if !current.trimmed.isEmpty { parts.append(current) }
        return parts.filter { !$0.trimmed.isEmpty }
    }
}
