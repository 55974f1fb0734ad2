import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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

    /// The server is its own executable, installed beside this one: the MCP SDK links
    /// FoundationNetworking and libcurl, which every other command would otherwise load at start.
    static let serverName = "codex-state-mcp"

    /// Where the server must be: beside this executable.
    static var serverPath: String {
        URL(fileURLWithPath: executablePath()).deletingLastPathComponent().appendingPathComponent(serverName).path
    }

    func run() throws {
        let server = Self.serverPath
        guard access(server, X_OK) == 0 else { throw MCPServerMissing(path: server, errno: errno) }
        let arguments = [server] + (repo.map { ["--repo", $0] } ?? []) + (actor.map { ["--actor", $0] } ?? [])
        // The working directory (after any -C), the environment and the standard streams pass
        // through unchanged: the server replaces this process.
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        execv(server, argv)
        let failed = errno
        for p in argv { free(p) }
        throw MCPServerMissing(path: server, errno: failed)
    }
}

struct MCPServerMissing: Error, CustomStringConvertible {
    var path: String
    var errno: Int32
    var description: String {
        "mcp: cannot run the MCP server \(path): \(String(cString: strerror(errno))) "
            + "(install \(MCPCommand.serverName) next to codex-state, as README.md shows)"
    }
}
