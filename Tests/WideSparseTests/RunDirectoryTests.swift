import Foundation
import RunRecords
import Testing

@Suite("RunDirectory: a run's file names, state and records in one place")
struct RunDirectoryTests {
    func touch(_ folder: RunDirectory, _ file: RunDirectory.File, _ text: String = "{}") {
        FileManager.default.createFile(atPath: folder.path(file), contents: Data(text.utf8))
    }

    @Test("State from the files alone: missing, interrupted, failed, running, diverged, done")
    func states() throws {
        let folder = RunDirectory(temporaryFolder() + "/run")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        #expect(folder.state == .missing)
        touch(folder, .checkpoint)
        #expect(folder.state == .interrupted)
        try RecordFiles.writeJSON(RunFailure(message: "boom", time: 0, host: "h"), to: folder.path(.error))
        #expect(folder.state == .failed && folder.failure()?.message == "boom")
        // (running, a lock held by another process, is tested with real workers in SweepTests.)
        let lock = try #require(try RunLock.acquire(directory: folder.path, holder: "test pid 1"))
        #expect(RunLock.holder(directory: folder.path) == "test pid 1" && folder.has(.lock))
        withExtendedLifetime(lock) {}
        try RecordFiles.writeJSON(RunDivergence(epoch: 0, step: 3, loss: "nan"), to: folder.path(.diverged))
        #expect(folder.state == .diverged && folder.divergence()?.step == 3)
        touch(folder, .result)
        #expect(folder.state == .done)
    }

    @Test("Clearing training keeps the config and the sweep's records; alias links are not runs")
    func clearAndAliases() throws {
        let root = temporaryFolder()
        let folder = RunDirectory(root + "/abc123")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        for file in RunDirectory.File.allCases { touch(folder, file) }
        try folder.clearTraining()
        let left = Set(RunDirectory.File.allCases.filter { folder.has($0) })
        #expect(left == [.config, .labels, .attempts, .lock, .workerLog])
        #expect(Set(RunDirectory.File.allCases.map(\.rawValue)).count == RunDirectory.File.allCases.count)
        #expect(symlink("abc123", root + "/nice-name") == 0)
        #expect(RunDirectory.isRun(folder.path) && !RunDirectory.isRun(root + "/nice-name"))
    }
}
