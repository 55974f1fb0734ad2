import ArgumentParser
import Foundation
import MCPServer

struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the task tools over MCP on standard input and output.",
        discussion: """
            Tools: preamble, tasks, next, task_show, task_add, task_update, complete. They run the \
            same transactions as the commands. The repository is --repo, else the working \
            directory; the actor --actor, else $CODEX_STATE_ACTOR, else the client's name. \
            codex-state codex install registers it with Codex; docs/codex.md has Claude Code and \
            Cursor snippets.
            """)

    @Option(help: ArgumentHelp("The repository (any directory inside it).", valueName: "dir")) var repo: String?
    @Option(help: "Who acts (default: $CODEX_STATE_ACTOR, then the MCP client's name).") var actor: String?

    func run() throws {
        let options = MCPStateServer.Options(
            repository: repo, actor: actor, environment: ProcessInfo.processInfo.environment)
        let version = CodexState.configuration.version
        // main() is synchronous: serve on the cooperative pool and wait here.
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do { try await MCPStateServer.run(options, version: version) } catch { failure.error = error }
            done.signal()
        }
        done.wait()
        if let e = failure.error { throw e }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: Error?
}
