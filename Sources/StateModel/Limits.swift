/// The size limits of every input the tool reads, in one place. Each bounds the time and memory
/// one hostile input can cost; docs/threat-model.md lists them with what each protects, and
/// the tests hold every reader to its limit (one-line error, linear time, bounded peak memory).
public enum Limits {
    /// One MCP message (one line of the stdio stream). A longer line is skipped as it arrives,
    /// never held, and answered with an error: tool arguments are bounded by the field limits
    /// below, so a real request is far smaller.
    public static let mcpMessageBytes = 4 << 20
}
