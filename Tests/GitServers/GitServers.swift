import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Real git servers on loopback for the claim tests: a bare repository reached over `file://`,
/// `git daemon`, and smart HTTP (`git http-backend` behind a small Python web server), plus a
/// port that accepts connections and never answers. Each server is a process of its own,
/// killed with everything it started when the value goes away.
public enum GitServers {
    /// The TCP port of a free loopback socket (bound, then closed: the caller starts a server on it).
    public static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        guard bound == 0 else { throw ServerError("bind: \(String(cString: strerror(errno)))") }
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw ServerError("getsockname: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// Whether something accepts connections on the loopback port.
    static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Waits until the port accepts connections or the process ended.
    static func waitForPort(_ port: UInt16, of process: Process, name: String) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if accepts(port) { return }
            guard process.isRunning else { throw ServerError("\(name) exited with \(process.terminationStatus)") }
            usleep(20_000)
        }
        throw ServerError("\(name) did not listen on 127.0.0.1:\(port) within 10 s")
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A server process, stopped with its children when released.
public class ServerProcess {
    let process = Process()

    init(_ argv: [String], environment: [String: String], log: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.environment = environment
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Stops the server and whatever it is running (a daemon's upload-pack, a CGI's git).
    public func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        // git daemon and the web server answer each connection in a child; the children of
        // this process are found through /proc and stopped first.
        for child in Self.descendants(of: pid) { kill(child, SIGKILL) }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    static func descendants(of pid: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var parent: [pid_t: pid_t] = [:]
        for e in entries {
            guard let p = pid_t(e), let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let pp = pid_t(fields[1]) { parent[p] = pp }
        }
        var out: [pid_t] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            for (child, pp) in parent where pp == next {
                out.append(child)
                frontier.append(child)
            }
        }
        return out
    }

    deinit { stop() }
}

/// `git daemon` on a loopback port serving every repository under `root`, pushes allowed.
public final class GitDaemon: ServerProcess {
    public let port: UInt16

    /// On a free port (another process may take it between the look and the start: the test
    /// then fails with the daemon's complaint in its log).
    public convenience init(root: String, environment: [String: String]) throws {
        try self.init(root: root, port: try GitServers.freePort(), environment: environment)
    }

    public init(root: String, port: UInt16, environment: [String: String]) throws {
        self.port = port
        try super.init(
            [
                "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(root)",
                "--export-all", "--enable=receive-pack", "--informative-errors", root,
            ], environment: environment, log: root + "/.daemon-\(port).log")
        do {
            try GitServers.waitForPort(port, of: process, name: "git daemon")
        } catch {
            stop()
            throw error
        }
    }

    /// The URL of the repository at `root/name`.
    public func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name)" }
}

/// Smart HTTP: `git http-backend` as a CGI program behind Python's web server, on a loopback
/// port, serving every repository under `root`. Requests come from user `tester`
/// (`REMOTE_USER`), so pushes are allowed as http-backend allows them to an authenticated user;
/// a path under `/private/` answers 401, asking for a password.
public final class SmartHTTPServer: ServerProcess {
    public private(set) var port: UInt16 = 0

    public init(root: String, environment: [String: String]) throws {
        let script = root + "/.git-http-server.py"
        try Self.bridge.write(toFile: script, atomically: true, encoding: .utf8)
        let portFile = root + "/.git-http-port"
        try? FileManager.default.removeItem(atPath: portFile)
        var env = environment
        env["GIT_PROJECT_ROOT"] = root
        env["GIT_HTTP_EXPORT_ALL"] = "1"
        try super.init(["python3", script, portFile], environment: env, log: root + "/.http.log")
        // The web server binds a free port and writes its number.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, port == 0 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let p = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                port = p
                break
            }
            guard process.isRunning else {
                let log = (try? String(contentsOfFile: root + "/.http.log", encoding: .utf8)) ?? ""
                throw ServerError("the web server exited: \(log)")
            }
            usleep(20_000)
        }
        guard port != 0 else {
            stop()
            throw ServerError("the web server did not start within 10 s")
        }
    }

    /// The URL of the repository at `root/name`.
    public func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    /// CGI as git http-backend needs it (git's own tests run it behind Apache): the request's
    /// method, path and query, its body (de-chunked), the `Git-Protocol` and `Content-Encoding`
    /// headers; the program's `Status:` header becomes the response status.
    static let bridge = #"""
        import http.server, os, socketserver, subprocess, sys, urllib.parse

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                sys.stderr.write("%s\n" % (fmt % args))

            def do_GET(self):
                self.cgi()

            def do_POST(self):
                self.cgi()

            def body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def cgi(self):
                path, _, query = self.path.partition("?")
                data = self.body() if self.command == "POST" else b""
                if path.startswith("/private/"):
                    # A repository behind a password: git asks for credentials.
                    self.send_response(401, "Unauthorized")
                    self.send_header("WWW-Authenticate", 'Basic realm="private"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                env = dict(os.environ)
                env.update({
                    "GATEWAY_INTERFACE": "CGI/1.1",
                    "SERVER_PROTOCOL": "HTTP/1.1",
                    "REQUEST_METHOD": self.command,
                    "PATH_INFO": urllib.parse.unquote(path),
                    "QUERY_STRING": query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(data)),
                    "REMOTE_ADDR": self.client_address[0],
                    "REMOTE_USER": "tester",
                })
                for header, name in (("Git-Protocol", "HTTP_GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
                    value = self.headers.get(header)
                    if value:
                        env[name] = value
                out = subprocess.run(["git", "http-backend"], input=data, env=env, stdout=subprocess.PIPE).stdout
                head, sep, payload = out.partition(b"\r\n\r\n")
                if not sep:
                    head, sep, payload = out.partition(b"\n\n")
                status, headers = "200 OK", []
                for line in head.decode("latin-1").splitlines():
                    key, _, value = line.partition(":")
                    if key.lower() == "status":
                        status = value.strip()
                    elif key:
                        headers.append((key, value.strip()))
                code, _, reason = status.partition(" ")
                self.send_response(int(code), reason)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        server = Server(("127.0.0.1", 0), Handler)
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        server.serve_forever()

        """#
}

/// A loopback port that completes connections (the kernel's listen queue) and never answers:
/// a server that hangs. Closed when released.
public final class SilentPort {
    public let port: UInt16
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw ServerError("bind/listen: \(String(cString: strerror(errno)))")
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = UInt16(bigEndian: addr.sin_port)
    }

    deinit { close(fd) }
}

/// The results of threads run at once, in order.
private final class Results<T>: @unchecked Sendable {
    var values: [Result<T, Error>?]
    let lock = NSLock()
    init(_ n: Int) { values = Array(repeating: nil, count: n) }
}

/// A closure handed to threads: tests call it with values each thread only reads.
private struct ThreadBody<T>: @unchecked Sendable {
    let run: (Int) throws -> T
}

/// Runs `body` on `count` threads released together (each blocks on git or a child process, so
/// not on the cooperative pool, which has as many threads as cores) and returns the results
/// in order; the first error is rethrown.
public func simultaneously<T>(_ count: Int, _ run: @escaping (Int) throws -> T) throws -> [T] {
    let body = ThreadBody(run: run)
    let results = Results<T>(count)
    let start = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for i in 0..<count {
        done.enter()
        Thread {
            start.wait()
            let r = Result { try body.run(i) }
            results.lock.lock()
            results.values[i] = r
            results.lock.unlock()
            done.leave()
        }.start()
    }
    for _ in 0..<count { start.signal() }
    done.wait()
    return try results.values.map { try ($0 ?? .failure(CancellationError())).get() }
}

/// How a test reaches a repository it serves.
public enum GitTransport: String, CaseIterable, CustomStringConvertible, Sendable {
    case file, daemon, http
    public var description: String { rawValue }
}

/// The repositories under `root`, served over each transport on demand (a server starts on
/// first use and stops when this goes away).
public final class LoopbackServers {
    public let root: String
    let environment: [String: String]
    private var daemon: GitDaemon?
    private var http: SmartHTTPServer?

    public init(root: String, environment: [String: String]) {
        self.root = root
        self.environment = environment
    }

    /// The URL of `root/repository` over `transport`.
    public func url(_ transport: GitTransport, _ repository: String) throws -> String {
        switch transport {
        case .file: return "file://" + root + "/" + repository
        case .daemon:
            if daemon == nil { daemon = try GitDaemon(root: root, environment: environment) }
            return daemon?.url(repository) ?? ""
        case .http:
            if http == nil { http = try SmartHTTPServer(root: root, environment: environment) }
            return http?.url(repository) ?? ""
        }
    }
}
