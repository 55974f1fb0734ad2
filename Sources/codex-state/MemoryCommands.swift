import ArgumentParser
import Foundation
import Workspace

/// `remember`, `memories`, `recall`, `forget`: project memory (docs/memory.md).
struct Remember: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remember", abstract: "Remember a decision, constraint or note; prints its id.",
        discussion: """
            The text is stored exactly as given, after secret redaction. Constraints are carried \
            verbatim in every preamble (the last thing a small --budget cuts). A memory recorded on a branch is current there and where it \
            is merged. --private keeps it in this clone only (under the git directory, never committed).
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "The fact, exactly as it should be recalled ('-' reads it from standard input).")
    var text: String
    @Option(help: "decision, constraint or note.") var kind: String
    @Option(help: "Why (the rationale).") var why: String?
    @Option(name: .customLong("task"), help: "A task it concerns (repeatable).") var tasks: [String] = []
    @Option(name: .customLong("path"), help: "A path it concerns (repeatable).") var paths: [String] = []
    @Option(name: .customLong("commit"), help: "A commit it concerns, e.g. the fix (repeatable).")
    var commits: [String] = []
    @Option(name: .customLong("supersedes"), help: "A memory this one replaces (repeatable).")
    var supersedes: [String] = []
    @Flag(name: .customLong("private"), help: "Keep it in this clone only; never committed.") var isPrivate = false

    func validate() throws {
        guard MemoryKind(rawValue: kind) != nil else {
            throw ValidationError("--kind must be decision, constraint or note, not '\(kind)'")
        }
    }

    func run() throws {
        let ws = try common.workspace()
        var text = self.text
        if text == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let read = String(data: data, encoding: .utf8) else {
                throw ModelError.invalidValue(
                    field: "memory text", value: "standard input", reason: "is not valid UTF-8; nothing stored")
            }
            text = read
        }
        let (item, hits) = try ws.remember(
            NewMemory(
                kind: MemoryKind(rawValue: kind) ?? .note, text: text, why: why, tasks: tasks, paths: paths,
                supersedes: supersedes, commits: commits),
            isPrivate: isPrivate, command: common.commandLine)
        Output.warnings(ws)
        let redacted = hits.filter { !$0.allowed }
        if !redacted.isEmpty {
            let rules = Set(redacted.map(\.rule)).sorted().joined(separator: ", ")
            FileHandle.standardError.write(
                Data(
                    ("codex-state: redacted \(redacted.count) secret(s) (\(rules)); to store a fixture verbatim put "
                        + "\(Redaction.allowPragma) on its line\n").utf8))
        }
        if output.json {
            try Output.json(RememberJSON(item, redactions: hits))
        } else {
            Output.line(item.memory.id)
        }
    }
}

struct Memories: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memories", abstract: "List the memories current at HEAD, oldest first.",
        discussion: """
            Current: recorded on a commit HEAD reaches (or private), not superseded, not forgotten. \
            --history adds superseded ones, those recorded on other branches (elsewhere) and tombstones.
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "Only this kind: decision, constraint or note.") var kind: String?
    @Option(help: "Only memories linked to this task.") var task: String?
    @Option(help: "Only memories about this path (or a path under it, or above it).") var path: String?
    @Option(help: "Only memories recorded on this branch.") var branch: String?
    @Flag(help: "Include superseded, other-branch and forgotten memories.") var history = false
    @Flag(
        help:
            "List the current memories that may be stale (a path or identifier gone from HEAD, a contradiction, superseded on another branch), with what to do."
    ) var review = false
    @Option(help: "With --review: confirm this memory still holds as it is (this clone stops reporting it).")
    var confirm: String?

    func validate() throws {
        if let k = kind, MemoryKind(rawValue: k) == nil {
            throw ValidationError("--kind must be decision, constraint or note, not '\(k)'")
        }
        if confirm != nil, !review { throw ValidationError("--confirm goes with --review") }
        if review, kind != nil || task != nil || path != nil || branch != nil || history {
            throw ValidationError("--review takes no filter")
        }
    }

    func run() throws {
        let ws = try common.workspace()
        if review {
            let items = try confirm.map { try ws.confirmMemory($0) } ?? ws.memoryReview()
            Output.warnings(ws)
            if output.json {
                try Output.json(MemoryReviewJSON(items, confirmed: confirm != nil))
                return
            }
            if items.isEmpty {
                Output.line("no memory to review")
                return
            }
            if confirm != nil { Output.line("confirmed (this clone no longer reports them):") }
            for r in items {
                Output.line(r.stale.code.rawValue + "  " + Output.clean(r.message))
                Output.line("   " + MemoryText.line(r.item))
                if let other = r.other { Output.line("   " + MemoryText.line(other)) }
                if confirm == nil {
                    Output.line(
                        "   " + Output.clean(r.fix) + " (codex-state memories --review --confirm \(r.item.memory.id))")
                }
            }
            return
        }
        var filter = MemoryFilter(
            kind: kind.flatMap(MemoryKind.init(rawValue:)), task: task, path: path, branch: branch)
        filter.history = history
        let items = try ws.memories(filter)
        if output.json {
            try Output.json(MemoriesJSON(items))
            return
        }
        if items.isEmpty {
            Output.line(history ? "no memories" : "no current memories (--history shows the rest)")
            return
        }
        for item in items { Output.line(MemoryText.line(item)) }
    }
}

struct Recall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recall", abstract: "Find the memories that answer a question or mention an identifier.",
        discussion: """
            Every word is searched as typed (no query syntax): identifiers such as ADR-016, \
            EADDRINUSE or src/auth/jwt.ts match whole and rank first. With a semantic model \
            (installed by README.md's install command, or named by CODEX_STATE_SEMANTIC_MODEL) \
            results are ranked by meaning as well as by words, so a paraphrase finds the memory; \
            without one, by relevance (bm25) and how much of the query they match. Then status and \
            recency. Each result says which terms matched; --explain says why it ranks where it does.
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "What to look for.") var query: String
    @Option(help: "At most this many results.") var limit = 5
    @Flag(help: "Include superseded and other-branch memories (ranked lower).") var history = false
    @Flag(help: "Say per result what matched, its similarity to the query and its score.") var explain = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let ws = try common.workspace()
        let hits = try ws.recall(query, limit: limit, history: history)
        Output.warnings(ws)
        if output.json {
            try Output.json(RecallJSON(query: query, hits: hits, model: ws.recallModel))
            return
        }
        if explain {
            Output.line("ranked by: " + (ws.recallModel.map { "the semantic model \($0) and words" } ?? "words only"))
        }
        if hits.isEmpty {
            Output.line("no memory matches")
            return
        }
        for (i, h) in hits.enumerated() {
            Output.line("\(i + 1). " + MemoryText.line(h.item))
            let matched = h.matched.isEmpty ? "no term" : h.matched.joined(separator: ", ")
            var why = "   matched: \(matched) (\(h.pass))"
            if let s = h.similarity { why += String(format: ", similarity %.2f", s) }
            Output.line(why)
            guard explain else { continue }
            var parts: [String] = []
            if !h.exact.isEmpty {
                parts.append("exact identifier " + h.exact.joined(separator: ", ") + ": ranked first")
            }
            parts.append(String(format: "lexical %.3f", h.lexical))
            parts.append(String(format: "score %.3f", h.score))
            if h.item.status != .current { parts.append("status \(h.item.status.rawValue)") }
            if !(h.item.memory.why ?? "").isEmpty { parts.append("has a rationale") }
            Output.line("   " + parts.joined(separator: "; "))
        }
    }
}

struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget a memory: its text leaves the state file; a tombstone keeps merges from restoring it.",
        discussion: """
            Git history still holds every commit that contained the memory. To purge it from \
            history, rewrite the history (git filter-repo --replace-text) and force-push, and treat \
            any secret it held as leaked.
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "Memory id or unique prefix.") var id: String

    func run() throws {
        let ws = try common.workspace()
        let item = try ws.forget(id, command: common.commandLine)
        Output.warnings(ws)
        if output.json {
            try Output.json(ForgetJSON(item))
        } else {
            Output.line("forgot \(item.memory.id)")
            Output.line(ForgetJSON.note(item))
        }
    }
}

extension MemoryText {
    /// One memory on one line: id, kind, status when not current, text made terminal-safe.
    static func line(_ item: MemoryItem) -> String {
        let m = item.memory
        var tags = [m.kind.rawValue]
        if item.status != .current { tags.append(item.status.rawValue) }
        if item.isPrivate { tags.append("private") }
        if !item.supersededBy.isEmpty { tags.append("by " + item.supersededBy.joined(separator: ",")) }
        let text = m.isForgotten ? "(forgotten)" : Output.clean(m.text)
        return "\(m.id)  [\(tags.joined(separator: ", "))]  \(text)"
    }
}

struct Undo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Undo one operation of the journal (default: this worktree's latest), as a new operation.",
        discussion: """
            Puts back what the operation changed, field by field, and keeps later changes to \
            other fields. Refuses when a later operation (or a merge, or an edit) changed the same \
            fields. Operation ids are shown by 'codex-state log'. Undoing an undo redoes.
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "Operation id (op-…) or a unique prefix.") var op: String?

    func run() throws {
        let ws = try common.workspace()
        let undone = try ws.undo(op, command: common.commandLine)
        Output.warnings(ws)
        let shape = UndoJSON(undone)
        if output.json {
            try Output.json(shape)
        } else {
            Output.line(
                "undid \(undone.op) (\(Output.clean(undone.command))): \(shape.entities.joined(separator: ", "))")
        }
    }
}

struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Write the Markdown journal page of one day (sessions, tasks, decisions, commits).",
        discussion: """
            Deterministic, from this clone's session records and operation journal; no model. \
            Default: today (UTC) to docs/ai-journal/YYYY-MM-DD.md. Private memories never appear; \
            a memory forgotten since is named, not quoted.
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "The day, YYYY-MM-DD (UTC; default today).") var date: String?
    @Option(help: "Where to write it (default docs/ai-journal/DATE.md in the worktree).") var out: String?
    @Flag(help: "Print the page instead of writing it.") var stdout = false

    func run() throws {
        let ws = try common.workspace()
        let (day, markdown) = try ws.dailyJournal(day: date)
        if stdout {
            if output.json {
                try Output.json(["date": day, "markdown": markdown])
            } else {
                Output.emit(Array(markdown.utf8))
            }
            return
        }
        let path: String
        if let out {
            path = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
        } else {
            path = ws.paths.workdir + "/docs/ai-journal/\(day).md"
        }
        try ws.writeJournalPage(markdown, to: path)
        if output.json {
            try Output.json(["date": day, "path": path])
        } else {
            Output.line(path)
        }
    }
}

struct PrivateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "private-key",
        abstract: "Show or rotate the key that seals this clone's private memories.",
        discussion: """
            Private memories (remember --private) are sealed with AES-256-GCM under a key kept \
            outside the repository: $XDG_CONFIG_HOME/codex-state/private-memory.key (else \
            ~/.config/…), mode 0600, made on first use; or CODEX_STATE_PRIVATE_KEY (keys of 64 hex \
            digits, newest first, for CI). See docs/threat-model.md.
            """,
        subcommands: [Status.self, Rotate.self], defaultSubcommand: Status.self)

    static func show(_ s: PrivateKeyStatus, json: Bool) throws {
        if json {
            try Output.json(PrivateKeyJSON(s))
            return
        }
        Output.line(
            "keys:     "
                + (s.source.map { "\(s.keys.joined(separator: ", ")) (newest first) from \($0)" } ?? "none yet"))
        if let problem = s.keyProblem { Output.line("problem:  " + problem) }
        let state: String
        if let why = s.unreadable {
            state = "unreadable: " + why
        } else if s.inClear {
            state = "\(s.memories ?? 0) memories in clear (written before sealing; `private-key rotate` seals them)"
        } else if let id = s.sealedWith {
            state = "\(s.memories ?? 0) memories sealed with key \(id)"
        } else {
            state = "no private memories yet"
        }
        Output.line("file:     \(s.file)")
        Output.line("          " + state)
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Where the keys come from and what this clone's file is sealed with.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            try PrivateKeyCommand.show(try ws.privateKeyStatus(), json: output.json)
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Make a new key and seal this clone's private memories with it.",
            discussion: """
                The older keys stay in the key file so other clones' files still open; run rotate \
                in each clone, then once with --drop-old. With CODEX_STATE_PRIVATE_KEY, put the new \
                key first in the variable and run rotate to re-seal.
                """)
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Flag(help: "Keep only the new key (files sealed with an older one become unreadable).") var dropOld = false

        func run() throws {
            let ws = try common.workspace()
            let status = try ws.rotatePrivateKey(dropOld: dropOld)
            Output.warnings(ws)
            try PrivateKeyCommand.show(status, json: output.json)
        }
    }
}
