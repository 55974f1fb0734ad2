import Foundation
import MCP
import Workspace

#if canImport(Glibc)
    import Glibc
#endif

/// `codex-state mcp`: a stdio MCP server whose tools run the same Workspace transactions as the
/// CLI. docs/codex.md describes it.
public enum MCPStateServer {
    /// What the client shows the model about this server (Codex: the namespace text).
    public static let instructions = """
        This repository's task graph, evaluated at the checked-out HEAD. Call preamble at the start. \
        next with claim=true starts the best ready task. When its edits are done, call complete, then \
        commit the edits together with .codex-state/ (that commit anchors it). tasks and task_show read; \
        task_add and task_update change the graph. recall searches what the project decided and learned; \
        remember records a decision, constraint (verbatim) or note. Ids accept a unique prefix.
        """

    public struct Options: Sendable {
        /// The repository (any directory inside it); nil: the server's working directory.
        public var repository: String?
        /// Who acts; nil: `CODEX_STATE_ACTOR`, else the client's name.
        public var actor: String?
        public var environment: [String: String]

        public init(repository: String?, actor: String?, environment: [String: String]) {
            self.repository = repository
            self.actor = actor
            self.environment = environment
        }
    }

    /// Every tool definition, as `tools/list` sends them.
    public static var tools: [Tool] { ToolTable.all.map(\.tool) }

    /// Serves on standard input and output until the client closes the connection.
    public static func run(_ options: Options, version: String) async throws {
        // A client that goes away mid-call must not kill the server with SIGPIPE: the write fails.
        signal(SIGPIPE, SIG_IGN)
        let runner = Runner(options: options)
        let server = Server(
            name: "codex-state", version: version, instructions: instructions,
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: tools) }
        await server.withMethodHandler(CallTool.self) { params in
            await runner.call(params.name, params.arguments)
        }
        let transport = RepairingStdioTransport()
        try await server.start(transport: transport) { client, _ in
            await runner.setClient(client.name)
        }
        await server.waitUntilCompleted()
        // The client hung up: answer what it asked before the process exits, or a transaction
        // still running would be torn down with the process (a crash in exit's destructors).
        await transport.drain()
    }

    /// Runs one tool call; every failure becomes a tool error with the CLI's message.
    public static func call(
        _ name: String, _ arguments: [String: Value]?, options: Options, client: String?
    ) -> CallTool.Result {
        guard let entry = ToolTable.all.first(where: { $0.tool.name == name }) else {
            return failure(
                "unknown tool '\(name)' (tools: \(ToolTable.all.map(\.tool.name).joined(separator: ", ")))")
        }
        do {
            let args = try Arguments(tool: name, values: arguments, allowed: entry.allowed)
            let ws = try workspace(options, client: client)
            let text = try entry.run(args, ws)
            // What the CLI prints on stderr (a task started while it still waits on others, a copy
            // that could not be read) follows the result, one text item each.
            return .init(
                content: [.text(text)] + ws.warnings.map { .text("codex-state: " + $0) }, isError: false)
        } catch {
            return failure(message(error))
        }
    }

    static func workspace(_ options: Options, client: String?) throws -> Workspace {
        let dir = options.repository ?? FileManager.default.currentDirectoryPath
        return try Workspace(
            directory: dir, actor: options.actor, clientName: client, surface: .mcp, environment: options.environment)
    }

    static func failure(_ text: String) -> CallTool.Result {
        .init(content: [.text(text)], isError: true)
    }

    /// The one-line message the CLI prints for `error` (without its `codex-state: error:` prefix),
    /// with what to do when the git directory cannot be written.
    public static func message(_ error: Error) -> String {
        let text = "\(error)"
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// Tool calls arrive concurrently; they run one at a time (each is one locked transaction anyway).
actor Runner {
    let options: MCPStateServer.Options
    var client: String?

    init(options: MCPStateServer.Options) { self.options = options }

    func setClient(_ name: String) { client = name }

    func call(_ name: String, _ arguments: [String: Value]?) -> CallTool.Result {
        MCPStateServer.call(name, arguments, options: options, client: client)
    }
}
