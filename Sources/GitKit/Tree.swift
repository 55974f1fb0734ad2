import CLibGit2

extension Repository {
    /// The commit the local branch `name` points at; nil when there is no such branch. Unlike
    /// ``resolveCommit(_:)``, `main~1` or a tag is not a branch.
    public func branchTip(_ name: String) throws -> ObjectID? {
        var ref: OpaquePointer?
        let rc = git_reference_lookup(&ref, handle, "refs/heads/" + name)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(rc, "look up branch \(name)")
        defer { git_reference_free(ref) }
        var commit: OpaquePointer?
        try check(git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT), "resolve branch \(name)")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    /// The bytes of the file at `path` (relative to the root, `/`-separated) in the tree of
    /// `commit`; nil when the tree has no file there.
    public func fileContents(_ path: String, at commit: ObjectID) throws -> [UInt8]? {
        try withTree(of: commit) { tree in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, tree, path)
            if rc == GIT_ENOTFOUND.rawValue { return nil }
            try check(rc, "find \(path) in \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, let id = git_tree_entry_id(entry) else { return nil }
            var blob: OpaquePointer?
            try check(git_blob_lookup(&blob, handle, id), "read \(path) in \(commit.short)")
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: raw, count: size))
        }
    }

    /// The names of the files directly in the directory `path` of `commit`'s tree, unsorted;
    /// empty when there is no such directory.
    public func fileNames(in path: String, at commit: ObjectID) throws -> [String] {
        try withTree(of: commit) { root in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, root, path)
            if rc == GIT_ENOTFOUND.rawValue { return [] }
            try check(rc, "find \(path) in \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE, let id = git_tree_entry_id(entry) else { return [] }
            var dir: OpaquePointer?
            try check(git_tree_lookup(&dir, handle, id), "read \(path) in \(commit.short)")
            defer { git_tree_free(dir) }
            var names: [String] = []
            for i in 0..<git_tree_entrycount(dir) {
                guard let e = git_tree_entry_byindex(dir, i), git_tree_entry_type(e) == GIT_OBJECT_BLOB,
                    let name = git_tree_entry_name(e)
                else { continue }
                names.append(decodeLossy(name))
            }
            return names
        }
    }

    func withTree<T>(of commit: ObjectID, _ body: (OpaquePointer?) throws -> T) throws -> T {
        var oid = commit.gitOID
        var c: OpaquePointer?
        try check(git_commit_lookup(&c, handle, &oid), "look up commit \(commit.short)")
        defer { git_commit_free(c) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, c), "read the tree of \(commit.short)")
        defer { git_tree_free(tree) }
        return try body(tree)
    }
}
