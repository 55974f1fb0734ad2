import CLibGit2

extension Repository {
    /// Whether tracked files differ from HEAD: changes staged in the index or made in the working
    /// tree (`git diff-index --quiet HEAD` fails; `git describe --dirty` would say dirty).
    ///
    /// Untracked files do not count: they are not part of what HEAD describes, and listing them
    /// means walking every directory of the working tree. Submodules are not opened either (each
    /// would be another repository to read); a changed submodule pointer staged in the index still
    /// counts. On an unborn branch, anything in the index counts.
    public func hasUncommittedChanges() throws -> Bool {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "prepare status options")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, handle, &options), "read the working tree status")
        defer { git_status_list_free(list) }
        return git_status_list_entrycount(list) > 0
    }
}
