import Foundation
import Testing
import Workspace

/// The config.toml reader and editor against a real TOML parser (Python's `tomllib`) over a
/// corpus generated with fixed seeds (issue 19, item 5): CRLF and LF, byte-order marks, dotted and
/// quoted keys, inline tables, arrays of tables, multi-line strings holding lines that look like
/// tables and keys, comments everywhere. Every document must read as `tomllib` reads it; every
/// install-like edit must change exactly what it means to (checked by `tomllib` too) and the
/// inverse edits must give back the original bytes; mutated documents must be refused exactly
/// when Codex refuses them.
@Suite struct TOMLFuzzTests {
    static let seeds: [UInt64] = [19, 2026, 0xC0DE]
    static let documentsPerSeed = 120

    // MARK: - The generator

    struct Generator {
        var rng: SeededRandom
        var counter = 0
        var crlf: Bool
        var nl: String { crlf ? "\r\n" : "\n" }

        init(seed: UInt64) {
            rng = SeededRandom(seed: seed)
            crlf = false
        }

        mutating func chance(_ n: UInt64) -> Bool { rng.next() % n == 0 }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }

        mutating func fresh() -> String {
            counter += 1
            return "k\(counter)"
        }

        /// A key as it may be written: bare, quoted (with dots and spaces inside), literal.
        mutating func keyText(_ name: String) -> String {
            switch rng.next() % 6 {
            case 0: return "\"\(name).x y\""
            case 1: return "'\(name)'"
            case 2: return "\"\(name)\""
            default: return name
            }
        }

        mutating func comment() -> String {
            chance(3) ? "  # " + pick(["note", "a = 1", "[not.a.table]", "\"quoted\" # twice", "é ü"]) : ""
        }

        mutating func scalar() -> String {
            switch rng.next() % 16 {
            case 0: return "\"plain \\\"q\\\" \\t \\u00e9 \\\\ end\""
            case 1: return "'C:\\path\\to'"
            case 2:
                return "\"\"\"" + nl + "[mcp_servers.codex-state]" + nl + "command = \"fake\"" + nl
                    + "line \\" + nl + "   continued\"\"\""
            case 3: return "'''" + nl + "raw [table]" + nl + "x = 'y' '''"
            case 4: return pick(["1_000", "-17", "+42", "0", "0xDEAD_beef", "0o755", "0b1101"])
            case 5: return pick(["3.14", "-0.01", "5e+22", "1_000.5", "6.626e-34", "inf", "-inf", "nan", "-0.0"])
            case 6: return pick(["true", "false"])
            case 7:
                return pick([
                    "1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999999-07:00", "1979-05-27 07:32:00",
                    "1979-05-27", "07:32:00",
                ])
            case 8: return "[1, 2, 3]"
            case 9: return "[" + nl + "  \"a\", # first" + nl + "  [\"nested\", 'x'], " + nl + "  { a = 1 }," + nl + "]"
            case 10: return "{ a = 1, \"b c\" = \"d\", e.f = [true] }"
            case 11: return "{}"
            case 12: return "\"with = and [brackets] and # hash\""
            default: return "\"v\(rng.next() % 1000)\""
            }
        }

        mutating func keyValues(_ n: Int) -> [String] {
            (0..<n).map { _ in
                let key = chance(4) ? keyText(fresh()) + "." + keyText("inner") : keyText(fresh())
                return key + pick([" = ", "=", "   =  "]) + scalar() + comment()
            }
        }

        /// A document, and whether it already holds keys install would change.
        mutating func document() -> (text: String, touchesOurs: Bool) {
            crlf = chance(3)
            var lines: [String] = []
            var touches = false
            if chance(4) { lines.append("# " + pick(["config", "Codex settings", "[fake.header]"]) + comment()) }
            lines += keyValues(Int(rng.next() % 4))
            switch rng.next() % 8 {
            case 0:
                lines.append("mcp_servers.codex-state.command = \"/old/codex-state\"" + comment())
                lines.append("mcp_servers.codex-state.env.KEEP = \"1\"")
                touches = true
            case 1:
                lines.append("[mcp_servers]")
                lines.append("codex-state = { command = \"/old/codex-state\", env = { KEEP = \"1\" } }" + comment())
                touches = true
            case 2:
                lines.append("[mcp_servers.codex-state]" + comment())
                lines.append("command = \"/old/codex-state\"")
                lines.append("env = { KEEP = \"1\" }")
                touches = true
            default: break
            }
            for _ in 0..<Int(rng.next() % 4) {
                lines.append("")
                switch rng.next() % 5 {
                case 0:
                    let name = fresh()
                    lines.append("[[" + name + "]]" + comment())
                    lines += keyValues(Int(rng.next() % 3))
                    lines.append("[" + name + ".sub]")
                    lines += keyValues(1)
                    lines.append("[[" + name + "]]")
                    lines += keyValues(Int(rng.next() % 2))
                case 1:
                    lines.append("[mcp_servers." + keyText(fresh()) + "]" + comment())
                    lines.append("command = \"npx\"")
                    lines += keyValues(Int(rng.next() % 2))
                case 2:
                    lines.append("[ " + keyText(fresh()) + " . " + keyText("child") + " ]" + comment())
                    lines += keyValues(1 + Int(rng.next() % 3))
                default:
                    lines.append("[" + keyText(fresh()) + "]" + comment())
                    lines += keyValues(Int(rng.next() % 4))
                }
            }
            if chance(3) {
                lines.append("")
                lines.append("[sandbox_workspace_write]")
                lines.append(
                    pick([
                        "writable_roots = [\"/existing\"]  # mine", "writable_roots = []",
                        "writable_roots = [" + nl + "  \"/a\", # a" + nl + "  \"/b\"," + nl + "]",
                        "network_access = true",
                    ]))
            }
            if chance(4) { lines.append("# trailing comment") }
            var text = lines.joined(separator: nl)
            if !lines.isEmpty { text += nl }
            if chance(6) { text += nl }
            if chance(8) { text = "\u{FEFF}" + text }
            return (text, touches)
        }
    }

    // MARK: - The oracle

    /// Parses each file with tomllib; a value per file: the canonical form, or nil when refused.
    static let oracle = """
        import json, math, struct, sys, tomllib, datetime
        def enc(v):
            if isinstance(v, bool): return ["b", v]
            if isinstance(v, int): return ["i", str(v)]
            if isinstance(v, float):
                if math.isnan(v): return ["f", "nan-" if math.copysign(1, v) < 0 else "nan+"]
                return ["f", str(struct.unpack("<q", struct.pack("<d", v))[0])]
            if isinstance(v, str): return ["s", v]
            if isinstance(v, (datetime.datetime, datetime.date, datetime.time)): return ["d"]
            if isinstance(v, list): return ["a", [enc(x) for x in v]]
            return ["t", {k: enc(x) for k, x in v.items()}]
        out = []
        for path in json.load(open(sys.argv[1])):
            data = open(path, "rb").read()
            if data.startswith(b"\\xef\\xbb\\xbf"): data = data[3:]
            try: out.append(enc(tomllib.loads(data.decode("utf-8"))))
            except Exception as e: out.append(None)
        json.dump(out, open(sys.argv[2], "w"))
        """

    static func canonical(_ v: TOMLValue) -> Any {
        switch v {
        case .bool(let b): return ["b", b]
        case .integer(let i): return ["i", String(i)]
        case .float(let d):
            if d.isNaN { return ["f", d.sign == .minus ? "nan-" : "nan+"] }
            return ["f", String(Int64(bitPattern: d.bitPattern))]
        case .string(let s): return ["s", s]
        case .datetime: return ["d"]
        case .array(let a): return ["a", a.map(canonical)]
        case .table(let t): return ["t", t.mapValues(canonical)]
        }
    }

    static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil), (is NSNull, is NSNull), (nil, is NSNull), (is NSNull, nil): return true
        case (let x?, let y?):
            let dx = try? JSONSerialization.data(withJSONObject: x, options: [.sortedKeys])
            let dy = try? JSONSerialization.data(withJSONObject: y, options: [.sortedKeys])
            return dx != nil && dx == dy
        default: return false
        }
    }

    /// tomllib's reading of each text (nil: refused), or nil when python3 has no tomllib.
    static func tomllib(_ texts: [String], in dir: String) throws -> [Any?]? {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var paths: [String] = []
        for (i, t) in texts.enumerated() {
            let p = dir + "/doc\(i).toml"
            try Data(t.utf8).write(to: URL(fileURLWithPath: p))
            paths.append(p)
        }
        try JSONSerialization.data(withJSONObject: paths).write(to: URL(fileURLWithPath: dir + "/list.json"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", oracle, dir + "/list.json", dir + "/out.json"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let data = FileManager.default.contents(atPath: dir + "/out.json"),
            let out = (try? JSONSerialization.jsonObject(with: data)) as? [Any]
        else {
            FileHandle.standardError.write(
                Data("\n*** SKIPPED: comparing with tomllib needs python3 >= 3.11 ***\n\n".utf8))
            return nil
        }
        return out.map { $0 is NSNull ? nil : $0 }
    }

    // MARK: - What install and uninstall do

    static let table = ["mcp_servers", "codex-state"]
    static let trustKey = "/home/u/.codex/hooks.json:session_start:0:0"

    static func install(_ e: inout TOMLEditor) throws {
        try e.set(table, "command", .string("/usr/local/bin/codex-state"))
        try e.set(table, "args", .array([.string("mcp")]))
        try e.set(table, "default_tools_approval_mode", .string("approve"))
        try e.set(table, "omit_tools_from", .array([.string("deferred")]))
        try e.set(
            ["hooks", "state", trustKey], "trusted_hash", .string("sha256:" + String(repeating: "ab", count: 32)))
        try e.append(.string("/repo/.git"), to: ["sandbox_workspace_write"], "writable_roots")
    }

    static func uninstall(_ e: inout TOMLEditor, hadRoots: Bool) throws {
        try e.removeElements(from: ["sandbox_workspace_write"], "writable_roots") { $0 == .string("/repo/.git") }
        if !hadRoots, e.value(["sandbox_workspace_write"], "writable_roots")?.array?.isEmpty == true {
            try e.remove(["sandbox_workspace_write"], "writable_roots")
        }
        try e.remove(["hooks", "state", trustKey], "trusted_hash")
        for k in ["command", "args", "default_tools_approval_mode", "omit_tools_from"] { try e.remove(table, k) }
    }

    static func installed(_ root: TOMLValue) -> TOMLValue {
        var t = root.table ?? [:]
        var servers = t["mcp_servers"]?.table ?? [:]
        var ours = servers["codex-state"]?.table ?? [:]
        ours["command"] = .string("/usr/local/bin/codex-state")
        ours["args"] = .array([.string("mcp")])
        ours["default_tools_approval_mode"] = .string("approve")
        ours["omit_tools_from"] = .array([.string("deferred")])
        servers["codex-state"] = .table(ours)
        t["mcp_servers"] = .table(servers)
        var hooks = t["hooks"]?.table ?? [:]
        var state = hooks["state"]?.table ?? [:]
        state[trustKey] = .table(["trusted_hash": .string("sha256:" + String(repeating: "ab", count: 32))])
        hooks["state"] = .table(state)
        t["hooks"] = .table(hooks)
        var sandbox = t["sandbox_workspace_write"]?.table ?? [:]
        sandbox["writable_roots"] = .array((sandbox["writable_roots"]?.array ?? []) + [.string("/repo/.git")])
        t["sandbox_workspace_write"] = .table(sandbox)
        return .table(t)
    }

    // MARK: - The tests

    @Test(arguments: seeds) func generatedDocumentsReadAsTomllibReadsThemAndEditExactly(_ seed: UInt64) throws {
        var g = Generator(seed: seed)
        var docs: [(text: String, touchesOurs: Bool)] = []
        for _ in 0..<Self.documentsPerSeed { docs.append(g.document()) }
        var installedTexts: [String] = []
        var expectedInstalled: [Any] = []
        var parsed: [TOMLValue] = []
        for (i, doc) in docs.enumerated() {
            let root: TOMLValue
            do {
                root = try TOMLDocument(parsing: doc.text).root
            } catch {
                Issue.record("seed \(seed) doc \(i): refused a valid document: \(error)\n\(doc.text)")
                root = .table([:])
            }
            parsed.append(root)
            var e = try TOMLEditor(doc.text)
            let hadRoots = root.lookup(["sandbox_workspace_write", "writable_roots"]) != nil
            do {
                try Self.install(&e)
            } catch {
                Issue.record("seed \(seed) doc \(i): install refused: \(error)\n\(doc.text)")
                continue
            }
            installedTexts.append(e.text)
            expectedInstalled.append(Self.canonical(Self.installed(root)))
            // Line endings stay the file's own.
            if doc.text.contains("\r\n") {
                let scalars = Array(e.text.unicodeScalars)
                let bare = scalars.indices.contains { scalars[$0] == "\n" && ($0 == 0 || scalars[$0 - 1] != "\r") }
                #expect(!bare, "seed \(seed) doc \(i): a bare LF in a CRLF file:\n\(e.text)")
            }
            do {
                try Self.uninstall(&e, hadRoots: hadRoots)
            } catch {
                Issue.record("seed \(seed) doc \(i): uninstall refused: \(error)\n\(e.text)")
                continue
            }
            if !doc.touchesOurs {
                let endsOpen = !doc.text.isEmpty && !doc.text.hasSuffix("\n")
                if endsOpen {
                    #expect(e.text.hasPrefix(doc.text), "seed \(seed) doc \(i)")
                } else {
                    #expect(
                        e.text == doc.text,
                        "seed \(seed) doc \(i): uninstall after install is not exact:\n--- before\n\(doc.text)\n--- after\n\(e.text)"
                    )
                }
            }
        }
        // tomllib reads the originals as we do, and the installed files as the originals plus
        // exactly install's keys.
        let dir = NSTemporaryDirectory() + "/toml-fuzz-\(seed)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let theirs = try Self.tomllib(docs.map(\.text) + installedTexts, in: dir) else { return }
        for i in docs.indices {
            #expect(
                Self.same(theirs[i], Self.canonical(parsed[i])),
                "seed \(seed) doc \(i): tomllib reads it otherwise:\n\(docs[i].text)")
        }
        for (j, text) in installedTexts.enumerated() {
            #expect(
                Self.same(theirs[docs.count + j], expectedInstalled[j]),
                "seed \(seed) installed doc \(j): tomllib sees another change:\n\(text)")
        }
    }

    /// Random mutations of generated documents: ours refuses what tomllib refuses and reads what
    /// it reads; where the two differ (TOML 1.1, which Codex reads and tomllib does not), the
    /// real Codex CLI decides.
    @Test(arguments: seeds) func mutatedDocumentsAreRefusedExactlyWhenTheyShouldBe(_ seed: UInt64) throws {
        var g = Generator(seed: seed &+ 1)
        var rng = SeededRandom(seed: seed &* 31)
        var texts: [String] = []
        for _ in 0..<Self.documentsPerSeed * 2 {
            var scalars = Array(g.document().text.unicodeScalars)
            for _ in 0..<(1 + Int(rng.next() % 3)) where !scalars.isEmpty {
                let at = Int(rng.next() % UInt64(scalars.count))
                let pieces: [Unicode.Scalar] = [
                    "\"", "'", "[", "]", "{", "}", "=", ",", ".", "#", "\n", "\\", " ", "x", "1",
                ]
                switch rng.next() % 3 {
                case 0: scalars.remove(at: at)
                case 1: scalars.insert(pieces[Int(rng.next() % UInt64(pieces.count))], at: at)
                default: scalars[at] = pieces[Int(rng.next() % UInt64(pieces.count))]
                }
            }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            texts.append(String(view))
        }
        let dir = NSTemporaryDirectory() + "/toml-mutants-\(seed)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let theirs = try Self.tomllib(texts, in: dir) else { return }
        var disputed: [Int] = []
        for (i, text) in texts.enumerated() {
            let ours = try? TOMLDocument(parsing: text).root
            switch (ours, theirs[i]) {
            case (nil, nil): continue
            case (let o?, let t?):
                #expect(Self.same(Self.canonical(o), t), "seed \(seed) mutant \(i): read otherwise:\n\(text)")
            default: disputed.append(i)
            }
        }
        guard !disputed.isEmpty else { return }
        guard let codex = CodexCLI.binary else { return }
        for i in disputed {
            let home = dir + "/codex-\(i)"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try Data(texts[i].utf8).write(to: URL(fileURLWithPath: home + "/config.toml"))
            let codexAccepts = CodexCLI.accepts(codex, home: home)
            let oursAccepts = (try? TOMLDocument(parsing: texts[i])) != nil
            #expect(
                codexAccepts == oursAccepts,
                "seed \(seed) mutant \(i): Codex \(codexAccepts ? "reads" : "refuses") it, we \(oursAccepts ? "read" : "refuse") it:\n\(texts[i].debugDescription)"
            )
        }
    }
}

/// The real Codex CLI (`CODEX_BIN`), as a judge of what config.toml it accepts.
enum CodexCLI {
    static let binary: String? = {
        guard let b = ProcessInfo.processInfo.environment["CODEX_BIN"], FileManager.default.isExecutableFile(atPath: b)
        else {
            FileHandle.standardError.write(
                Data("\n*** SKIPPED: asking the real Codex CLI needs CODEX_BIN; .ci/run installs it ***\n\n".utf8))
            return nil
        }
        return b
    }()

    /// Whether Codex loads `home/config.toml` (`codex mcp list` reads the whole configuration).
    static func accepts(_ codex: String, home: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: codex)
        p.arguments = ["mcp", "list", "--json"]
        p.environment = ["CODEX_HOME": home, "HOME": home, "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
