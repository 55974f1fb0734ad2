import Foundation
import Testing

/// `codex-state graph` through the binary: the formats, stability, `--rev`, `--milestone`,
/// `--json`, and Graphviz present or not.
@Suite struct GraphCommandTests {
    /// A repository with a milestone, an epic with children, dependencies and hostile titles.
    func project(_ s: Sandbox) throws -> (dir: String, ids: [String: String]) {
        let dir = try s.repo()
        try s.ok("init", in: dir)
        let m = try s.ok("milestone", "add", "Beta", "--due", "2026-03-01", in: dir)
        var ids: [String: String] = [:]
        ids["epic"] = try s.ok("task", "add", "Parser \"epic\" <b>", "--milestone", m, "--priority", "1", in: dir)
        ids["lexer"] = try s.ok("task", "add", "Lexer \\N", "--parent", ids["epic"]!, "--milestone", m, in: dir)
        ids["grammar"] = try s.ok(
            "task", "add", "Grammar #1 `x`", "--parent", ids["epic"]!, "--dep", ids["lexer"]!, "--milestone", m, in: dir
        )
        ids["docs"] = try s.ok("task", "add", "Docs", "--dep", ids["grammar"]!, in: dir)
        ids["spike"] = try s.ok("task", "add", "Spike", in: dir)
        try s.ok("task", "cancel", ids["spike"]!, in: dir)
        try s.git("add", "-A", in: dir)
        try s.git("commit", "-q", "-m", "plan", in: dir)
        return (dir, ids)
    }

    @Test func formatsAreStableAndNameEveryTask() throws {
        let s = try Sandbox()
        let (dir, ids) = try project(s)
        for format in ["mermaid", "dot", "ascii"] {
            let a = try s.cs("graph", "--format", format, in: dir)
            #expect(a.ok, "\(format): \(a.stderr)")
            // Same state, same bytes; also when the index is rebuilt from the file.
            #expect(try s.cs("graph", "--format", format, in: dir).stdout == a.stdout)
            try? FileManager.default.removeItem(atPath: dir + "/.git/codex-state/index.sqlite")
            #expect(try s.cs("graph", "--format", format, in: dir).stdout == a.stdout)
            for key in ["epic", "lexer", "grammar", "docs"] {
                let id = format == "mermaid" ? ids[key]!.replacingOccurrences(of: "-", with: "_") : ids[key]!
                #expect(a.stdout.contains(id), "\(format) lacks \(key)")
            }
            #expect(!a.stdout.contains(ids["spike"]!), "\(format) shows a cancelled task without --all")
            #expect(try s.cs("graph", "--format", format, "--all", in: dir).stdout.contains(ids["spike"]!))
        }
        let ascii = try s.ok("graph", "--format", "ascii", in: dir)
        // The critical path into Beta: lexer, grammar, then the epic waiting on its children.
        #expect(
            ascii.contains(
                "Critical path to Beta, due 2026-03-01 (3 of 3 open): \(ids["lexer"]!) -> \(ids["grammar"]!) -> \(ids["epic"]!)"
            ))
        #expect(ascii.contains("Ready: \(ids["lexer"]!)"))
    }

    @Test func jsonShape() throws {
        let s = try Sandbox()
        let (dir, ids) = try project(s)
        let j = s.json(try s.ok("graph", "--json", in: dir))
        let nodes = j["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 4)
        #expect(j["tasks_total"] as? Int == 5)
        #expect(j["hidden"] as? Int == 1)
        #expect(j["ready_front"] as? [String] == [ids["lexer"]!])
        let lexer = nodes.first { $0["id"] as? String == ids["lexer"] }
        #expect(lexer?["status"] as? String == "ready")
        #expect(lexer?["critical"] as? Bool == true)
        let edges = j["edges"] as? [[String: Any]] ?? []
        #expect(edges.contains { $0["from"] as? String == ids["lexer"] && $0["to"] as? String == ids["grammar"] })
        let paths = j["critical_paths"] as? [[String: Any]] ?? []
        #expect(paths.first?["tasks"] as? [String] == [ids["lexer"]!, ids["grammar"]!, ids["epic"]!])
    }

    @Test func milestoneAndRevision() throws {
        let s = try Sandbox()
        let (dir, ids) = try project(s)
        let beta = try s.ok("graph", "--format", "ascii", "--milestone", "Beta", in: dir)
        #expect(!beta.contains(ids["docs"]!))
        #expect(beta.contains(ids["grammar"]!))
        // Complete the lexer and commit: at the old commit it is still ready.
        let old = try s.git("rev-parse", "HEAD", in: dir)
        try s.ok("complete", ids["lexer"]!, in: dir)
        try s.git("commit", "-q", "-am", "lexer", in: dir)
        let now = s.json(try s.ok("graph", "--json", "--all", in: dir))
        let then = s.json(try s.ok("graph", "--json", "--all", "--rev", old, in: dir))
        func status(_ j: [String: Any], _ id: String) -> String? {
            (j["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == id }?["status"] as? String
        }
        #expect(status(now, ids["lexer"]!) == "done")
        #expect(status(now, ids["grammar"]!) == "ready")
        #expect(status(then, ids["lexer"]!) == "ready")
        #expect((then["head"] as? [String: Any])?["commit"] as? String == old)
        let bad = try s.cs("graph", "--rev", "no-such-rev", in: dir)
        #expect(bad.status == 1 && bad.stderr.contains("unknown revision 'no-such-rev'"))
        let unknown = try s.cs("graph", "--milestone", "Gamma", in: dir)
        #expect(unknown.status == 1 && unknown.stderr.contains("Gamma"))
    }

    /// SVG comes from Graphviz, which must parse what we write (titles with quotes, backslashes,
    /// angle brackets); without dot on PATH the command says what to install.
    @Test func svgThroughGraphviz() throws {
        let s = try Sandbox()
        let (dir, ids) = try project(s)
        let hasDot = (s.env["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: $0 + "/dot")
        }
        if hasDot {
            let svg = try s.cs("graph", "--format", "svg", "--all", in: dir)
            #expect(svg.ok, "\(svg.stderr)")
            #expect(svg.stdout.hasPrefix("<?xml"))
            // Graphviz writes ids' hyphens as &#45;.
            #expect(svg.stdout.contains(ids["epic"]!.replacingOccurrences(of: "-", with: "&#45;")))
            #expect(svg.stdout.contains("Parser &quot;epic&quot; &lt;b&gt;"))
        } else {
            print("GraphCommandTests: Graphviz's dot is not installed; the SVG test runs only the missing-dot case")
        }
        let none = try s.run(Sandbox.binary, ["graph", "--format", "svg"], in: dir, env: ["PATH": s.root + "/no-bin"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("needs Graphviz's dot on PATH (Debian: apt-get install graphviz)"))
        #expect(none.stdout.isEmpty)
    }
}
