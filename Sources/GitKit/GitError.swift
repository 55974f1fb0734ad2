import CLibGit2

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
let libgit2Ready: Bool = git_libgit2_init() > 0
