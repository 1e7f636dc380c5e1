import Choices
import Datasets
import Experiments
import RunResults
import Foundation
import RunRecords
import Testing
import TensorCore
import Training
import WideSparseCLI

@Suite("Runs say what made them: run-info.json, TensorBoard hparams, readable aliases")
struct RunInfoTests {
    /// Trains `widesparse train mlp ARGUMENTS` (2000 mnist5k digits, 1 epoch) into a new folder.
    func train(_ arguments: [String]) throws -> String {
        let out = temporaryFolder() + "/run"
        var command = try TrainMLP.parse(["--dataset", "mnist5k", "--epochs", "1", "--train-subset", "2000", "--out", out] + arguments)
        try command.run()
        return out
    }

    @Test("run-info.json records the program, threads, execution, the budget asked for and the data files")
    func runInfoFields() throws {
        let run = try train(["--width", "40", "--weights-of-width", "5", "--rule", "uniform", "--execution", "sparse"])
        let info = try RecordFiles.readJSON(RunInfo.self, from: run + "/run-info.json")
        #expect(info.program == "widesparse" && info.release == WideSparseVersion.release && info.commit == WideSparseVersion.commit)
        #expect(info.threads == 1 && info.executionRequested == "sparse" && info.executionChosen == "sparse")
        #expect(info.request == RequestedBudget(method: "sparse", weights: nil, weightsOfWidth: 5, rule: "uniform"))
        #expect(info.firstEpoch == 1 && info.alias.hasPrefix("mlp-mnist5k-w40-sparse-uniform-s0-"))
        #expect(info.layout == nil && info.processor?.isEmpty == false)
        let file = try #require(info.dataFiles.first)
        #expect(info.dataFiles.count == 1 && file.path == DatasetName.mnist5k.defaultLocation)
        let bytes = try #require(FileManager.default.contents(atPath: file.path))
        #expect(file.bytes == bytes.count)
        #expect(file.fnv1a64 == String(format: "%016llx", fnv1a64(bytes: bytes)))

        // A sparse budget without a rule records the paper's; the MLP's Figure 5 split records none.
        let paper = try RecordFiles.readJSON(RunInfo.self, from: try train(["--width", "20", "--weights", "3970"]) + "/run-info.json")
        #expect(paper.request?.rule == "level-down" && paper.request?.weights == 3970)
        let split = try RecordFiles.readJSON(
            RunInfo.self, from: try train(["--width", "20", "--weights", "3970", "--last-layer-connectivity", "0.5"]) + "/run-info.json")
        #expect(split.request?.rule == nil && split.request?.lastLayerConnectivity == 0.5)
    }

    @Test("Dataset checksums: stable for the same bytes, different when one byte changes, folders by listing")
    func datasetChecksums() throws {
        let folder = temporaryFolder()
        var bytes = [UInt8](FileManager.default.contents(atPath: DatasetName.mnist5k.defaultLocation)!)
        FileManager.default.createFile(atPath: folder + "/a.csv.gz", contents: Data(bytes))
        FileManager.default.createFile(atPath: folder + "/b.csv.gz", contents: Data(bytes))
        bytes[bytes.count / 2] ^= 1
        FileManager.default.createFile(atPath: folder + "/c.csv.gz", contents: Data(bytes))
        let digests = try ["a", "b", "c"].map { try DatasetName.mnist5k.fileDigests(location: "\(folder)/\($0).csv.gz")[0] }
        #expect(digests[0].fnv1a64 == digests[1].fnv1a64 && digests[0].fnv1a64 != digests[2].fnv1a64)
        #expect(digests.allSatisfy { $0.bytes == bytes.count && !$0.ofListing })

        // An image folder is identified by its listing: names and sizes, not every pixel.
        for part in ["train/cat", "val/cat"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/images/\(part)", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: "\(folder)/images/\(part)/1.png", contents: Data([1, 2, 3]))
        }
        let listing = try DatasetName.imageFolder.fileDigests(location: folder + "/images")
        #expect(listing.count == 2 && listing.allSatisfy { $0.ofListing && $0.bytes == 3 })
        FileManager.default.createFile(atPath: "\(folder)/images/train/cat/2.png", contents: Data([4]))
        #expect(try DatasetName.imageFolder.fileDigests(location: folder + "/images")[0].fnv1a64 != listing[0].fnv1a64)
    }

    @Test("The TensorBoard file carries the run's labels as the HParams plugin's session-start summary")
    func tensorBoardHParams() throws {
        let run = try train(["--width", "40", "--weights-of-width", "5"])
        let events = try #require(FileManager.default.contents(atPath: run + "/events.out.tfevents.widesparse"))
        let hparams = try TensorBoardEvents.decodeHParams(events, path: "events")
        #expect(hparams["method"] == .text("sparse") && hparams["rule"] == .text("level-down"))
        #expect(hparams["width"] == .number(40) && hparams["seed"] == .number(0) && hparams["weights"] == .number(3970))
        #expect(hparams["connectivity"] == .number(3970.0 / (794.0 * 40)) && hparams["dataset"] == .text("mnist5k"))
        // The scalars are still there, and the hparams record does not add any.
        let scalars = try TensorBoardEvents.decode(events, path: "events")
        #expect(Set(scalars.map(\.tag)).contains("test/accuracy") && scalars.allSatisfy { $0.step == 1 })
    }

    @Test("Sweep run folders get a readable alias link that folder scans do not count twice")
    func aliases() throws {
        let folder = temporaryFolder()
        let spec = specFile("""
            name: alias
            model: mlp
            dataset: mnist5k
            base_width: 5
            widths: [5, 10]
            options: {epochs: 1, train-subset: 500}
            """)
        let plan = try expand(spec, runsRoot: folder)
        let worker = RunWorker(plan: plan)
        for run in plan.trainable { _ = try worker.run(index: run.index) }
        let names = try FileManager.default.contentsOfDirectory(atPath: plan.directory)
        let links = names.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(plan.directory)/\($0)")) != nil }
        #expect(Set(links) == Set(plan.trainable.map { TrainingRun(config: $0.config!, directory: "", budget: $0.request.requestedBudget).alias }))
        #expect(links.contains { $0.hasPrefix("mlp-mnist5k-w10-sparse-level-down-s0-") })
        #expect(try SweepResults(folder: plan.directory).rows.count == 2)
    }
}
