import Foundation
import RunRecords
import Testing
import Training

/// Records written by release 0.9.0 (before configurations held typed choices) stay valid:
/// the same run ids, and an interrupted run of that release resumes and ends as it would have.
@Suite("Records of the previous release read back unchanged")
struct RecordCompatibilityTests {
    let golden = repositoryRoot + "/Tests/WideSparseTests/Golden/"

    @Test("config.json files written by 0.9.0 decode to the same run id and encode to the same text")
    func sameRunIDs() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: golden + "configs").filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count == 6)
        for file in files {
            let path = golden + "configs/" + file
            let config = try RecordFiles.readJSON(RunConfig.self, from: path)
            let expectedID = String(file.dropLast(".json".count).split(separator: "-").last!)
            #expect(TrainingRun.identifier(of: config) == expectedID, "\(file)")
            try config.validate()
            let written = String(decoding: try RecordFiles.encode(config), as: UTF8.self)
            let original = try String(contentsOfFile: path, encoding: .utf8)
            #expect(written.trimmingCharacters(in: .whitespacesAndNewlines) == original.trimmingCharacters(in: .whitespacesAndNewlines), "\(file)")
        }
    }

    /// Bit for bit on a CPU like the one that wrote the records (AVX-512); on others a release
    /// build sums in other vector widths, so the losses agree to float rounding (a misread
    /// checkpoint, learning rate or random stream would move them by far more).
    @Test("A run interrupted by 0.9.0 resumes to the uninterrupted run's metrics")
    func interruptedRunResumes() throws {
        let directory = temporaryFolder() + "/run"
        try FileManager.default.copyItem(atPath: golden + "interrupted-mlp", toPath: directory)
        try FileManager.default.removeItem(atPath: directory + "/uninterrupted-metrics.jsonl")
        let config = try RecordFiles.readJSON(RunConfig.self, from: directory + "/config.json")
        let result = try TrainingRun(config: config, directory: directory).run()
        #expect(result?.epochs == 2)
        let resumed = try RecordFiles.readJSONLines(EpochMetrics.self, from: directory + "/metrics.jsonl")
        let uninterrupted = try RecordFiles.readJSONLines(EpochMetrics.self, from: golden + "interrupted-mlp/uninterrupted-metrics.jsonl")
        #expect(resumed.count == 2)
        let tolerance = cpuHasAVX512 ? 0 : 1e-6
        func same(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance * abs(b) }
        for (a, b) in zip(resumed, uninterrupted) {
            #expect(same(a.trainLoss, b.trainLoss) && same(a.testLoss, b.testLoss), "epoch \(a.epoch): \(a) against \(b)")
            #expect(a.trainAccuracy == b.trainAccuracy && a.testAccuracy == b.testAccuracy, "epoch \(a.epoch)")
        }
    }
}
