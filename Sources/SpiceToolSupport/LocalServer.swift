import Foundation

/// A local QEMU SPICE server started through the project's `Scripts/qemu-spice.sh`, for tools and
/// tests. The script is the one place that knows QEMU's command line.
public final class LocalServer {
    public let pid: Int32
    public let port: UInt16
    public let runDirectory: String
    public let qmpSocket: String
    /// The guest's serial console log (`SERIAL=`; the Linux guests echo input events there).
    public let serialLog: String
    /// The TLS port (`TLS_PORT=`), when started with `--tls-dir`.
    public let tlsPort: UInt16?
    private var stopped = false

    /// Starts QEMU; `arguments` go to `qemu-spice.sh start` (for example `["--password-file", path]`, or
    /// `["--guest", "linux", "--no-tablet", "--wait-ready", "90"]`).
    public init(arguments: [String] = []) throws {
        let script = try LocalServer.scriptPath()
        let output: String
        do {
            output = try LocalServer.run(script, ["start"] + arguments)
        } catch where arguments.contains("--wait-ready") {
            // A test guest very occasionally never reports ready (an X client that does not map under
            // TCG); the script has stopped that QEMU, so one fresh boot is tried before giving up.
            output = try LocalServer.run(script, ["start"] + arguments)
        }
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let pid = values["PID"].flatMap(Int32.init), let port = values["PORT"].flatMap(UInt16.init),
              let runDirectory = values["RUNDIR"], let qmp = values["QMP"] else {
            throw ToolError("qemu-spice.sh start printed no PID/PORT/RUNDIR/QMP: \(output)")
        }
        self.pid = pid
        self.port = port
        self.runDirectory = runDirectory
        self.qmpSocket = qmp
        self.serialLog = values["SERIAL"] ?? runDirectory + "/serial.log"
        self.tlsPort = values["TLS_PORT"].flatMap(UInt16.init)
    }

    /// Stops QEMU (idempotent).
    public func stop() {
        guard !self.stopped else { return }
        self.stopped = true
        if let script = try? LocalServer.scriptPath() {
            _ = try? LocalServer.run(script, ["stop", String(self.pid)])
        }
    }

    /// Kills QEMU at once, as a crash or a pulled plug would: the client sees the sockets die.
    public func kill() {
        _ = Foundation.kill(self.pid, SIGKILL)
        self.stopped = true
    }

    /// Whether the QEMU process still exists.
    public var isAlive: Bool { Foundation.kill(self.pid, 0) == 0 }

    deinit { self.stop() }

    /// Finds `Scripts/qemu-spice.sh`: `$SPICE_SCRIPTS_DIR`, or upward from the executable (which
    /// lives under the clone's `.build/`), or upward from the working directory.
    public static func scriptPath() throws -> String {
        let fm = FileManager.default
        if let dir = ProcessInfo.processInfo.environment["SPICE_SCRIPTS_DIR"] {
            return dir + "/qemu-spice.sh"
        }
        let starts = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent(),
                      URL(fileURLWithPath: fm.currentDirectoryPath)]
        for start in starts {
            var dir = start
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("Scripts/qemu-spice.sh").path
                if fm.isExecutableFile(atPath: candidate) || fm.fileExists(atPath: candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        throw ToolError("cannot find Scripts/qemu-spice.sh (set SPICE_SCRIPTS_DIR)")
    }

    /// Runs a script and returns its standard output. Its standard error (progress and timing) is
    /// kept out of the caller's output and shown only when the script fails.
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        // `start --wait-ready S` may legitimately take S seconds (a Linux guest booting under TCG).
        let waitReady = arguments.firstIndex(of: "--wait-ready").flatMap { arguments.indices.contains($0 + 1) ? Double(arguments[$0 + 1]) : nil }
        let result = try ChildProcess.run("/bin/bash", [script] + arguments, timeout: max(60, (waitReady ?? 0) + 30))
        guard result.termination == .exited(0) else {
            let last = result.stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw ToolError("\(URL(fileURLWithPath: script).lastPathComponent) \(arguments.first ?? "") failed (\(result.termination)): \(last)")
        }
        return result.stdout
    }
}

/// A tool-level failure with a one-line reason.
public struct ToolError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
