import Foundation

/// Timing on a shared machine, as benchmarks/torch_bench.py does it: each measurement window
/// also measures how much CPU other processes used, and only "clean" windows (other processes
/// used at most 0.15 cores) count, so both sides of a comparison are judged on a quiet machine.
public enum QuietWindows {
    public static let cleanForeignCores = 0.15

    /// Wall time, and the cores that other processes used, during one call of `body`.
    public static func watch(_ body: () -> Void) -> (seconds: Double, foreignCores: Double) {
        let machineBefore = machineBusySeconds()
        let ownBefore = processCPUSeconds()
        let start = Date()
        body()
        let wall = Date().timeIntervalSince(start)
        let foreign = max(0, (machineBusySeconds() - machineBefore) - (processCPUSeconds() - ownBefore))
        return (wall, wall > 0 ? foreign / wall : 0)
    }

    /// Sleeps until 3 consecutive 1-second samples are clean, or `maximum` seconds passed.
    public static func waitForQuiet(maximum: Double) {
        let start = Date()
        var clean = 0
        while clean < 3 && Date().timeIntervalSince(start) < maximum {
            let sample = watch { usleep(1_000_000) }
            clean = sample.foreignCores <= cleanForeignCores ? clean + 1 : 0
        }
    }

    /// CPU seconds all processes spent busy (not idle or waiting for I/O), from /proc/stat.
    static func machineBusySeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first else { return 0 }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 8 else { return 0 }
        let busy = values[0..<8].reduce(0, +) - values[3] - values[4]
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds this process (all its threads) has used.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// The median of `values` (the mean of the middle two for an even count).
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The process's peak resident set size in KiB (VmHWM, as PyTorch's benchmark reads it).
public func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}
