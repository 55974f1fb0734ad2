import CLibGit2
import CLibGit2Loader

#if canImport(Glibc)
    import Glibc
#endif

/// A libgit2 failure: the operation we attempted, with libgit2's return code, error class and
/// message kept intact.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public let errorClass: Int32
    public let message: String

    public var description: String { "\(operation): \(message)" }

    /// libgit2 said the object, reference or repository does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
}

/// A file of git's that cannot be read, or does not hold what git writes there: the file and the
/// problem, in one line (`…/.git/HEAD: cannot read: Permission denied`). Never taken for an
/// absent file: a read that failed is not an answer.
public struct GitFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Not inside a git repository (neither the directory nor any parent).
public struct NotARepository: Error, Sendable, CustomStringConvertible {
    public let path: String
    public var description: String { "not a git repository (or any parent up to /): \(path)" }
}

/// Turns a negative libgit2 return code into a ``GitError`` at once, while `git_error_last` still
/// describes it.
@discardableResult
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    guard rc < 0 else { return rc }
    var message = "libgit2 error \(rc)"
    var klass: Int32 = 0
    if let last = git_error_last() {
        klass = last.pointee.klass
        if let m = last.pointee.message { message = String(cString: m) }
    }
    throw GitError(operation: operation(), code: rc, errorClass: klass, message: message)
}

/// `git_libgit2_init` once per process. It is not cheap with Debian's build (it parses the system
/// CA bundle), so it runs only when a repository is first opened.
///
/// libgit2 1.5 refuses a repository (format version 1) that declares an extension it does not
/// know, though git 2.39 writes some of them itself (`git clone --filter=… --sparse` sets
/// `worktreeConfig`). These change nothing GitKit asks of libgit2: GitKit reads the
/// configuration itself (``GitConfig``, `config.worktree` included), never deletes objects
/// (`preciousObjects`), reports an object a partial clone lacks as the error it is
/// (`partialClone`), and opens a repository whose `objectFormat` is not SHA-1 nowhere
/// (``RepoFiles/refuseOtherHashes(commonDir:)``). A reftable stays refused.
let libgit2Ready: Bool = {
    guard git_libgit2_init() > 0 else { return false }
    let names: [String] = ["objectformat", "partialclone", "preciousobjects", "worktreeconfig"]
    let copies = names.map { name in strdup(name) }
    defer { for copy in copies { free(copy) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
    return codex_state_git_allow_extensions(&pointers, pointers.count) == 0
}()
