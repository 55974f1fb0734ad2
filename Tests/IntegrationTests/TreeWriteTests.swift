import Foundation
import StateStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every file the tool writes in the working tree passes one check (issue 19, item 2): no
/// component may be a symbolic link, none may be `..`. A committed link (`docs -> /somewhere`)
/// would otherwise take a write out of the repository: `journal` wrote the day's page through it.
/// One test per writer; each checks that nothing appeared outside and that the error is one line
/// naming the link.
@Suite struct TreeWriteTests {
    struct World {
        let s: Sandbox
        let repo: String
        let outside: String

        /// Commits a symbolic link at `path` (relative) pointing to `outside`.
        func commitLink(_ path: String) throws {
            let full = repo + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: outside)
            try s.git("add", path, in: repo)
            try s.git("commit", "-q", "-m", "link \(path)", in: repo)
        }

        /// Nothing but the stray file is outside.
        func outsideUntouched(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let left = try FileManager.default.contentsOfDirectory(atPath: outside)
            #expect(left == ["stray"], "written outside the repository: \(left)", sourceLocation: sourceLocation)
            #expect(try s.read(outside + "/stray") == "keep me\n", sourceLocation: sourceLocation)
        }

        func refused(
            _ args: [String], naming link: String, env: [String: String] = [:], in dir: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let r = try s.run(Sandbox.binary, args, in: dir ?? repo, env: env)
            #expect(r.status == 1, "\(args): exit \(r.status): \(r.stdout)", sourceLocation: sourceLocation)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
            #expect(
                r.stderr.contains(link + " is a symbolic link"), "\(args): \(r.stderr)", sourceLocation: sourceLocation)
            try outsideUntouched(sourceLocation: sourceLocation)
        }
    }

    func world(initialize: Bool = true) throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        let outside = s.path("outside")
        try s.write(outside + "/stray", "keep me\n")
        if initialize {
            try s.ok("init", "--no-hooks", in: repo)
            try s.git("add", "-A", in: repo)
            try s.git("commit", "-q", "-m", "state", in: repo)
        }
        return World(s: s, repo: repo, outside: outside)
    }

    @Test func journalThroughALinkedDocsFolder() throws {
        let w = try world()
        try w.commitLink("docs")
        try w.refused(["journal"], naming: "docs")
        try w.refused(["journal", "--out", "docs/page.md"], naming: "docs")
    }

    @Test func journalThroughALinkedJournalFolder() throws {
        let w = try world()
        try w.commitLink("docs/ai-journal")
        try w.refused(["journal"], naming: "docs/ai-journal")
    }

    /// A path outside the working tree that the user names is theirs to choose; `..` that
    /// leads back into the tree is checked like any other path inside it.
    @Test func journalOutsideTheTreeWhereTheUserSaysSo() throws {
        let w = try world()
        try w.commitLink("docs")
        let r = try w.s.run(Sandbox.binary, ["journal", "--out", "../elsewhere/page.md"], in: w.repo)
        #expect(r.ok, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: w.s.path("elsewhere/page.md")))
        try w.refused(["journal", "--out", "../repo/docs/page.md"], naming: "docs")
    }

    @Test func skillThroughALinkedFolderOrFile() throws {
        let w = try world()
        try w.commitLink(".agents")
        try w.refused(["skill"], naming: ".agents")
        try w.s.git("rm", "-q", ".agents", in: w.repo)
        try w.s.git("commit", "-q", "-m", "unlink", in: w.repo)
        try w.commitLink(".agents/skills/codex-state/SKILL.md")
        try w.refused(["skill"], naming: "SKILL.md")
    }

    @Test func sessionFilesThroughALinkedSessionsFolder() throws {
        let w = try world()
        try w.s.ok("session", "start", in: w.repo)
        try FileManager.default.removeItem(atPath: w.repo + "/.codex-state/sessions")
        try w.commitLink(".codex-state/sessions")
        try w.refused(["session", "end"], naming: ".codex-state/sessions")
    }

    @Test func gitattributesAsALink() throws {
        let w = try world(initialize: false)
        try w.commitLink(".gitattributes")
        try w.refused(["init", "--no-hooks"], naming: ".gitattributes")
        #expect(LinkCheck.isLink(w.repo + "/.gitattributes"))
    }

    /// core.hooksPath set (by the user) to a folder of the repository that a commit made a link.
    @Test func hookShimsThroughALinkedHooksPath() throws {
        let w = try world()
        try w.commitLink(".githooks")
        try w.s.git("config", "core.hooksPath", ".githooks", in: w.repo)
        try w.refused(["hooks", "install"], naming: ".githooks")
    }

    /// `report --html FILE` and `export … -o FILE` write where the user says: through a linked
    /// folder of the tree they are refused; outside the tree they go where named.
    @Test func reportsAndExportsThroughALinkedFolder() throws {
        let w = try world()
        try w.commitLink("docs")
        try w.refused(["report", "--html", "docs/report.html"], naming: "docs")
        try w.refused(["export", "json", "-o", "docs/tasks.json"], naming: "docs")
        let r = try w.s.run(Sandbox.binary, ["export", "json", "-o", "../exports/tasks.json"], in: w.repo)
        #expect(r.ok, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: w.s.path("exports/tasks.json")))
    }

    /// The output file itself a committed link to a file outside: refused, the target unchanged.
    @Test func reportsAndExportsOntoALinkedFile() throws {
        let w = try world()
        for name in ["report.html", "out/tasks.json"] {
            let full = w.repo + "/" + name
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: w.outside + "/stray")
        }
        try w.s.git("add", "-A", in: w.repo)
        try w.s.git("commit", "-q", "-m", "links", in: w.repo)
        try w.refused(["report", "--html", "report.html"], naming: "report.html")
        try w.refused(["export", "json", "-o", "out/tasks.json"], naming: "out/tasks.json")
        // Named from a subfolder, through `..`: the same file, the same refusal.
        try w.refused(["export", "json", "-o", "../report.html"], naming: "report.html", in: w.repo + "/out")
    }

    /// `codex install --project` writes the repository's .codex/: a committed link there.
    @Test func codexProjectFilesThroughALinkedCodexFolder() throws {
        let w = try world()
        try w.commitLink(".codex")
        let home = w.s.path("codex-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try w.refused(["codex", "install", "--project"], naming: ".codex", env: ["CODEX_HOME": home])
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []).isEmpty, "nothing installed")
    }
}

enum LinkCheck {
    static func isLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }
}

/// The check itself: `..`, `.` and empty components are refused whatever is on disk; git
/// directories and paths outside the tree have nothing to check.
@Suite struct WorkingTreeCheckTests {
    @Test func componentsAreRefusedBeforeTheDiskIsAsked() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let tree = WorkingTree(root: repo, gitDirs: [repo + "/.git"])
        for bad in ["/docs/../x.md", "/./x.md", "/docs//x.md", "/.."] {
            #expect(throws: StoreError.self, "\(bad)") { try tree.check(repo + bad) }
        }
        try tree.check(repo + "/docs/new/page.md")
        try tree.check(s.root + "/elsewhere/page.md")
        try FileManager.default.createSymbolicLink(atPath: repo + "/.git/hooks-link", withDestinationPath: s.root)
        try tree.check(repo + "/.git/hooks-link/post-commit")
        #expect(WorkingTree.userPath("../a/./b/../c.md", cwd: "/r/docs") == "/r/a/c.md")
        #expect(WorkingTree.userPath("/abs//x", cwd: "/r") == "/abs/x")
    }
}
