import Foundation
import Testing

/// docs/cli.md carries the real `--help` of every command: this test generates it from the
/// binary, so the documentation cannot go stale. `UPDATE_DOCS=1 swift test --filter CliHelpTests`
/// rewrites the file; otherwise a difference fails.
@Suite struct CliHelpTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/cli.md").path
    static let begin =
        "<!-- BEGIN GENERATED HELP: CliHelpTests writes this; UPDATE_DOCS=1 swift test --filter CliHelpTests -->"
    static let end = "<!-- END GENERATED HELP -->"

    func help(_ s: Sandbox, _ path: [String]) throws -> String {
        let r = try s.run(Sandbox.binary, path + ["--help"], in: s.root, env: ["COLUMNS": "80"])
        #expect(r.ok, "\(path): \(r.stderr)")
        var text = Substring(r.stdout)
        while text.hasSuffix("\n") { text = text.dropLast() }
        return text + "\n"
    }

    /// The subcommand names listed under SUBCOMMANDS in a help text.
    func subcommands(_ text: String) -> [String] {
        var out: [String] = []
        var inList = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "SUBCOMMANDS:" {
                inList = true
                continue
            }
            guard inList else { continue }
            if line.isEmpty || !line.hasPrefix("  ") { break }
            let word = line.dropFirst(2).prefix { $0 != " " }
            if !word.isEmpty, !line.hasPrefix("   ") { out.append(String(word)) }
        }
        return out
    }

    /// Every command, breadth first from `codex-state` itself, with its `--help` and its subcommands.
    func commands(_ s: Sandbox) throws -> [(path: [String], help: String, subcommands: [String])] {
        var queue: [[String]] = [[]]
        var out: [(path: [String], help: String, subcommands: [String])] = []
        while !queue.isEmpty {
            let path = queue.removeFirst()
            let text = try help(s, path)
            let subs = subcommands(text).filter { $0 != "help" }
            out.append((path, text, subs))
            queue += subs.map { path + [$0] }
        }
        return out
    }

    @Test func docsCarryTheRealHelpOfEveryCommand() throws {
        let s = try Sandbox()
        var blocks: [String] = []
        var helps: [String: String] = [:]
        for (path, text, _) in try commands(s) {
            let command = (["codex-state"] + path + ["--help"]).joined(separator: " ")
            helps[command] = text
            blocks.append("$ " + command + "\n" + text)
        }
        let doc = try String(contentsOfFile: Self.docs, encoding: .utf8)
        var lines = doc.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // 1. Every `$ codex-state … --help` example elsewhere shows the real output.
        var out: [String] = []
        var i = 0
        var inGenerated = false
        while i < lines.count {
            let line = lines[i]
            if line == Self.begin { inGenerated = true }
            if line == Self.end { inGenerated = false }
            out.append(line)
            i += 1
            guard !inGenerated, line.hasPrefix("$ codex-state"), line.hasSuffix("--help"),
                let real = helps[String(line.dropFirst(2))]
            else { continue }
            while i < lines.count, !lines[i].hasPrefix("$ "), !lines[i].hasPrefix("```") { i += 1 }
            out += real.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
        lines = out
        // 2. The generated section holds every command's help.
        let generated =
            [Self.begin, "", "```"]
            + blocks.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init) + ["```", "", Self.end]
        guard let from = lines.firstIndex(of: Self.begin), let to = lines.firstIndex(of: Self.end), from < to else {
            Issue.record("docs/cli.md has no generated help section (\(Self.begin))")
            return
        }
        lines.replaceSubrange(from...to, with: generated)
        let want = lines.joined(separator: "\n")
        if ProcessInfo.processInfo.environment["UPDATE_DOCS"] == "1" {
            try want.write(toFile: Self.docs, atomically: true, encoding: .utf8)
            return
        }
        #expect(doc == want, "docs/cli.md's --help text is stale; run UPDATE_DOCS=1 swift test --filter CliHelpTests")
    }

    /// Every command that runs (one without subcommands) has its own section in docs/cli.md: a
    /// `### ` heading naming it (`### task dep add, task dep rm` names two) or a command it
    /// belongs to (`### hook`). `preamble` and `check` too, though their details live in their own
    /// pages.
    @Test func docsHaveASectionForEveryCommand() throws {
        let s = try Sandbox()
        let doc = try String(contentsOfFile: Self.docs, encoding: .utf8)
        let named = Set(
            doc.split(separator: "\n").filter { $0.hasPrefix("### ") }.flatMap {
                $0.dropFirst(4).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            })
        let leaves = try commands(s).filter { $0.subcommands.isEmpty }.map { $0.path }
        #expect(leaves.count > 40 && leaves.contains(["preamble"]) && leaves.contains(["check"]))
        for path in leaves {
            let covered = (1...path.count).contains { named.contains(path.prefix($0).joined(separator: " ")) }
            #expect(covered, "docs/cli.md has no section for codex-state \(path.joined(separator: " "))")
        }
    }
}
