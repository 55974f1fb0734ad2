import Testing
import Workspace

/// The config.toml reader accepts what TOML allows (a false refusal would block install) and the
/// editor changes one key without touching the rest.
@Suite struct TOMLTests {
    static let valid = #"""
        # comment
        model = "gpt-5.5"
        "quoted key" = 'literal \no escape'
        dotted.key = 1_000
        hex = 0xDEAD_beef
        float = -3.5e2
        inf = +inf
        when = 1979-05-27T07:32:00Z
        day = 1979-05-27
        spaced = 1979-05-27 07:32:00
        multi = """
        line one \
          continued "quoted" ""
        """
        lit = '''
        raw \n'''
        arr = [
          "a", # comment inside
          "b",
        ]
        nested = [[1, 2], ["x"]]
        inline = { a = 1, b.c = "d", e = [true, false] }
        empty = {}

        [tui]
        notifications = true

        [mcp_servers."docs-server"]
        command = "npx"
        env = { "API" = "x" }

        [[hooks.SessionStart]]
        matcher = "startup"
        [[hooks.SessionStart.hooks]]
        type = "command"
        command = "echo 1"
        [[hooks.SessionStart.hooks]]
        type = "command"
        command = "echo 2"
        timeout = 5

        [[hooks.SessionStart]]
        [[hooks.SessionStart.hooks]]
        type = "command"
        command = "echo 3"

        [projects."/home/u/repo"]
        trust_level = "trusted"
        """#

    @Test func parsesWhatTOMLAllows() throws {
        let doc = try TOMLDocument(parsing: Self.valid)
        #expect(doc.root["model"] == .string("gpt-5.5"))
        #expect(doc.root["quoted key"] == .string("literal \\no escape"))
        #expect(doc.root["dotted", "key"] == .integer(1000))
        #expect(doc.root["multi"] == .string("line one continued \"quoted\" \"\"\n"))
        #expect(doc.root["lit"] == .string("raw \\n"))
        #expect(doc.root["arr"] == .array([.string("a"), .string("b")]))
        #expect(doc.root["inline", "b", "c"] == .string("d"))
        #expect(doc.root["mcp_servers", "docs-server", "env", "API"] == .string("x"))
        #expect(doc.root["projects", "/home/u/repo", "trust_level"] == .string("trusted"))
        let groups = codexHookGroups(toml: doc.root)
        #expect(groups.map(\.index) == [0, 1])
        #expect(groups.first?.matcher == "startup")
        #expect(groups.first?.handlers.map(\.command) == ["echo 1", "echo 2"])
        #expect(groups.first?.handlers.last?.timeout == 5)
    }

    @Test func refusesWithLineAndColumn() {
        for (text, line) in [
            ("a = 1\nb = \n", 2), ("a = 1\na = 2\n", 2), ("[t]\nx = 1\n[t]\n", 3), ("x = 1 y = 2\n", 1),
            ("s = \"bad \\q\"\n", 1), ("[a.b]\n[a]\nb = 1\n", 3),
        ] {
            do {
                _ = try TOMLDocument(parsing: text)
                Issue.record("accepted: \(text)")
            } catch let e as TOMLError {
                #expect(e.line == line, "\(text): \(e)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func editorKeepsEveryOtherByte() throws {
        var e = try TOMLEditor(Self.valid)
        try e.set(["tui"], "notifications", .bool(false))
        try e.set(["tui"], "animations", .bool(true))
        try e.set(["mcp_servers", "codex-state"], "command", .string("/bin/x"))
        let changed = e.text
        #expect(changed.contains("[tui]\nnotifications = false\nanimations = true\n\n[mcp_servers.\"docs-server\"]"))
        #expect(changed.hasSuffix("trust_level = \"trusted\"\n\n[mcp_servers.codex-state]\ncommand = \"/bin/x\"\n"))
        try e.remove(["mcp_servers", "codex-state"], "command")
        try e.remove(["tui"], "animations")
        try e.set(["tui"], "notifications", .bool(true))
        #expect(e.text == Self.valid + "\n")
        #expect(try TOMLDocument(parsing: changed).root["tui", "animations"] == .bool(true))
    }
}
