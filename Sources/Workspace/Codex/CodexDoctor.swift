import Foundation
import StateModel
import StateStore

/// What `codex doctor` found: every hook Codex would run or silently skip, and why.
public struct CodexFinding: Sendable, Equatable, Encodable {
    public enum Level: String, Sendable, Encodable {
        case ok
        /// Codex will skip or refuse it, silently.
        case problem
        case note
    }

    public var level: Level
    public var subject: String
    public var detail: String
}

public struct CodexDoctor: Sendable {
    public var installer: CodexInstaller

    public init(installer: CodexInstaller) { self.installer = installer }

    public func run() -> [CodexFinding] {
        var out: [CodexFinding] = []
        let paths = installer.paths
        if paths.home != paths.realHome {
            out.append(
                CodexFinding(
                    level: .note, subject: "CODEX_HOME",
                    detail: "\(paths.home) resolves to \(paths.realHome); trust keys must name the real path"))
        }
        if let big = [paths.config, paths.hooksFile].first(where: { Self.size($0) > Limits.codexConfigBytes }) {
            out.append(
                CodexFinding(
                    level: .problem, subject: big,
                    detail:
                        "larger than \(Limits.codexConfigBytes >> 20) MiB: not read (a Codex configuration is far smaller)"
                ))
            return out
        }
        guard let configText = try? String(contentsOfFile: paths.config, encoding: .utf8) else {
            out.append(
                CodexFinding(
                    level: .problem, subject: paths.config,
                    detail: "missing or unreadable: nothing is installed (run codex-state codex install)"))
            return out
        }
        let root: TOMLValue
        do {
            root = try TOMLDocument(parsing: configText).root
        } catch let e as TOMLError {
            out.append(
                CodexFinding(
                    level: .problem, subject: paths.config,
                    detail: "line \(e.line), column \(e.column): \(e.problem): Codex refuses to start"))
            return out
        } catch {
            return out
        }
        let state = root.lookup(["hooks", "state"])?.table ?? [:]
        var expectedKeys = Set<String>()

        // Every hook Codex loads: config.toml's own [hooks], the user hooks.json, the project's.
        var sources: [(file: String, groups: [CodexHookGroup], needsTrustedProject: Bool)] = [
            (realPath(paths.config) ?? paths.config, codexHookGroups(toml: root), false)
        ]
        // With --project, the project's config.toml may hold hooks too (install puts ours there
        // when the project's hooks are written that way).
        if let root = projectRoot,
            let text = try? String(contentsOfFile: root + "/.codex/config.toml", encoding: .utf8),
            let parsed = try? TOMLDocument(parsing: text).root
        {
            let file = root + "/.codex/config.toml"
            sources.append((realPath(file) ?? file, codexHookGroups(toml: parsed), true))
        }
        for (file, project) in hookFiles() {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                out.append(
                    CodexFinding(level: .problem, subject: file, detail: "not a JSON object: Codex cannot load it"))
                continue
            }
            sources.append((realPath(file) ?? file, codexHookGroups(json: obj), project))
        }
        for (file, groups, project) in sources {
            for g in groups {
                for (h, handler) in g.handlers.enumerated() {
                    let key = CodexTrust.key(file: file, event: g.event, group: g.index, handler: h)
                    expectedKeys.insert(key)
                    let want = CodexTrust.hash(event: g.event, matcher: g.matcher, handler: handler)
                    let have = state[key]?.table?["trusted_hash"]?.string
                    let name = "\(g.event.rawValue) hook \(g.index):\(h) in \(file)"
                    if project, !projectTrusted(root) {
                        out.append(
                            CodexFinding(
                                level: .problem, subject: name,
                                detail:
                                    "skipped: the project is not trusted ([projects.\"\(projectRoot ?? "")\"] trust_level = \"trusted\")"
                            ))
                    } else if have == nil {
                        out.append(
                            CodexFinding(
                                level: .problem, subject: name,
                                detail:
                                    "skipped silently: no trusted_hash for \(key) (run codex-state codex install, or trust it in Codex's /hooks)"
                            ))
                    } else if have != want {
                        out.append(
                            CodexFinding(
                                level: .problem, subject: name,
                                detail:
                                    "skipped silently: its trusted_hash is for another command (it changed since it was trusted); expected \(want)"
                            ))
                    } else {
                        out.append(CodexFinding(level: .ok, subject: name, detail: "trusted: \(handler.command)"))
                    }
                }
            }
        }
        for key in state.keys.sorted() where !expectedKeys.contains(key) {
            let file = key.split(separator: ":").first.map(String.init) ?? key
            let real = realPath(file)
            let why =
                real != nil && real != file
                ? "names \(file), not its real path \(real ?? ""): Codex never matches it"
                : "matches no hook Codex loads (a removed hook, or a group that moved)"
            out.append(CodexFinding(level: .note, subject: "trust entry \(key)", detail: why))
        }

        // The MCP server, where install put it (the project's config with --project).
        var serverRoot = root
        var serverFile = paths.config
        if installer.entriesConfig != paths.config {
            serverFile = installer.entriesConfig
            serverRoot =
                (try? String(contentsOfFile: serverFile, encoding: .utf8)).flatMap {
                    try? TOMLDocument(parsing: $0).root
                } ?? .table([:])
        }
        let server = serverRoot.lookup(["mcp_servers", CodexInstaller.serverName])?.table
        if let server {
            let cmd = server["command"]?.string ?? ""
            if !cmd.hasPrefix("/") || !FileManager.default.isExecutableFile(atPath: cmd) {
                out.append(
                    CodexFinding(
                        level: .problem, subject: "MCP server codex-state",
                        detail:
                            "command '\(cmd)' is not an absolute path to an executable (MCP servers start with a filtered environment: a PATH of Codex's choosing, none of CODEX_HOME or CODEX_STATE_ACTOR)"
                    ))
            } else if !FileManager.default.isExecutableFile(atPath: mcpServerBinary(beside: cmd)) {
                // `codex-state mcp` runs the server binary installed beside it.
                out.append(
                    CodexFinding(
                        level: .problem, subject: "MCP server codex-state",
                        detail:
                            "\(mcpServerBinary(beside: cmd)) is missing: codex-state mcp runs it (install it next to \(cmd))"
                    ))
            } else {
                out.append(CodexFinding(level: .ok, subject: "MCP server codex-state", detail: cmd))
            }
            if server["default_tools_approval_mode"]?.string != "approve" {
                out.append(
                    CodexFinding(
                        level: .problem, subject: "MCP server codex-state",
                        detail:
                            "default_tools_approval_mode is not \"approve\": under codex exec the write tools fail \"requires approval\""
                    ))
            }
            if !(server["omit_tools_from"]?.array ?? []).contains(.string("deferred")) {
                out.append(
                    CodexFinding(
                        level: .note, subject: "MCP server codex-state",
                        detail: "tools are deferred behind tool_search (omit_tools_from = [\"deferred\"] lists them)"))
            }
        } else {
            out.append(
                CodexFinding(
                    level: .problem, subject: "MCP server codex-state",
                    detail: "not registered in \(serverFile) (run codex-state codex install)"))
        }

        out += actorFindings(root: root, serverRoot: serverRoot, sources: sources)

        // Writes from the shell tool: this worktree's own git dir and the common one (Codex
        // keeps a linked worktree's `.git/worktrees/NAME` read-only unless it is listed itself).
        let roots = root.lookup(["sandbox_workspace_write", "writable_roots"])?.array ?? []
        let missing = installer.ownGitDirs.filter { !roots.contains(.string($0)) }
        if installer.ownGitDirs.isEmpty {
            // Not in a repository: no git dir to check.
        } else if missing.isEmpty {
            out.append(
                CodexFinding(
                    level: .ok, subject: "sandbox",
                    detail: installer.ownGitDirs.joined(separator: " and ") + " writable in workspace-write"))
        } else {
            // Half listed (install ran in another worktree, or before this one was added): the
            // shell's writes fail here although the setup looks done.
            let some = missing.count < installer.ownGitDirs.count
            out.append(
                CodexFinding(
                    level: some ? .problem : .note, subject: "sandbox",
                    detail:
                        "\(missing.joined(separator: " and ")) read-only in workspace-write: codex-state writes and git commit from the shell tool fail there (the MCP tools work; run codex-state codex install in this worktree to add it)"
                ))
        }
        return out
    }

    /// Where each installed part names its actor: the MCP server's `--actor`, each of our hook
    /// commands' `--actor`, the shell tool's `CODEX_STATE_ACTOR`.
    public func installedActors() -> [(part: String, actor: String?)] {
        let paths = installer.paths
        guard let text = try? String(contentsOfFile: paths.config, encoding: .utf8),
            let root = try? TOMLDocument(parsing: text).root
        else { return [] }
        var serverRoot = root
        if installer.entriesConfig != paths.config {
            serverRoot =
                (try? String(contentsOfFile: installer.entriesConfig, encoding: .utf8)).flatMap {
                    try? TOMLDocument(parsing: $0).root
                } ?? .table([:])
        }
        var sources = [codexHookGroups(toml: root)]
        for (file, _) in hookFiles() {
            if let data = FileManager.default.contents(atPath: file),
                let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                sources.append(codexHookGroups(json: obj))
            }
        }
        return actorParts(root: root, serverRoot: serverRoot, groups: sources.flatMap { $0 }).filter {
            $0.actor != nil
        }
    }

    func actorParts(root: TOMLValue, serverRoot: TOMLValue, groups: [CodexHookGroup]) -> [(
        part: String, actor: String?
    )] {
        var parts: [(String, String?)] = []
        if let args = serverRoot.lookup(["mcp_servers", CodexInstaller.serverName, "args"])?.array {
            let words = args.compactMap(\.string)
            let i = words.firstIndex(of: "--actor")
            parts.append(("MCP server", i.flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }))
        }
        for (_, mode, _) in CodexInstaller.installed {
            for g in groups {
                for h in g.handlers where CodexInstaller.isOurs(h.command, mode: mode) {
                    parts.append(("\(g.event.rawValue) hook", CodexInstaller.actor(inHookCommand: h.command)))
                }
            }
        }
        let shell = root.lookup(CodexInstaller.shellActorTable + [CodexInstaller.actorVariable])?.string
        parts.append(("shell tool", shell))
        return parts
    }

    /// One actor across MCP, hooks and shell (issue 18, item 6), or a problem naming the parts
    /// that differ.
    func actorFindings(
        root: TOMLValue, serverRoot: TOMLValue,
        sources: [(file: String, groups: [CodexHookGroup], needsTrustedProject: Bool)]
    ) -> [CodexFinding] {
        let parts = actorParts(root: root, serverRoot: serverRoot, groups: sources.flatMap(\.groups))
        guard parts.count > 1 || parts.first?.actor != nil else { return [] }
        let actors = Set(parts.map { $0.actor ?? "" })
        if actors.count == 1, let a = parts.first?.actor {
            return [
                CodexFinding(
                    level: .ok, subject: "actor", detail: "\(a) (\(parts.map(\.part).joined(separator: ", ")))")
            ]
        }
        let each = parts.map { "\($0.part): \($0.actor ?? "none")" }.joined(separator: ", ")
        return [
            CodexFinding(
                level: .problem, subject: "actor",
                detail:
                    "Codex acts under more than one name (\(each)): next ranks differently by way of asking; run codex-state codex install"
            )
        ]
    }

    /// A file's size as `stat` reports it through links (Codex follows them); 0 when absent.
    static func size(_ path: String) -> Int {
        Int(Files.stamp(path)?.size ?? 0)
    }

    var projectRoot: String? {
        if case .project(let root) = installer.scope { return root }
        return nil
    }

    /// The MCP server executable `codex-state mcp` runs: the one in the same directory as `binary`.
    func mcpServerBinary(beside binary: String) -> String {
        (binary.lastIndex(of: "/").map { String(binary[...$0]) } ?? "") + "codex-state-mcp"
    }

    func hookFiles() -> [(String, Bool)] {
        var files = [(installer.paths.hooksFile, false)]
        if let root = projectRoot { files.append((root + "/.codex/hooks.json", true)) }
        return files
    }

    func projectTrusted(_ root: TOMLValue) -> Bool {
        guard let r = projectRoot else { return true }
        let projects = root.lookup(["projects"])?.table ?? [:]
        return [r, realPath(r) ?? r].contains { projects[$0]?.table?["trust_level"]?.string == "trusted" }
    }
}
