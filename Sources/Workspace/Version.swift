/// The tool's version, shared by `codex-state --version` and the MCP server's handshake (two
/// executables: codex-state and codex-state-mcp).
public enum ToolVersion {
    public static let current = "0.1.0"
}
