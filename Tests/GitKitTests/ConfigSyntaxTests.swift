import Foundation
import Testing

@testable import GitKit

/// The configuration reader held to `git config --file F --list -z` on the syntax git accepts,
/// and to git's `bad config line N` on the syntax it refuses.
@Suite struct ConfigSyntaxTests {
    /// What git lists for a file, in order: `key\nvalue`, or `key` for a key without `=`.
    static func gitList(_ w: GitWorld, _ file: String) throws -> (status: Int32, entries: [String], err: String) {
        let r = try w.run(["config", "--file", file, "--no-includes", "--list", "-z"], in: w.root)
        return (
            r.status, r.out.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init), r.err
        )
    }

    static func ours(_ file: String) throws -> [String] {
        try (GitConfig.entries(ofFile: file) ?? []).map { e in e.value.map { e.key + "\n" + $0 } ?? e.key }
    }

    @Test func everyFormGitAcceptsReadsAlike() throws {
        let w = try GitWorld()
        let file = w.path("config")
        let text =
            "\u{FEFF}# a byte order mark, then a comment\n"
                + """
                [core]
                \tbare = false
                [alias]
                \tquoted = "a # not a comment" ; a comment
                \tspaced =   x  \t y   # trailing
                \tcontinued = one\\
                 two
                \tescapes = "tab\\there" new\\nline back\\\\slash quote\\"d
                \tempty =
                \tflag
                \tMixed-Case = v
                \tinner = "  kept  "  and   squeezed
                [sec "Sub"]
                \tkey = sub
                [sec "with \\"quote\\" and \\\\ backslash"]
                \tkey = q
                [sec.SUB]
                \tkey = old style
                [Sec "Sub"] key = same line
                [a.b.c]
                \td = dotted
                [multi]
                \tv = 1
                \tv = 2
                ; a comment line
                   # an indented one

                """ + "[crlf]\r\n\tkey = v\r\n\tcr = a\rb\r\n"
        try w.write(file, text)
        let git = try Self.gitList(w, file)
        #expect(git.status == 0, "\(git.err)")
        #expect(try Self.ours(file) == git.entries)
        // Looked up as git looks keys up: section and name in any case, the subsection exactly.
        var config = GitConfig()
        for e in try GitConfig.entries(ofFile: file) ?? [] { config.add(e.key, e.value) }
        for key in ["SEC.Sub.KEY", "sec.sub.key", "sec.SUB.key", "alias.flag", "alias.empty", "multi.v", "A.b.C.D"] {
            let r = try w.run(["config", "--file", file, "--get", key], in: w.root)
            let expected = r.status == 0 ? String(r.out.dropLast()) : nil
            #expect(config.string(key) == expected, "\(key)")
        }
    }

    @Test func linesGitRefusesAreErrorsNamingTheLine() throws {
        let w = try GitWorld()
        let file = w.path("config")
        for broken in [
            "[sec\n", "[sec \"x]\n", "[sec \"x\"\n", "[]\n", "[sec]\n\tkey = \"unterminated\n", "[sec]\n\t1key = x\n",
            "[sec]\n\tflag # comment\n", "[sec]\n\tk = bad \\q escape\n", "[sec]\n\tk = v\n\t= v\n",
            "[sec]\n\tk = v\n[sec \"a\nb\"]\n", "[sec]\n\tkey: v\n",
        ] {
            try w.write(file, broken)
            let git = try Self.gitList(w, file)
            #expect(git.status != 0, "git accepts \(broken.debugDescription)")
            let line = git.err.firstMatch(of: #/bad config line (\d+)/#).map { String($0.1) }
            #expect(throws: GitFileError(path: file, problem: "bad config line \(line ?? "?")")) {
                try GitConfig.entries(ofFile: file)
            }
        }
    }

    /// `-c` settings git hands to the hooks it runs, in both forms git writes them.
    @Test func commandLineSettingsGitPassesOn() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("config", "corpus.local", "from the file", in: repo)
        for extra in [
            ["GIT_CONFIG_PARAMETERS": "'corpus.local'='it'\\''s the command line' 'Corpus.Flag' 'old.Style=v'"],
            [
                "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "corpus.local", "GIT_CONFIG_VALUE_0": "counted",
                "GIT_CONFIG_KEY_1": "Corpus.Sub.Key", "GIT_CONFIG_VALUE_1": "sub",
            ],
        ] {
            let git = GitSays(world: w, dir: repo, extra: extra)
            let ours = try LayoutCorpusTests.discover(w, repo, extra)
            for key in ["corpus.local", "corpus.flag", "old.style", "corpus.Sub.key", "corpus.sub.key"] {
                #expect(try ours.configString(key) == git.config(key), "\(key) with \(extra)")
            }
        }
        // git's own `-c`, through a hook: what the hook sees is what GitKit reads.
        let hook = repo + "/.git/hooks/post-checkout"
        try w.write(hook, "#!/bin/sh\nenv | grep '^GIT_CONFIG_PARAMETERS=' > seen || true\n")
        #expect(chmod(hook, 0o755) == 0)
        try w.git("-c", "corpus.local=set with -c", "checkout", "-q", "-b", "other", in: repo)
        let seen = try String(contentsOfFile: repo + "/seen", encoding: .utf8)
        let value = String(seen.dropFirst("GIT_CONFIG_PARAMETERS=".count).dropLast())
        let repository = try LayoutCorpusTests.discover(w, repo, ["GIT_CONFIG_PARAMETERS": value])
        #expect(try repository.configString("corpus.local") == "set with -c")
    }
}
