import Foundation
import Testing

/// Control characters in stored text (issue 19, item 8). A `\u0000` in a title cut the title
/// wherever it was shown (the index reads text as C strings): `tasks`, the preamble and
/// `tasks --json` showed only what came before it. NUL is not text anywhere a title goes
/// (SQLite, terminals, git): it is refused, naming where it is. Every other control character is
/// kept in the file and shown safely by every command that prints text.
@Suite struct ControlCharacterTests {
    static let nasty = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}\u{2066}\u{7F}\rx\ty\nt-0000000000  FORGED"

    /// Output that a terminal shows as written: no control code but newline, no C1, no bidi
    /// control, no forged row.
    static func clean(_ text: String) -> Bool {
        !text.unicodeScalars.contains { u in
            (u.value < 0x20 && u != "\n") || (0x7F...0x9F).contains(u.value) || (0x202A...0x202E).contains(u.value)
                || (0x2066...0x2069).contains(u.value)
        } && !text.contains("\nt-0000000000  FORGED")
    }

    @Test func aNULInTheStateFileIsRefusedNamingItsLine() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("task", "add", "before", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let text = try s.read(file)
        let bad = text.replacingOccurrences(of: "\"title\": \"before\"", with: "\"title\": \"before\\u0000after\"")
        try s.write(file, bad)
        let line = (bad.components(separatedBy: "\n").firstIndex { $0.contains("\\u0000") } ?? 0) + 1
        for args in [["tasks"], ["tasks", "--json"], ["preamble"], ["next"], ["task", "add", "x"]] {
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(r.status == 1, "\(args): exit \(r.status): \(r.stdout)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("line \(line): a string holds U+0000"), "\(args): \(r.stderr)")
        }
        let check = try s.cs("check", in: repo)
        #expect(check.status == 1 && check.stdout.contains("U+0000"), "\(check.stdout)")
        #expect(try s.read(file) == bad)
    }

    /// Through MCP (JSON can carry it; a command line cannot): a tool error naming the field.
    @Test func aNULInAToolArgumentIsRefused() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let lines = [
            MCPStreamTests.initialize, MCPStreamTests.initialized,
            MCPStreamTests.call(2, "task_add", #"{"title":"before\u0000after"}"#),
        ]
        let r = try MCPStreamTests.rawSession(
            s, in: repo, input: Array((lines.joined(separator: "\n") + "\n").utf8), pause: 0)
        let reply = r.lines.compactMap(MCPStreamTests.object).first { $0["id"] as? Int == 2 }
        let result = reply?["result"] as? [String: Any]
        let text = (result?["content"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        #expect(result?["isError"] as? Bool == true, "\(text)")
        #expect(text.contains(".title: holds U+0000"), "\(text)")
        #expect(try s.tasks(in: repo).isEmpty)
    }

    /// Every other control character is stored as given and printed safely by every command
    /// that prints text: the agent's preamble, lists, memories, milestones, goals, the journal
    /// page, `check`; `--json` keeps it exact.
    @Test func otherControlCharactersArePrintedSafelyEverywhere() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let env = ["CODEX_STATE_ACTOR": "mallory" + Self.nasty]
        func cs(_ args: String...) throws -> String {
            let r = try s.run(Sandbox.binary, args, in: repo, env: env)
            #expect(r.ok, "\(args.prefix(3)): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let m = try cs("milestone", "add", "M" + Self.nasty)
        _ = try cs("goal", "add", "G" + Self.nasty)
        let id = try cs("task", "add", "T" + Self.nasty, "--milestone", m, "--label", "l" + Self.nasty)
        _ = try cs("task", "start", id)
        // Memory text refuses control codes itself, except line breaks and tabs.
        _ = try cs("remember", "Decided\r\tto keep it\r\nt-0000000000  FORGED", "--kind", "decision")
        for args in [
            ["preamble"], ["preamble", "--format", "codex-hook"], ["tasks"], ["tasks", "--tree"], ["next"],
            ["task", "show", id], ["milestone", "list"], ["goal", "list"], ["memories"], ["recall", "keep"],
            ["journal", "--stdout"], ["log"], ["check"], ["conflicts"],
        ] {
            let r = try s.run(Sandbox.binary, args, in: repo, env: env)
            var text = r.stdout + r.stderr
            if args.last == "codex-hook" {
                // The hook's JSON escapes it; what Codex shows the model is the decoded context.
                text = (s.json(r.stdout)["hookSpecificOutput"] as? [String: Any])?["additionalContext"] as? String ?? ""
            }
            #expect(Self.clean(text), "\(args): \(text.debugDescription.prefix(600))")
        }
        let shown = s.json(try cs("task", "show", id, "--json"))["task"] as? [String: Any]
        #expect(shown?["title"] as? String == "T" + Self.nasty)
    }
}
