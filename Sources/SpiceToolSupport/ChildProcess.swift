import Foundation

/// Runs a program with posix_spawn and waits for it with waitpid.
///
/// Foundation's `Process` learns of its child's exit through a SIGCHLD handler, and was seen here to
/// miss it (a `waitUntilExit` that never returned after the child had exited); tools and tests need a
/// wait that cannot hang, so they use this instead.
public struct ChildProcess {
    /// How the child ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
        /// Still running after the timeout; it was killed with SIGKILL.
        case timedOut
    }

    public struct Result: Sendable {
        public var termination: Termination
        public var stdout: String
        public var stderr: String
        public var seconds: Double
    }

    /// Runs `path` with `arguments`, collecting standard output and error (in files, so a chatty
    /// child never blocks on a full pipe). `during` runs on the calling thread once the child has
    /// started; the child is killed if it outlives `timeout` seconds.
    public static func run(_ path: String, _ arguments: [String], timeout: Double = 120,
                           during: ((pid_t) -> Void)? = nil) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("stdout").path
        let errPath = directory.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started = Date()
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw ToolError("cannot start \(path): \(String(cString: strerror(rc)))") }

        during?(pid)
        var status: Int32 = 0
        var termination: Termination?
        let deadline = started.addingTimeInterval(timeout)
        while termination == nil {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid {
                // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot call.
                let signal = status & 0x7f
                termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
            } else if waited < 0 && errno != EINTR {
                throw ToolError("waitpid failed: \(String(cString: strerror(errno)))")
            } else if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                termination = .timedOut
            } else {
                usleep(10_000)
            }
        }
        return Result(termination: termination!,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                      seconds: Date().timeIntervalSince(started))
    }
}
