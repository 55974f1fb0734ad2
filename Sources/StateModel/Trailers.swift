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

    /// `message` with a `Codex-Task: <id>` trailer for each id not already named, added to the
    /// trailer block (or as a new last paragraph), above git's `#` comment lines.
    public static func adding(_ ids: [String], to message: String, commentChar: Character = "#") -> String {
        let present = Set(taskIDs(in: message))
        let missing = ids.filter { !present.contains($0) }
        guard !missing.isEmpty else { return message }
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Keep git's comment block (and the blank lines around it) at the end.
        var tail: [String] = []
        while let last = lines.last, last.hasPrefix(String(commentChar)) || last.isEmpty {
            tail.insert(lines.removeLast(), at: 0)
        }
        if tail.first.map({ !$0.isEmpty }) == true { tail.insert("", at: 0) }
        let body = lines
        let newLines = missing.map { "\(key): \($0)" }
        var out: [String]
        if body.isEmpty {
            out = [""] + newLines  // an empty message: leave the subject line for the user
        } else if let last = body.last, isTrailerLine(last), endsWithTrailerBlock(body) {
            out = body + newLines
        } else {
            out = body + [""] + newLines
        }
        return (out + (tail.isEmpty ? [""] : tail)).joined(separator: "\n")
    }

    static func isTrailerLine(_ line: String) -> Bool {
        guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return false }
        let key = line[..<colon]
        return key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
    }

    /// The last paragraph is all trailers, and is not the subject line.
    static func endsWithTrailerBlock(_ lines: [String]) -> Bool {
        guard let blank = lines.lastIndex(where: { $0.trimmingCharacters(in: " \t").isEmpty }) else { return false }
        let block = lines[(blank + 1)...]
        return !block.isEmpty && block.allSatisfy(isTrailerLine)
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
        var changed: [String] = []
        for (id, var t) in tasks {
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
                tasks[id] = t
                changed.append(id)
            }
        }
        return changed.sorted()
    }
}
