import GitKit

/// What git is in the middle of, and how this clone is set up, as the commands say it.
extension Workspace {
    /// While a rebase is stopped in this worktree (`git rebase -i` at an `edit`, a conflict): the
    /// branch it rebases, or `.some(nil)` for a detached HEAD's; nil when no rebase is under way.
    public func rebaseInProgress() throws -> String?? { try repository.rebasingBranch }

    /// Whether git's configuration names the merge driver (`init` sets it; a fresh clone has
    /// none). Only the configuration is read: git's attributes would load libgit2 on a warm read.
    public func mergeDriverIsSet() throws -> Bool {
        try repository.configString("merge.\(MergeDriverSetup.driverName).driver") != nil
    }
}
