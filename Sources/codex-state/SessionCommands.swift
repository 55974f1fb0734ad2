import ArgumentParser
import Foundation
import Workspace

struct SessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Start, end, list and show work sessions (per-branch snapshots).",
        discussion: """
            An open session belongs to this worktree and is never committed. Ending it writes one \
            immutable file to .codex-state/sessions/ with the tasks, commits and files it touched; \
            commit that folder with the code. Formats: docs/sessions.md.
            """,
        subcommands: [Start.self, End.self, List.self, Show.self]
    )

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Open a session on the current branch and HEAD.",
            discussion: """
                A session the checkout hook opened is closed first (and dropped if it saw \
                nothing). One started by hand must be ended first, or replaced with --replace.
                """)
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "What the session is for (session end --summary replaces it).") var summary: String?
        @Option(help: "Who opened it: cli, or a tool's tag such as a Codex thread id.") var source: String = "cli"
        @Flag(help: "End the open session first, as 'session end' would.") var replace = false

        func validate() throws {
            try requireText(summary, "--summary")
            try requireText(source, "--source")
            if source.contains(where: \.isNewline) { throw ValidationError("--source must be one line") }
        }

        func run() throws {
            let ws = try common.workspace()
            let r = try ws.startSession(summary: summary, source: source, replace: replace, command: common.commandLine)
            printWarnings(r.warnings)
            Output.warnings(ws)
            if output.json {
                try Output.json(StartJSON(session: OpenSessionJSON(r.session), closed: r.closed.map(ClosedJSON.init)))
                return
            }
            if let closed = r.closed { Output.line(closedLine(closed)) }
            let s = r.session
            Output.line(
                "Started session \(s.id) on \(s.branch ?? "detached HEAD")\(s.headStart.map { " at " + $0.prefix(7) } ?? "")"
            )
        }
    }

    struct End: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "end", abstract: "End the open session and write its file; prints the file's path.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "What happened (replaces the summary given at start).") var summary: String?
        @Option(name: .customLong("follow-up"), help: "Something left to do (repeatable).") var followUps: [String] = []
        @Option(name: .customLong("decision"), help: "A decision taken (repeatable).") var decisions: [String] = []

        func validate() throws {
            try requireText(summary, "--summary")
            for f in followUps { try requireText(f, "--follow-up") }
            for d in decisions { try requireText(d, "--decision") }
        }

        func run() throws {
            let ws = try common.workspace()
            let r = try ws.endSession(
                summary: summary, decisions: decisions, followUps: followUps, command: common.commandLine)
            printWarnings(r.warnings)
            Output.warnings(ws)
            if output.json {
                try Output.json(EntryJSON(r.entry))
                return
            }
            Output.line(r.entry.file)
            Output.line("  " + counts(r.entry.record))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List ended sessions, newest first; the open one is marked with '*'.",
            discussion: "Without --branch or --all: sessions of the current branch. --branch HEAD: detached HEAD.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Option(help: "Only sessions that started on this branch.") var branch: String?
        @Flag(help: "Sessions of every branch.") var all = false
        @Option(name: .short, help: "How many sessions to show.") var n: Int = 20

        func validate() throws {
            guard n >= 1 else { throw ValidationError("-n must be at least 1") }
            if all, branch != nil { throw ValidationError("--all and --branch exclude each other") }
        }

        func run() throws {
            let ws = try common.workspace()
            let filter: SessionFilter
            if all {
                filter = .all
            } else if let b = branch {
                filter = .branch(b == "HEAD" ? nil : b)
            } else {
                filter = .branch(try ws.headRef().branch)
            }
            let list = try ws.sessions(filter, limit: n)
            printWarnings(list.skipped.map { "warning: skipped \($0)" })
            if output.json {
                try Output.json(
                    ListJSON(open: list.open.map(OpenSessionJSON.init), sessions: list.entries.map(ListItemJSON.init)))
                return
            }
            if let o = list.open {
                Output.line(
                    "* \(o.id)  open since \(o.started)  \(o.branch ?? "detached")  (\(Output.clean(o.source)))\(o.summary.map { "  " + Output.clean($0) } ?? "")"
                )
            }
            if list.entries.isEmpty {
                let scope: String
                switch filter {
                case .all: scope = ""
                case .branch(let b): scope = " on \(b ?? "detached HEAD")"
                }
                Output.line("No ended sessions\(scope).")
            }
            for e in list.entries {
                let r = e.record
                Output.line(
                    "  \(r.id)  \(r.ended)  \(r.branch ?? "detached")  \(counts(r))\(r.summary.map { "  " + Output.clean($0) } ?? "")"
                )
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one ended session.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Session id or unique prefix, or the session file's name or path.") var session: String

        func run() throws {
            let ws = try common.workspace()
            let e = try ws.session(session)
            if output.json {
                try Output.json(EntryJSON(e))
                return
            }
            let r = e.record
            Output.line("session \(r.id)  \(e.file)")
            Output.line("branch:     \(r.branch ?? "detached HEAD")")
            Output.line("actor:      \(r.actor)")
            Output.line("source:     \(Output.clean(r.source)) (closed by \(r.closedBy))")
            Output.line("started:    \(r.started)\(r.headStart.map { " at " + $0.prefix(7) } ?? "")")
            Output.line("ended:      \(r.ended)\(r.headEnd.map { " at " + $0.prefix(7) } ?? "")")
            if let s = r.summary { Output.line("summary:    \(Output.clean(s))") }
            func items(_ title: String, _ list: [String]) {
                guard !list.isEmpty else { return }
                Output.line("\(title):")
                for i in list { Output.line("  - \(Output.clean(i))") }
            }
            items("decisions", r.decisions)
            items("follow-ups", r.followUps)
            func tasks(_ title: String, _ list: [SessionTask]) {
                guard !list.isEmpty else { return }
                Output.line("\(title):")
                for t in list { Output.line("  \(t.id)  \(Output.clean(t.title))") }
            }
            tasks("tasks created", r.tasksCreated)
            tasks("tasks started", r.tasksStarted)
            tasks("tasks completed", r.tasksCompleted)
            tasks("tasks updated", r.tasksUpdated)
            if !r.commits.isEmpty {
                Output.line("commits (\(r.commits.count + r.commitsOmitted)):")
                for c in r.commits { Output.line("  \(c.sha.prefix(7))  \(Output.clean(c.subject))") }
                if r.commitsOmitted > 0 { Output.line("  … and \(r.commitsOmitted) more") }
            }
            if !r.files.isEmpty {
                Output.line("files (\(r.files.count + r.filesOmitted)):")
                for f in r.files { Output.line("  \(Output.clean(f))") }
                if r.filesOmitted > 0 { Output.line("  … and \(r.filesOmitted) more") }
            }
        }
    }
}

private func requireText(_ text: String?, _ option: String) throws {
    if let text, text.allSatisfy(\.isWhitespace) { throw ValidationError("\(option) must not be empty") }
}

private func printWarnings(_ warnings: [String]) {
    for w in warnings { FileHandle.standardError.write(Data(("codex-state: " + Output.clean(w) + "\n").utf8)) }
}

private func closedLine(_ c: SessionClose) -> String {
    switch c {
    case .written(let e): return "Ended session \(e.record.id): \(e.file)"
    case .discarded(let s): return "Dropped session \(s.id) (opened by the checkout hook, no activity)"
    }
}

/// `2 commits, 3 files, tasks: 1 created, 1 completed`.
private func counts(_ r: SessionRecord) -> String {
    func n(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
    var parts = [n(r.commits.count + r.commitsOmitted, "commit"), n(r.files.count + r.filesOmitted, "file")]
    let tasks = [
        (r.tasksCreated.count, "created"), (r.tasksStarted.count, "started"), (r.tasksCompleted.count, "completed"),
        (r.tasksUpdated.count, "updated"),
    ].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
    if !tasks.isEmpty { parts.append("tasks: " + tasks.joined(separator: ", ")) }
    return parts.joined(separator: ", ")
}

// MARK: - JSON shapes (documented in docs/sessions.md)

/// An open session as the commands print it (the stored file also has `schema` and
/// `journal_offset`, which are internal).
struct OpenSessionJSON: Encodable {
    var session: OpenSession
    init(_ s: OpenSession) { session = s }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(session.id, forKey: .id)
        try c.encode(session.branch, forKey: .branch)
        try c.encode(session.headStart, forKey: .headStart)
        try c.encode(session.actor, forKey: .actor)
        try c.encode(session.started, forKey: .started)
        try c.encode(session.source, forKey: .source)
        try c.encode(session.summary, forKey: .summary)
    }
    enum K: String, CodingKey {
        case id, branch, actor, started, source, summary
        case headStart = "head_start"
    }
}

/// What happened to the session a new one replaced.
struct ClosedJSON: Encodable {
    var id: String
    var outcome: String
    var file: String?

    init(_ c: SessionClose) {
        switch c {
        case .written(let e):
            id = e.record.id
            outcome = "written"
            file = e.file
        case .discarded(let s):
            id = s.id
            outcome = "discarded"
            file = nil
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(file, forKey: .file)
    }
    enum CodingKeys: String, CodingKey { case id, outcome, file }
}

struct StartJSON: Encodable {
    var session: OpenSessionJSON
    var closed: ClosedJSON?

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(session, forKey: .session)
        try c.encode(closed, forKey: .closed)
    }
    enum CodingKeys: String, CodingKey { case session, closed }
}

/// `session end` and `session show`: the file's path and its record, as stored.
struct EntryJSON: Encodable {
    var file: String
    var session: SessionRecord
    init(_ e: SessionEntry) {
        file = e.file
        session = e.record
    }
}

struct ListJSON: Encodable {
    var open: OpenSessionJSON?
    var sessions: [ListItemJSON]

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(open, forKey: .open)
        try c.encode(sessions, forKey: .sessions)
    }
    enum CodingKeys: String, CodingKey { case open, sessions }
}

/// One ended session in `session list`: the header fields and counts (`session show` has all).
struct ListItemJSON: Encodable {
    var entry: SessionEntry
    init(_ e: SessionEntry) { entry = e }

    func encode(to encoder: Encoder) throws {
        let r = entry.record
        var c = encoder.container(keyedBy: K.self)
        try c.encode(r.id, forKey: .id)
        try c.encode(entry.file, forKey: .file)
        try c.encode(r.branch, forKey: .branch)
        try c.encode(r.headStart, forKey: .headStart)
        try c.encode(r.headEnd, forKey: .headEnd)
        try c.encode(r.actor, forKey: .actor)
        try c.encode(r.started, forKey: .started)
        try c.encode(r.ended, forKey: .ended)
        try c.encode(r.source, forKey: .source)
        try c.encode(r.summary, forKey: .summary)
        try c.encode(
            [
                "commits": r.commits.count + r.commitsOmitted, "files": r.files.count + r.filesOmitted,
                "tasks_created": r.tasksCreated.count, "tasks_started": r.tasksStarted.count,
                "tasks_completed": r.tasksCompleted.count, "tasks_updated": r.tasksUpdated.count,
                "decisions": r.decisions.count, "follow_ups": r.followUps.count,
            ], forKey: .counts)
    }
    enum K: String, CodingKey {
        case id, file, branch, actor, started, ended, source, summary, counts
        case headStart = "head_start"
        case headEnd = "head_end"
    }
}
