import Foundation

/// Whether the process that wrote a temporary file may still be writing it.
///
/// A killed writer's process id can outlive it in two ways that `kill(pid, 0)` does not see:
/// as a zombie (an orphan in a container whose init does not reap) and as a new, unrelated
/// process that was given the same id. On Linux both are told apart through /proc: a zombie's
/// state is Z (or X), and a process that started after the file was last written is not its
/// writer. Elsewhere only `kill` decides.
enum WriterProcess {
    static func mayStillWrite(pid: Int32, fileModified: Date?) -> Bool {
        if pid == ProcessInfo.processInfo.processIdentifier { return true }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let nameEnd = stat.range(of: ")", options: .backwards)
        else { return true }
        // Fields after the command name, starting with field 3 (state); field 22 is the start time.
        let fields = stat[nameEnd.upperBound...].split(separator: " ")
        guard let state = fields.first else { return true }
        if state == "Z" || state == "X" { return false }
        if let fileModified, fields.count > 19, let ticks = Double(fields[19]), let boot = bootTime() {
            let started = boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
            // One second of slack: btime is whole seconds.
            if started > fileModified.timeIntervalSince1970 + 1 { return false }
        }
        return true
    }

    /// Seconds since 1970 at which the machine booted (/proc/stat's btime).
    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
