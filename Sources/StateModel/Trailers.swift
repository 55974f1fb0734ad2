/// `Codex-Task: <id>` trailers: how a commit says which task it finishes or advances.
public enum TaskTrailer {
    public static let key = "Codex-Task"

    /// Every task id named by a `Codex-Task:` line anywhere in `message`, in order, without
    /// duplicates.
    ///
    /// Deliberately more lenient than git's trailer parser, which only reads the last paragraph:
    /// `git merge --squash` quotes the squashed commits' messages indented, and hosting services
    /// fold them into bullet lists. A squash commit is recognised by its quoted trailers too.
    public static func taskIDs(in message: String) -> [String] {
        var out: [String] = []
        for raw in message.split(whereSeparator: \.isNewline) {
            var line = Substring(raw)
            while let c = line.first, c == " " || c == "\t" || c == "*" || c == "-" || c == ">" {
                line = line.dropFirst()
            }
            guard line.lowercased().hasPrefix(key.lowercased() + ":") else { continue }
            let value = line.dropFirst(key.count + 1).trimmingCharacters(in: " \t\r")
            for token in value.split(whereSeparator: { $0 == " " || $0 == "," }) {
                let id = String(token).lowercased()
                if id.hasPrefix(EntityKind.task.idPrefix), id.count > 2, !out.contains(id) { out.append(id) }
            }
        }
        return out
    }

    /// `message` with a `Codex-Task: <id>` trailer for each id not already a trailer of it,
    /// placed as `git interpret-trailers` places trailers: in the message's trailer block (its
    /// last paragraph, when every line there is a trailer), else as a new last paragraph — above
    /// git's comment lines (`commentChar`, git's `core.commentChar`) and above the scissors line
    /// `git commit -v` writes, below which git discards everything. A `Codex-Task:` line that is
    /// only quoted (indented, as `git merge --squash` quotes the squashed commits) is not a
    /// trailer, so a squash commit gets real ones.
    public static func adding(_ ids: [String], to message: String, commentChar: Character = "#") -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Everything from the scissors line on is git's, and discarded by it.
        let scissors = "\(commentChar) ------------------------ >8 ------------------------"
        var tail: [String] = []
        if let cut = lines.firstIndex(of: scissors) {
            tail = Array(lines[cut...])
            lines.removeSubrange(cut...)
        }
        // Keep git's comment block (and the blank lines around it) at the end.
        while let last = lines.last, last.hasPrefix(String(commentChar)) || last.isEmpty {
            tail.insert(lines.removeLast(), at: 0)
        }
        let body = lines
        let present = Set(trailerBlock(body).flatMap(idsInTrailer))
        let missing = ids.filter { !present.contains($0) }
        guard !missing.isEmpty else { return message }
        if tail.first.map({ !$0.isEmpty }) == true { tail.insert("", at: 0) }
        let newLines = missing.map { "\(key): \($0)" }
        var out: [String]
        if body.isEmpty {
            // An empty message: leave the subject line (and the blank line below it) to the user.
            out = ["", ""] + newLines
        } else if endsWithTrailerBlock(body) {
            out = body + newLines
        } else {
            out = body + [""] + newLines
        }
        return (out + (tail.isEmpty ? [""] : tail)).joined(separator: "\n")
    }

    /// The lines of the message's trailer block: its last paragraph when all of it is trailers
    /// (or their indented continuation lines), and it is not the subject.
    static func trailerBlock(_ lines: [String]) -> ArraySlice<String> {
        guard endsWithTrailerBlock(lines), let blank = lines.lastIndex(where: \.isBlank) else { return [] }
        return lines[(blank + 1)...]
    }

    /// The task ids of one unindented `Codex-Task:` trailer line.
    static func idsInTrailer(_ line: String) -> [String] {
        guard line.lowercased().hasPrefix(key.lowercased() + ":") else { return [] }
        return taskIDs(in: line)
    }

    static func isTrailerLine(_ line: String) -> Bool {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return false }
        let key = line[..<colon]
        return key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
    }

    /// The last paragraph is all trailers (continuation lines indented), and is not the subject.
    static func endsWithTrailerBlock(_ lines: [String]) -> Bool {
        guard let blank = lines.lastIndex(where: \.isBlank) else { return false }
        let block = lines[(blank + 1)...]
        guard let first = block.first, isTrailerLine(first) else { return false }
        return block.allSatisfy { isTrailerLine($0) || $0.first == " " || $0.first == "\t" }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String { Substring(self).trimmingCharacters(in: set) }
    fileprivate var isBlank: Bool { allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }
}

/// One line of git's post-rewrite input: `<old-sha> <new-sha> [<extra>]`.
public struct Rewrite: Hashable, Sendable, Codable {
    public var old: String
    public var new: String
    public init(old: String, new: String) {
        self.old = old
        self.new = new
    }

    /// Parses post-rewrite input; malformed lines are returned separately, never fatal.
    public static func parse(_ input: String) -> (rewrites: [Rewrite], malformed: [String]) {
        var ok: [Rewrite] = []
        var bad: [String] = []
        for line in input.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, isSHA(parts[0]), isSHA(parts[1]) {
                ok.append(Rewrite(old: parts[0].lowercased(), new: parts[1].lowercased()))
            } else {
                bad.append(String(line))
            }
        }
        return (ok, bad)
    }

    /// A full commit id (40 hex digits).
    public static func isCommitID(_ s: String) -> Bool { isSHA(s) }

    static func isSHA<S: StringProtocol>(_ s: S) -> Bool {
        s.utf8.count == 40
            && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
    }

    /// Follows chains (a→b, b→c gives a→c) so an anchor rewritten twice lands on the newest commit.
    public static func resolve(_ commit: String, in map: [String: String]) -> String? {
        var cur = commit
        var seen: Set<String> = []
        while let next = map[cur], seen.insert(cur).inserted { cur = next }
        return cur == commit ? nil : cur
    }
}

extension ProjectState {
    /// Re-points every anchored commit (completions, starts) through `map`; returns the ids of
    /// the tasks changed.
    @discardableResult
    public mutating func remapAnchors(_ map: [String: String]) -> [String] {
        // Every task of a whole state: setting and reading one cannot fail.
        (try? remapAnchors(map, of: tasks.keys.sorted())) ?? []
    }
}

extension StateRecords {
    /// Re-points the anchored commits (completions, starts) of `ids` through `map`; returns the
    /// ids of the tasks changed.
    @discardableResult
    public mutating func remapAnchors(_ map: [String: String], of ids: [String]) throws -> [String] {
        var changed: [String] = []
        for id in ids {
            guard var t = try task(id) else { continue }
            var touched = false
            if let c = t.completion?.commit, let n = Rewrite.resolve(c, in: map) {
                t.completion?.commit = n
                touched = true
            }
            if let c = t.started?.commit, let n = Rewrite.resolve(c, in: map) {
                t.started?.commit = n
                touched = true
            }
            if touched {
                try setTask(id, t)
                changed.append(id)
            }
        }
        return changed.sorted()
    }
}
