import CGitSpawn

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of a `git` program run for a remote operation (``GitRemote``): what was attempted
/// and why it did not finish, in one line.
public enum RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The remote name is not one the configuration defines, or not one git accepts.
    case unknownRemote(name: String, reason: String)
    /// git could not be started (not on PATH, say).
    case cannotRun(operation: String, reason: String)
    /// git ran past the time it was given and was stopped, with every process it started.
    case timedOut(operation: String, seconds: Double)
    /// git printed more than the operation can need (a hostile or broken server).
    case outputTooLarge(operation: String, limit: Int)
    /// git exited with an error: its last line of complaint.
    case failed(operation: String, message: String)

    public var description: String {
        switch self {
        case .unknownRemote(let name, let reason): return "remote '\(name)': \(reason)"
        case .cannotRun(let operation, let reason): return "\(operation): cannot run git: \(reason)"
        case .timedOut(let operation, let seconds):
            return "\(operation): no answer within \(GitProcess.seconds(seconds)) s (CODEX_STATE_REMOTE_TIMEOUT)"
        case .outputTooLarge(let operation, let limit): return "\(operation): git printed more than \(limit) bytes"
        case .failed(let operation, let message): return "\(operation): \(message)"
        }
    }
}

/// What a run of git printed and how it ended.
struct GitOutput: Sendable {
    /// The exit status, or 128 + the signal that ended it.
    var status: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]

    /// git's own complaint, one line: its last `fatal:`/`error:` line, else its last line.
    var complaint: String {
        let lines = String(decoding: stderr, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        let pick =
            lines.last(where: { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") }) ?? lines.last
            ?? "exited with status \(status)"
        return String(pick.prefix(300))
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Runs the `git` program for the operations libgit2 1.5 cannot do: a push that compares and
/// swaps a reference (`--force-with-lease`, `--atomic`) and a listing of a remote's references
/// (``GitRemote``). Every run is bounded and cannot wait for a person:
///
/// - a deadline: past it the process and everything it started (one process group, its own
///   session) are killed, so a server that never answers costs the timeout, never a hang;
/// - no terminal: a new session has no controlling terminal, standard input is /dev/null (or the
///   bytes given), `GIT_TERMINAL_PROMPT=0` and `GCM_INTERACTIVE=never` — a credential or host-key
///   question fails at once instead of waiting;
/// - bounded output, read as it comes (a server cannot fill memory);
/// - no descriptor of this process leaks into git (a held lock stays ours);
/// - `LC_ALL=C`, so the messages read are git's own words.
///
/// The user's configuration and variables are otherwise what git sees: the remote, its URL
/// rewriting, credential helpers and ssh settings are theirs.
enum GitProcess {
    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int64(s)) : String(Double(Int64(s * 10)) / 10)
    }

    /// The first `git` on the environment's PATH (the same program a user typing `git` gets).
    static func locate(in environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = dir.hasSuffix("/") ? dir + "git" : dir + "/git"
            if access(String(candidate), X_OK) == 0 { return String(candidate) }
        }
        return nil
    }

    /// The environment git runs with: the repository's (what git would see), with prompts off
    /// and messages in git's own words. `GIT_DIR` and `GIT_WORK_TREE` go: the git directory is
    /// passed as `--git-dir`.
    static func environment(_ base: [String: String]) -> [String: String] {
        var env = base
        for name in ["GIT_DIR", "GIT_WORK_TREE", "GIT_PREFIX", "LANGUAGE", "LC_MESSAGES"] { env[name] = nil }
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GCM_INTERACTIVE"] = "never"
        env["LC_ALL"] = "C"
        return env
    }

    /// Runs `git --git-dir=<gitDir> <arguments>` in `directory` (git resolves a relative remote
    /// path from the top of the work tree, as it does for `git push` typed there).
    static func run(
        _ arguments: [String], gitDir: String, directory: String, environment base: [String: String],
        input: [UInt8] = [], timeout: Double, outputLimit: Int, operation: String
    ) throws -> GitOutput {
        let env = environment(base)
        guard let git = locate(in: env) else {
            throw RemoteError.cannotRun(operation: operation, reason: "no git on PATH")
        }
        let argv = [git, "--git-dir=" + gitDir] + arguments
        return try spawn(
            argv, env: env, directory: directory, input: input, timeout: timeout,
            outputLimit: outputLimit, operation: operation)
    }

    /// posix_spawn with its own session, then one poll loop feeding standard input and reading
    /// both outputs until the process ends, the deadline passes or the output grows too large.
    static func spawn(
        _ argv: [String], env: [String: String], directory: String, input: [UInt8], timeout: Double,
        outputLimit: Int, operation: String
    ) throws -> GitOutput {
        // Standard input is a socket: a send with MSG_NOSIGNAL to a process that exited early
        // returns EPIPE instead of raising SIGPIPE in this process.
        var inPair: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        func closeAll() {
            for fd in inPair + outPipe + errPipe where fd >= 0 { close(fd) }
        }
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &inPair) == 0,
            codex_state_cloexec_pipe(&outPipe) == 0, codex_state_cloexec_pipe(&errPipe) == 0
        else {
            let reason = String(cString: strerror(errno))
            closeAll()
            throw RemoteError.cannotRun(operation: operation, reason: reason)
        }
        if input.isEmpty { shutdown(inPair[0], Int32(SHUT_WR)) }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.sorted(by: { $0.key < $1.key }).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        // A new session: no controlling terminal for git, ssh or a credential helper to prompt
        // on, and one process group to kill at the deadline. Signals this process ignores or
        // blocks are the defaults again in git; no descriptor but the three leaks into it.
        let rc = codex_state_git_spawn(&pid, argv[0], cArgs, cEnv, directory, inPair[1], outPipe[1], errPipe[1])
        close(inPair[1])
        close(outPipe[1])
        close(errPipe[1])
        inPair[1] = -1
        outPipe[1] = -1
        errPipe[1] = -1
        guard rc == 0 else {
            closeAll()
            throw RemoteError.cannotRun(operation: operation, reason: String(cString: strerror(rc)))
        }
        defer { closeAll() }
        return try collect(
            pid: pid, input: input, stdin: inPair[0], stdout: outPipe[0], stderr: errPipe[0], timeout: timeout,
            outputLimit: outputLimit, operation: operation)
    }

    private static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Feeds `input`, reads both outputs and reaps the process, killing its group at the
    /// deadline or when the output passes `outputLimit`.
    private static func collect(
        pid: pid_t, input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32, timeout: Double, outputLimit: Int,
        operation: String
    ) throws -> GitOutput {
        let deadline = monotonic() + max(0, timeout)
        var out: [UInt8] = []
        var err: [UInt8] = []
        var written = 0
        var inputOpen = !input.isEmpty
        var outOpen = true
        var errOpen = true
        var status: Int32?
        /// After the process ended, how long its outputs may stay open (a helper it left behind
        /// holding them, say) before reading stops.
        var drainUntil: Double?
        var buffer = [UInt8](repeating: 0, count: 65_536)

        func stop() {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var ws: Int32 = 0
            while waitpid(pid, &ws, 0) < 0 && errno == EINTR {}
        }

        while outOpen || errOpen || inputOpen || status == nil {
            if status == nil {
                var ws: Int32 = 0
                let r = waitpid(pid, &ws, WNOHANG)
                if r == pid {
                    status = exitStatus(ws)
                    drainUntil = monotonic() + 0.2
                    if inputOpen {
                        inputOpen = false
                        shutdown(stdin, Int32(SHUT_WR))
                    }
                }
            }
            let now = monotonic()
            if status != nil, !(outOpen || errOpen) { break }
            if let until = drainUntil, now >= until { break }
            if status == nil, now >= deadline {
                stop()
                throw RemoteError.timedOut(operation: operation, seconds: timeout)
            }
            var fds: [pollfd] = []
            if outOpen { fds.append(pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)) }
            if errOpen { fds.append(pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)) }
            if inputOpen { fds.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            // Short waits: the process's end is noticed by waitpid, not by a descriptor.
            let wait = Int32(max(1, min(20, ((drainUntil ?? deadline) - now) * 1000)))
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 && errno != EINTR {
                stop()
                throw RemoteError.cannotRun(operation: operation, reason: String(cString: strerror(errno)))
            }
            for p in fds where p.revents != 0 {
                if p.fd == stdin {
                    let n = input[written...].withUnsafeBytes { raw in
                        send(stdin, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                    }
                    if n > 0 { written += n }
                    if n < 0 && errno != EAGAIN && errno != EINTR || written >= input.count {
                        inputOpen = false
                        shutdown(stdin, Int32(SHUT_WR))
                    }
                    continue
                }
                let n = read(p.fd, &buffer, buffer.count)
                if n > 0 {
                    if p.fd == stdout {
                        out.append(contentsOf: buffer[0..<n])
                    } else {
                        err.append(contentsOf: buffer[0..<n])
                    }
                    if out.count + err.count > outputLimit {
                        if status == nil { stop() }
                        throw RemoteError.outputTooLarge(operation: operation, limit: outputLimit)
                    }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    if p.fd == stdout { outOpen = false } else { errOpen = false }
                }
            }
        }
        if status == nil {
            var ws: Int32 = 0
            while waitpid(pid, &ws, 0) < 0 && errno == EINTR {}
            status = exitStatus(ws)
        }
        return GitOutput(status: status ?? 128, stdout: out, stderr: err)
    }

    private static func exitStatus(_ ws: Int32) -> Int32 {
        let signal = ws & 0x7F
        return signal == 0 ? (ws >> 8) & 0xFF : 128 + signal
    }
}
