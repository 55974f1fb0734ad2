import ArgumentParser
import Dispatch
import Foundation
import MCPServer
import Workspace

/// The stdio MCP server, a separate executable so that codex-state itself does not link
/// FoundationNetworking (the MCP SDK imports it, and with it libcurl and some 30 shared libraries
/// every command would otherwise load at start). `codex-state mcp` runs it from codex-state's
/// own directory with the same options; it is not meant to be run by hand.
@main
struct MCPMain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codex-state-mcp",
        abstract: "The MCP server behind codex-state mcp (run that instead: codex-state mcp --help).",
        version: ToolVersion.current)

    @Option(help: ArgumentHelp("The repository (any directory inside it).", valueName: "dir")) var repo: String?
    @Option(help: "Who acts (default: $CODEX_STATE_ACTOR, then the MCP client's name).") var actor: String?

    func run() throws {
        let options = MCPStateServer.Options(
            repository: repo, actor: actor, environment: ProcessInfo.processInfo.environment)
        // run() is synchronous: serve on the cooperative pool and wait here.
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await MCPStateServer.run(options, version: ToolVersion.current) } catch { failure.error = error }
            done.signal()
        }
        done.wait()
        if let e = failure.error {
            let line = "\(e)".split(whereSeparator: \.isNewline).joined(separator: " ")
            FileHandle.standardError.write(Data("codex-state: error: \(line)\n".utf8))
            throw ExitCode.failure
        }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: Error?
}
