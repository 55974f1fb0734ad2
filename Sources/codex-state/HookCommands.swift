import ArgumentParser
import Foundation
import Workspace

#if canImport(Glibc)
    import Glibc
#endif

/// The absolute path of this executable, written into installed hook shims as a fallback for
/// when `codex-state` is not on PATH.
func executablePath() -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    if n > 0 { return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}

struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks", abstract: "Install, remove and inspect codex-state's git hooks.",
        subcommands: [Install.self, Uninstall.self, Status.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install the hook shims (post-checkout, post-merge, post-rewrite) into git's hooks directory.",
            discussion: """
                Respects core.hooksPath and linked worktrees. A hook already there is kept as \
                <name>.codex-state-chained and still runs, first. Installing twice changes nothing.
                """)
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Flag(help: "Also install prepare-commit-msg: adds a Codex-Task trailer for your task in progress.")
        var trailers = false
        @Flag(name: .customLong("pre-push"), help: "Also install pre-push: warns about state drift before a push.")
        var prePush = false

        func run() throws {
            let ws = try common.workspace()
            var names = HookName.defaults
            if trailers { names.append(.prepareCommitMsg) }
            if prePush { names.append(.prePush) }
            let changes = try ws.installHooks(names, binary: executablePath())
            Output.warnings(ws)
            try report(changes, ws: ws, json: output.json)
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "uninstall", abstract: "Remove codex-state's hook shims and restore the hooks they chained.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            try report(try ws.uninstallHooks(), ws: ws, json: output.json)
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show which hooks are installed, their version and what they chain.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            let dir = try ws.hooksDirectory()
            let statuses = try ws.hookStatus()
            let driver = try ws.mergeDriverStatus()
            if output.json {
                try Output.json(
                    HooksStatusJSON(
                        directory: dir, currentVersion: HookShim.version, mergeDriver: driver.configured,
                        hooks: statuses.map {
                            HookStatusJSON(
                                name: $0.name.rawValue, path: $0.path, installed: $0.installed, version: $0.version,
                                current: $0.current, chained: $0.chained, foreign: $0.foreign)
                        }))
                return
            }
            Output.line("hooks directory: \(dir)")
            for s in statuses {
                var text: String
                if let v = s.version {
                    text = "installed (shim v\(v)\(s.current ? "" : ", outdated: run codex-state hooks install"))"
                } else if s.foreign {
                    text = "not installed (another hook is there)"
                } else {
                    text = "not installed"
                }
                if let c = s.chained { text += "; chains \(c)" }
                Output.line("  \(s.name.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0)) \(text)")
            }
            Output.line(
                driver.configured
                    ? "merge driver: configured"
                    : "merge driver: NOT configured in this clone; run codex-state init (state-file merges fall back to git's text merge)"
            )
        }
    }
}

func report(_ changes: [HookChange], ws: Workspace, json: Bool) throws {
    if json {
        try Output.json(changes.map(HookChangeJSON.init))
        return
    }
    for c in changes {
        switch c {
        case .installed(let n, let chained):
            Output.confirm("installed \(n.rawValue)" + (chained ? " (the existing hook is kept and runs first)" : ""))
        case .upgraded(let n, let from):
            Output.confirm("upgraded \(n.rawValue) from shim v\(from) to v\(HookShim.version)")
        case .unchanged(let n): Output.confirm("\(n.rawValue) already installed")
        case .removed(let n, let restored):
            Output.confirm("removed \(n.rawValue)" + (restored ? " (restored the hook it chained)" : ""))
        case .absent: break
        }
    }
}

struct HookChangeJSON: Encodable {
    var hook: String
    var action: String
    var chained: Bool
    init(_ c: HookChange) {
        switch c {
        case .installed(let n, let chained): (hook, action, self.chained) = (n.rawValue, "installed", chained)
        case .upgraded(let n, _): (hook, action, chained) = (n.rawValue, "upgraded", false)
        case .unchanged(let n): (hook, action, chained) = (n.rawValue, "unchanged", false)
        case .removed(let n, let restored): (hook, action, chained) = (n.rawValue, "removed", restored)
        case .absent(let n): (hook, action, chained) = (n.rawValue, "absent", false)
        }
    }
}

struct HookStatusJSON: Encodable {
    var name: String
    var path: String
    var installed: Bool
    var version: Int?
    var current: Bool
    var chained: String?
    var foreign: Bool

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(path, forKey: .path)
        try c.encode(installed, forKey: .installed)
        try c.encode(version, forKey: .version)
        try c.encode(current, forKey: .current)
        try c.encode(chained, forKey: .chained)
        try c.encode(foreign, forKey: .foreign)
    }
    enum CodingKeys: String, CodingKey { case name, path, installed, version, current, chained, foreign }
}

struct HooksStatusJSON: Encodable {
    var directory: String
    var currentVersion: Int
    var mergeDriver: Bool
    var hooks: [HookStatusJSON]
    enum CodingKeys: String, CodingKey {
        case directory, hooks
        case currentVersion = "current_version"
        case mergeDriver = "merge_driver"
    }
}

/// What the shims call. Never fails: any problem is one warning line on stderr and exit 0.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook", abstract: "Run the work behind a git hook (called by the installed shims).")

    @Argument(help: "post-checkout, post-merge, post-rewrite, prepare-commit-msg or pre-push.")
    var name: String
    @Argument(parsing: .captureForPassthrough, help: "The arguments git passed to the hook.")
    var arguments: [String] = []

    func run() throws {
        guard let hook = HookName(rawValue: name) else {
            warn("unknown hook '\(name)'")
            return
        }
        // post-rewrite and pre-push get data on stdin; the others get nothing.
        let input =
            hook == .postRewrite || hook == .prePush
            ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : ""
        do {
            // Git never waits on us (``Surface/hook``'s bounds), nor on the claims remote.
            let ws = try Workspace(
                directory: FileManager.default.currentDirectoryPath, surface: .hook,
                environment: ProcessInfo.processInfo.environment)
            let lines = try ws.runHook(hook, arguments: arguments, input: input)
            for l in lines { FileHandle.standardError.write(Data((Output.clean(l) + "\n").utf8)) }
        } catch {
            warn("\(hook.rawValue): \(Main.oneLine(error)) (git continues)")
        }
    }

    func warn(_ text: String) {
        FileHandle.standardError.write(Data(("codex-state: warning: " + Output.clean(text) + "\n").utf8))
    }
}

struct Reanchor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reanchor", abstract: "Re-point completions at the commits on HEAD that now carry their work.",
        discussion: """
            A completion whose commit was rewritten where no hook ran (another clone, a rebase on a \
            server, a squash merge) is still recognised as done: through this clone's rewrite map, by \
            patch-id among HEAD's recent commits, or by a Codex-Task trailer. This command writes the \
            commit it was recognised by into the state file, so every clone agrees.
            """)
    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "Only this task (id or unique prefix).") var id: String?

    func run() throws {
        let ws = try common.workspace()
        let changed = try ws.reanchor(id, command: common.commandLine)
        Output.warnings(ws)
        if output.json {
            try Output.json(
                changed.map { ReanchorJSON(id: $0.0, old: $0.1, new: $0.2.commit, method: $0.2.method.rawValue) })
            return
        }
        if changed.isEmpty { Output.line("Nothing to re-anchor.") }
        for (id, old, anchor) in changed {
            Output.line("\(id): \(old.prefix(7)) -> \(anchor.commit.prefix(7)) (found by \(anchor.method.rawValue))")
        }
    }
}

struct ReanchorJSON: Encodable {
    var id: String
    var old: String
    var new: String
    var method: String
}
