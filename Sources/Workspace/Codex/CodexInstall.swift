import Foundation
import GitKit
import StateModel
import StateStore

typealias StoreFiles = Files

/// Failures of `codex install|uninstall|doctor` that name the file and what to do.
public struct CodexSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One file `codex install` or `uninstall` changes.
public struct CodexFileChange: Sendable, Equatable {
    public var path: String
    /// Nil: the file does not exist yet.
    public var before: String?
    /// Nil: the file is removed.
    public var after: String?
    public var mode: mode_t

    public var diff: String { lineDiff(before ?? "", after ?? "", label: path) }
}

/// Registers codex-state with Codex: the MCP server and the SessionStart/SessionEnd hooks (with
/// the trusted hashes Codex needs), and the repository's git directory as a writable root of the
/// `workspace-write` sandbox. docs/codex.md lists every key.
public struct CodexInstaller: Sendable {
    public enum Scope: Sendable, Equatable {
        /// `$CODEX_HOME/config.toml` and `$CODEX_HOME/hooks.json`: every repository.
        case user
        /// `<repo>/.codex/config.toml` and `<repo>/.codex/hooks.json` (Codex reads them only
        /// when the project is trusted); the trusted hashes still go to the user config.
        case project(root: String)
    }

    public static let serverName = "codex-state"
    /// The events installed, in order, with each handler's timeout in seconds.
    public static let installed: [(CodexHookEvent, String, Int)] = [
        (.sessionStart, "session-start", 30), (.sessionEnd, "session-end", 3),
    ]
    static let serverKeys = ["command", "args", "default_tools_approval_mode", "omit_tools_from"]

    public var paths: CodexPaths
    public var scope: Scope
    /// The absolute path of this binary.
    public var binary: String
    /// The one actor Codex acts as (issue 18, item 6): written into the MCP server's arguments,
    /// the hook commands and the shell tool's environment (`shell_environment_policy.set`), so
    /// `next` ranks the same for the agent whichever way it asks. Nil: none is set (uninstall,
    /// doctor read what is there).
    public var actor: String?
    /// The git directories to make writable in `workspace-write`: the repository's common dir
    /// and every linked worktree's own (`.git/worktrees/NAME`, where its index, HEAD and our
    /// lock live; Codex keeps it read-only even with the common dir listed).
    public var gitDirs: [String]
    /// The git directories of the worktree install or doctor runs in (its own and the common
    /// one): doctor's check that its shell writes work.
    public var ownGitDirs: [String]
    /// The repository's working tree, when install runs in one: a file it writes there
    /// (`--project`'s `.codex/`) passes the tree's check.
    public var tree: WorkingTree?

    public init(
        paths: CodexPaths, scope: Scope, binary: String, actor: String?, gitDirs: [String], ownGitDirs: [String],
        tree: WorkingTree? = nil
    ) {
        self.paths = paths
        self.scope = scope
        self.binary = binary
        self.actor = actor
        func real(_ dirs: [String]) -> [String] {
            var seen = Set<String>()
            return dirs.map { realPath($0) ?? Self.trimmed($0) }.filter { seen.insert($0).inserted }
        }
        self.gitDirs = real(gitDirs)
        self.ownGitDirs = real(ownGitDirs)
        self.tree = tree
    }

    /// The installer for the clone holding `directory` (or none: outside a repository, for
    /// `--user`), with its git directories: the common one and every worktree's own, each
    /// opened by git's rules (a worktree added later is covered by running install again). Nil
    /// when `project` is asked outside a working tree.
    public static func forRepository(
        containing directory: String, project: Bool, binary: String, actor: String?, environment: [String: String]
    ) throws -> CodexInstaller? {
        let repo: Repository?
        do {
            repo = try Repository.discover(from: directory)
        } catch is NotARepository {
            repo = nil
        }
        if project, repo?.workdir == nil { return nil }
        var root = repo?.workdir ?? directory
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        var gitDirs: [String] = []
        var own: [String] = []
        if let repo {
            own = [repo.commonDir, repo.gitDir]
            gitDirs = own
            // A locked worktree whose directory is gone (git keeps its record) has nothing to write.
            for other in try repo.otherWorktrees() where StoreFiles.exists(other.path) {
                gitDirs.append(try Repository.discover(from: other.path).gitDir)
            }
        }
        return CodexInstaller(
            paths: CodexPaths(environment: environment), scope: project ? .project(root: root) : .user,
            binary: binary, actor: actor, gitDirs: gitDirs, ownGitDirs: own,
            tree: repo?.workdir.map {
                WorkingTree(root: $0, gitDirs: [repo?.gitDir, repo?.commonDir].compactMap { $0 })
            })
    }

    static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// The environment variable the shell tool gets the actor from.
    static let actorVariable = "CODEX_STATE_ACTOR"
    static let shellActorTable = ["shell_environment_policy", "set"]

    var entriesConfig: String {
        switch scope {
        case .user: return paths.config
        case .project(let root): return root + "/.codex/config.toml"
        }
    }

    var hooksFile: String {
        switch scope {
        case .user: return paths.hooksFile
        case .project(let root): return root + "/.codex/hooks.json"
        }
    }

    /// Trust keys name the real path of the defining file.
    var hooksKeyPath: String {
        let dir = (hooksFile as NSString).deletingLastPathComponent
        return (realPath(dir) ?? dir) + "/hooks.json"
    }

    var manifestPath: String { paths.realHome + "/codex-state-install.json" }

    public func command(_ mode: String) -> String {
        shellQuote(binary) + " codex hook " + mode + (actor.map { " --actor " + shellQuote($0) } ?? "")
    }

    /// Whether a hook command is one of ours (any binary named codex-state, any install, with or
    /// without `--actor`).
    static func isOurs(_ command: String, mode: String) -> Bool {
        guard let r = command.range(of: " codex hook " + mode) else { return false }
        let rest = command[r.upperBound...]
        guard rest.isEmpty || rest.hasPrefix(" --actor ") else { return false }
        let program = String(command[..<r.lowerBound])
        return program.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")).hasSuffix("codex-state")
    }

    /// The `--actor` of one of our hook commands (as `command(_:)` quotes it), if any.
    static func actor(inHookCommand command: String) -> String? {
        guard let r = command.range(of: " --actor ", options: .backwards) else { return nil }
        return shellUnquote(String(command[r.upperBound...]))
    }

    // MARK: - Install

    /// Trust keys of hooks defined in the entries' config.toml name its real path.
    var configKeyPath: String { realPath(entriesConfig) ?? entriesConfig }

    public func installChanges() throws -> [CodexFileChange] {
        var files = try Edit(self)
        // Hooks: replace ours in place, else append after the user's groups (trust keys are indices).
        var trust: [(String, String)] = []
        // Where the user's hooks already are (Codex warns on every session when one layer has
        // both): config.toml's [[hooks.<Event>]] when it holds some and hooks.json none.
        let inConfig = files.hooksInConfig
        for (event, mode, timeout) in Self.installed where inConfig {
            let handler = CodexHookHandler(command: command(mode), timeout: timeout)
            let groups = codexHookGroups(toml: files.entriesRoot).filter { $0.event == event }
            let index: Int
            if let g = groups.first(where: { $0.handlers.first.map { Self.isOurs($0.command, mode: mode) } ?? false }) {
                index = g.index
                let base: TOMLPath = [.key("hooks"), .key(event.rawValue), .index(index), .key("hooks"), .index(0)]
                if g.handlers.first?.command != handler.command {
                    try files.entries { try $0.replace(at: base + [.key("command")], with: .string(handler.command)) }
                }
                if g.handlers.first?.timeout != timeout {
                    try files.entries { try $0.replace(at: base + [.key("timeout")], with: .integer(Int64(timeout))) }
                }
            } else {
                index = groups.count
                let entry: TOMLValue = .table([
                    "type": .string("command"), "command": .string(handler.command),
                    "timeout": .integer(Int64(timeout)),
                ])
                try files.entries { try $0.appendArrayTable(["hooks", event.rawValue], [("hooks", .array([entry]))]) }
            }
            trust.append(
                (
                    CodexTrust.key(file: configKeyPath, event: event, group: index, handler: 0),
                    CodexTrust.hash(event: event, matcher: nil, handler: handler)
                ))
        }
        for (event, mode, timeout) in Self.installed where !inConfig {
            let handler = CodexHookHandler(command: command(mode), timeout: timeout)
            let groups = files.hooks.groups(event.rawValue)
            let group: [String: Any] = [
                "hooks": [["type": "command", "command": handler.command, "timeout": timeout] as [String: Any]]
            ]
            let index: Int
            if let i = groups.firstIndex(where: { Self.groupCommand($0).map { Self.isOurs($0, mode: mode) } ?? false })
            {
                if !((groups[i] as? NSDictionary)?.isEqual(to: group) ?? false) {
                    try files.hooksEdit { try $0.replace(group: i, of: event.rawValue, with: group) }
                }
                index = i
            } else {
                try files.hooksEdit { try $0.append(group: group, to: event.rawValue) }
                index = groups.count
            }
            trust.append(
                (
                    CodexTrust.key(file: hooksKeyPath, event: event, group: index, handler: 0),
                    CodexTrust.hash(event: event, matcher: nil, handler: handler)
                ))
        }
        for (key, hash) in trust {
            try files.userConfig { try $0.set(["hooks", "state", key], "trusted_hash", .string(hash)) }
        }
        var args: [TOMLValue] = [.string("mcp")]
        if case .project(let root) = scope { args += [.string("--repo"), .string(root)] }
        if let a = actor { args += [.string("--actor"), .string(a)] }
        let table = ["mcp_servers", Self.serverName]
        try files.entries {
            try $0.set(table, "command", .string(binary))
            try $0.set(table, "args", .array(args))
            try $0.set(table, "default_tools_approval_mode", .string("approve"))
            try $0.set(table, "omit_tools_from", .array([.string("deferred")]))
        }
        // The shell tool's commands act as the same actor (hooks and MCP have it in their
        // command lines). Codex passes `shell_environment_policy.set` to every command it runs.
        if let a = actor, files.user.value(Self.shellActorTable, Self.actorVariable) != .string(a) {
            if files.user.value(Self.shellActorTable, Self.actorVariable) == nil { files.manifest.setShellActor = true }
            try files.userConfig { try $0.set(Self.shellActorTable, Self.actorVariable, .string(a)) }
        }
        for g in gitDirs {
            let roots = files.user.value(["sandbox_workspace_write"], "writable_roots")
            if roots == nil { files.manifest.createdRootsKey = true }
            if !(roots?.array ?? []).contains(.string(g)) {
                try files.userConfig { try $0.append(.string(g), to: ["sandbox_workspace_write"], "writable_roots") }
                files.manifest.addedRoots.insert(g)
            }
        }
        return try files.changes()
    }

    // MARK: - Uninstall

    /// Removes exactly what install added; the user's groups after ours keep their trust (their
    /// keys move with their new indices).
    public func uninstallChanges() throws -> [CodexFileChange] {
        var files = try Edit(self)
        // Ours in config.toml's [[hooks.<Event>]] (installed where the user's hooks were).
        for (event, mode, _) in Self.installed {
            let groups = codexHookGroups(toml: files.entriesRoot).filter { $0.event == event }
            var kept = 0
            var ours: [Int] = []
            for g in groups {
                let key = { (group: Int, h: Int) in
                    ["hooks", "state", CodexTrust.key(file: configKeyPath, event: event, group: group, handler: h)]
                }
                if g.handlers.first.map({ Self.isOurs($0.command, mode: mode) }) ?? false {
                    ours.append(g.index)
                    for h in 0..<max(g.handlers.count, 1) {
                        try files.userConfig { try $0.remove(key(g.index, h), "trusted_hash") }
                    }
                    continue
                }
                if kept != g.index {
                    for h in 0..<g.handlers.count {
                        guard let v = files.user.value(key(g.index, h), "trusted_hash") else { continue }
                        try files.userConfig {
                            try $0.remove(key(g.index, h), "trusted_hash")
                            try $0.set(key(kept, h), "trusted_hash", v)
                        }
                    }
                }
                kept += 1
            }
            for i in ours.reversed() {
                try files.entries { try $0.removeArrayTable(["hooks", event.rawValue], at: i) }
            }
        }
        for (event, mode, _) in Self.installed {
            let groups = files.hooks.groups(event.rawValue)
            var kept = 0
            var moves: [(Int, Int)] = []
            var ours: [Int] = []
            for (i, g) in groups.enumerated() {
                let handlers = ((g as? [String: Any])?["hooks"] as? [Any])?.count ?? 0
                if Self.groupCommand(g).map({ Self.isOurs($0, mode: mode) }) ?? false {
                    ours.append(i)
                    for h in 0..<max(handlers, 1) {
                        let key = [
                            "hooks", "state", CodexTrust.key(file: hooksKeyPath, event: event, group: i, handler: h),
                        ]
                        try files.userConfig { try $0.remove(key, "trusted_hash") }
                    }
                } else {
                    if kept != i { moves.append((i, kept)) }
                    kept += 1
                }
            }
            for (from, to) in moves {
                let handlers = ((groups[from] as? [String: Any])?["hooks"] as? [Any])?.count ?? 0
                for h in 0..<handlers {
                    let old = [
                        "hooks", "state", CodexTrust.key(file: hooksKeyPath, event: event, group: from, handler: h),
                    ]
                    guard let v = files.user.value(old, "trusted_hash") else { continue }
                    let new = [
                        "hooks", "state", CodexTrust.key(file: hooksKeyPath, event: event, group: to, handler: h),
                    ]
                    try files.userConfig {
                        try $0.remove(old, "trusted_hash")
                        try $0.set(new, "trusted_hash", v)
                    }
                }
            }
            for i in ours.reversed() { try files.hooksEdit { try $0.remove(group: i, of: event.rawValue) } }
        }
        let table = ["mcp_servers", Self.serverName]
        try files.entries { editor in for k in Self.serverKeys { try editor.remove(table, k) } }
        if !files.manifest.addedRoots.isEmpty {
            let added = files.manifest.addedRoots
            let createdKey = files.manifest.createdRootsKey
            try files.userConfig { editor in
                try editor.removeElements(from: ["sandbox_workspace_write"], "writable_roots") {
                    $0.string.map(added.contains) ?? false
                }
                // The key goes only when install wrote it: `writable_roots = []` of the user's stays.
                if createdKey,
                    editor.value(["sandbox_workspace_write"], "writable_roots")?.array?.isEmpty == true
                {
                    try editor.remove(["sandbox_workspace_write"], "writable_roots")
                }
            }
        }
        if files.manifest.setShellActor {
            try files.userConfig { try $0.remove(Self.shellActorTable, Self.actorVariable) }
        }
        files.manifest.addedRoots = []
        files.uninstalling = true
        return try files.changes()
    }

    static func groupCommand(_ group: Any) -> String? {
        ((group as? [String: Any])?["hooks"] as? [Any])?.first.flatMap { ($0 as? [String: Any])?["command"] as? String }
    }

    /// The backup install keeps of a file it changes.
    static func backup(of path: String) -> String { path + ".codex-state.bak" }

    /// Writes the changes, every file atomically with its mode kept. Install first keeps a
    /// backup of each file it changes (`<file>.codex-state.bak`, the bytes before); uninstall
    /// restores the files exactly and removes those backups (they hold the configuration it has
    /// just taken out).
    public func apply(_ changes: [CodexFileChange], uninstalling: Bool = false) throws {
        // Every path first: a file in the working tree behind a committed link stops it all.
        for c in changes {
            do {
                try tree?.check(c.path)
                try tree?.check(Self.backup(of: c.path))
            } catch let e as StoreError {
                throw CodexSetupError("\(e); nothing changed")
            }
        }
        for c in changes {
            let dir = (c.path as NSString).deletingLastPathComponent
            if c.after != nil, !StoreFiles.exists(dir) {
                do { try CodexFiles.makeDirectory(dir, in: tree) } catch {
                    throw CodexSetupError("\(dir): cannot create the directory: \(Self.reason(error))")
                }
            }
            if !uninstalling, let before = c.before, c.after != before, !c.path.hasSuffix("codex-state-install.json") {
                try write(Array(before.utf8), to: Self.backup(of: c.path), mode: c.mode)
            }
            if let after = c.after {
                try write(Array(after.utf8), to: c.path, mode: c.mode)
            } else if StoreFiles.exists(c.path) {
                do { try CodexFiles.remove(c.path, in: tree) } catch {
                    throw CodexSetupError("\(c.path): cannot remove: \(Self.reason(error))")
                }
            }
            if uninstalling, !c.path.hasSuffix("codex-state-install.json") {
                do { try CodexFiles.remove(Self.backup(of: c.path), in: tree) } catch {
                    throw CodexSetupError("\(Self.backup(of: c.path)): cannot remove: \(Self.reason(error))")
                }
            }
        }
    }

    /// What went wrong with a file, without its path (the message names it already).
    static func reason(_ error: Error) -> String {
        if case StoreError.io(_, _, let reason) = error { return reason }
        return "\(error)"
    }

    func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        do {
            try CodexFiles.write(bytes, to: path, mode: mode, in: tree)
        } catch let e as StoreError {
            throw CodexSetupError("\(e); nothing else was changed after this file")
        }
    }

    // MARK: - The files, read once

    struct Manifest: Codable {
        var addedRoots: Set<String> = []
        var createdHooksFile = false
        /// Install wrote the `writable_roots` key itself (the user had none).
        var createdRootsKey = false
        /// Install set `shell_environment_policy.set.CODEX_STATE_ACTOR` (the user had none).
        var setShellActor = false

        enum CodingKeys: String, CodingKey {
            case addedRoots = "added_writable_roots"
            case createdHooksFile = "created_hooks_file"
            case createdRootsKey = "created_writable_roots"
            case setShellActor = "set_shell_actor"
        }

        init() {}

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            addedRoots = try c.decodeIfPresent(Set<String>.self, forKey: .addedRoots) ?? []
            createdHooksFile = try c.decodeIfPresent(Bool.self, forKey: .createdHooksFile) ?? false
            createdRootsKey = try c.decodeIfPresent(Bool.self, forKey: .createdRootsKey) ?? false
            setShellActor = try c.decodeIfPresent(Bool.self, forKey: .setShellActor) ?? false
        }
    }

    struct Edit {
        let installer: CodexInstaller
        /// The user's config.toml (trust, writable roots; the entries too unless --project).
        var user: TOMLEditor
        let userBefore: String?
        let userMode: mode_t
        /// The project's config.toml with --project.
        var project: TOMLEditor?
        let projectBefore: String?
        let projectMode: mode_t
        var hooks: HooksJSONEditor
        let hooksBefore: String?
        let hooksMode: mode_t
        var manifest: Manifest
        let manifestBefore: String?
        var uninstalling = false

        init(_ installer: CodexInstaller) throws {
            self.installer = installer
            let home = installer.paths.realHome
            if StoreFiles.exists(home), access(home, W_OK) != 0 {
                throw CodexSetupError(
                    "\(installer.paths.home) (CODEX_HOME) is not writable; nothing changed. Make it writable, or set CODEX_HOME to the Codex home you use"
                )
            }
            (userBefore, userMode) = try Self.read(installer.paths.config, defaultMode: 0o600)
            user = try Self.editor(userBefore, installer.paths.config)
            if installer.entriesConfig != installer.paths.config {
                (projectBefore, projectMode) = try Self.read(installer.entriesConfig, defaultMode: 0o644)
                project = try Self.editor(projectBefore, installer.entriesConfig)
            } else {
                (projectBefore, projectMode) = (nil, 0o644)
            }
            (hooksBefore, hooksMode) = try Self.read(installer.hooksFile, defaultMode: 0o644)
            do {
                hooks = try HooksJSONEditor(hooksBefore ?? "")
            } catch {
                throw CodexSetupError(
                    "\(installer.hooksFile): not a JSON object; nothing changed (fix or move it, then run again)")
            }
            if hooks.value["hooks"] != nil, !(hooks.value["hooks"] is [String: Any]) {
                throw CodexSetupError("\(installer.hooksFile): \"hooks\" is not an object; nothing changed")
            }
            (manifestBefore, _) = try Self.read(installer.manifestPath, defaultMode: 0o644)
            manifest =
                manifestBefore.flatMap { try? JSONDecoder().decode(Manifest.self, from: Data($0.utf8)) } ?? Manifest()
            if hooksBefore == nil { manifest.createdHooksFile = true }
        }

        /// The config.toml holding the MCP server entry (and our hooks when they live there).
        var entriesRoot: TOMLValue { (project ?? user).root }

        /// Whether hooks go into config.toml's `[[hooks.<Event>]]`: it holds hook groups and the
        /// hooks file beside it none.
        var hooksInConfig: Bool {
            !codexHookGroups(toml: entriesRoot).isEmpty && codexHookGroups(json: hooks.value).isEmpty
        }

        /// Edits the user's config.toml; a refused edit names the file.
        mutating func userConfig(_ body: (inout TOMLEditor) throws -> Void) throws {
            do { try body(&user) } catch let e as TOMLEditError {
                throw CodexSetupError("\(installer.paths.config): \(e)")
            }
        }

        /// Edits the file that holds the MCP server entry (the project's with --project).
        mutating func entries(_ body: (inout TOMLEditor) throws -> Void) throws {
            guard var p = project else { return try userConfig(body) }
            do { try body(&p) } catch let e as TOMLEditError {
                throw CodexSetupError("\(installer.entriesConfig): \(e)")
            }
            project = p
        }

        mutating func hooksEdit(_ body: (inout HooksJSONEditor) throws -> Void) throws {
            do { try body(&hooks) } catch {
                throw CodexSetupError("\(installer.hooksFile): \(error)")
            }
        }

        static func read(_ path: String, defaultMode: mode_t) throws -> (String?, mode_t) {
            guard StoreFiles.exists(path) else { return (nil, defaultMode) }
            var st = stat()
            let mode = stat(path, &st) == 0 ? st.st_mode & 0o7777 : defaultMode
            do {
                let bytes = try StoreFiles.read(path, limit: Limits.codexConfigBytes)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw CodexSetupError("\(path): not UTF-8 text; nothing changed")
                }
                return (text, mode)
            } catch let e as StoreError {
                throw CodexSetupError("\(e); nothing changed")
            }
        }

        static func editor(_ text: String?, _ path: String) throws -> TOMLEditor {
            do { return try TOMLEditor(text ?? "") } catch let e as TOMLError {
                throw CodexSetupError(
                    "\(path):\(e.line):\(e.column): \(e.problem); not changed (fix it, then run again)")
            }
        }

        func changes() throws -> [CodexFileChange] {
            var out: [CodexFileChange] = []
            // A config file left with nothing but blank lines by uninstall goes (install created it).
            func orNil(_ text: String) -> String? {
                uninstalling && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : text
            }
            // Entries first (a project file), then the user config holding the trust.
            if let p = project, p.text != (projectBefore ?? "") {
                out.append(
                    CodexFileChange(
                        path: installer.entriesConfig, before: projectBefore, after: orNil(p.text), mode: projectMode))
            }
            if user.text != (userBefore ?? "") {
                out.append(
                    CodexFileChange(
                        path: installer.paths.config, before: userBefore, after: orNil(user.text), mode: userMode))
            }
            let hooksText: String? =
                uninstalling && manifest.createdHooksFile && hooks.value.isEmpty ? nil : hooks.text
            if hooksText != hooksBefore, !(hooksBefore == nil && (hooksText ?? "").isEmpty) {
                out.append(
                    CodexFileChange(path: installer.hooksFile, before: hooksBefore, after: hooksText, mode: hooksMode))
            }
            // What install added that uninstall must know (the writable roots it appended).
            let manifestText: String?
            if uninstalling {
                manifestText = nil
            } else {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                manifestText = String(decoding: try enc.encode(manifest), as: UTF8.self) + "\n"
            }
            if manifestText != manifestBefore, uninstalling || !out.isEmpty {
                out.append(
                    CodexFileChange(
                        path: installer.manifestPath, before: manifestBefore, after: manifestText, mode: 0o644))
            }
            return out
        }
    }
}

/// A word the shell passes through unchanged.
public func shellQuote(_ s: String) -> String {
    let safe =
        !s.isEmpty
        && s.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
                || "/._-+:=@%,".unicodeScalars.contains(c)
        }
    return safe ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The word ``shellQuote(_:)`` quoted.
func shellUnquote(_ s: String) -> String {
    guard s.hasPrefix("'"), s.hasSuffix("'"), s.count >= 2 else { return s }
    return String(s.dropFirst().dropLast()).replacingOccurrences(of: "'\\''", with: "'")
}

extension Workspace {
    /// Writes the agent skill (`.agents/skills/codex-state/SKILL.md`) unless it already holds
    /// `text`. Returns its path and whether it was written.
    public func writeSkill(_ text: String) throws -> (path: String, changed: Bool) {
        let path = paths.workdir + "/.agents/skills/codex-state/SKILL.md"
        try paths.tree.check(path)
        if let old = try? StoreFiles.read(path), old == Array(text.utf8) { return (path, false) }
        try ProjectFiles.writeDocument(Array(text.utf8), to: path, in: paths.tree)
        return (path, true)
    }
}
