import ArgumentParser
import Workspace

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create .codex-state/ in this repository (safe to run again).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "Project name (default: the repository folder's name).")
    var name: String?
    @Flag(name: .customLong("no-hooks"), help: "Do not install the git hooks (see `codex-state hooks install`).")
    var noHooks = false

    func run() throws {
        let ws = try common.workspace()
        let r = try ws.initialize(projectName: name, command: common.commandLine)
        var hooks: [HookChange] = []
        if !noHooks {
            do {
                hooks = try ws.installHooks(HookName.defaults, binary: executablePath())
            } catch {
                Output.warnings(ws)
                throw InitHooksError(underlying: Main.oneLine(error))
            }
        }
        Output.warnings(ws)
        if output.json {
            try Output.json(
                InitJSON(
                    created: r.created, stateFile: r.stateFile, project: r.projectName,
                    hooks: hooks.map(HookChangeJSON.init)))
        } else if r.created {
            Output.confirm("Initialized codex-state for '\(r.projectName)' in \(r.stateFile)")
            Output.confirm(
                "Commit it so the state and its merge rule travel with the code: git add .codex-state .gitattributes && git commit -m \"Track project state\""
            )
        } else {
            Output.confirm("Already initialized: \(r.stateFile) is valid.")
        }
        if !output.json {
            let installed = hooks.compactMap { c -> String? in
                if case .installed(let n, _) = c { return n.rawValue }
                if case .upgraded(let n, _) = c { return n.rawValue }
                return nil
            }
            if !installed.isEmpty { Output.confirm("Installed git hooks: \(installed.joined(separator: ", "))") }
        }
    }
}

/// The state is in place but the hooks are not: say both.
struct InitHooksError: Error, CustomStringConvertible {
    var underlying: String
    var description: String {
        "hooks: \(underlying) (the state was initialized; fix this and run 'codex-state hooks install')"
    }
}

struct InitJSON: Encodable {
    var created: Bool
    var stateFile: String
    var project: String
    var hooks: [HookChangeJSON]
    enum CodingKeys: String, CodingKey {
        case created, project, hooks
        case stateFile = "state_file"
    }
}
