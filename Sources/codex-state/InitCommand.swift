import ArgumentParser
import Workspace

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create .codex-state/ in this repository (safe to run again).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(help: "Project name (default: the repository folder's name).")
    var name: String?

    func run() throws {
        let ws = try common.workspace()
        let r = try ws.initialize(projectName: name, command: common.commandLine)
        Output.warnings(ws)
        if output.json {
            try Output.json(InitJSON(created: r.created, stateFile: r.stateFile, project: r.projectName))
        } else if r.created {
            Output.line("Initialized codex-state for '\(r.projectName)' in \(r.stateFile)")
            Output.line("Commit .codex-state/ so the state travels with the code.")
        } else {
            Output.line("Already initialized: \(r.stateFile) is valid.")
        }
    }
}

struct InitJSON: Encodable {
    var created: Bool
    var stateFile: String
    var project: String
    enum CodingKeys: String, CodingKey {
        case created, project
        case stateFile = "state_file"
    }
}
