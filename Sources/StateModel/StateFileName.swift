/// Where the state lives in a working tree, relative to its root: defined here once, for the
/// store, git's view of the file, the reports and every message that names it.
public enum StateFileName {
    /// The top-level directory that holds the state.
    public static let directory = ".codex-state"
    /// The state file.
    public static let relative = directory + "/project_state.json"
    /// The folder of ended sessions' files.
    public static let sessions = directory + "/sessions"
}
