import Experiments
import Foundation
import RunRecords
import Testing
import Training
import WideSparseCLI

/// The repository's root (this file is Tests/WideSparseTests/ExperimentSpecTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Writes `text` as a spec file and returns its path.
func specFile(_ text: String, name: String = "spec.yaml") -> String {
    let path = temporaryFolder() + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

func expand(_ path: String, overrides: [String] = [], runsRoot: String = "/tmp/widesparse-test-runs") throws -> SweepPlan {
    let (spec, _) = try ExperimentSpec.load(path: path, overrides: overrides)
    return try SweepPlan(spec: spec, runsRoot: runsRoot, file: path)
}

/// The message a spec fails with (nil if it expands).
func specFailure(_ text: String, overrides: [String] = []) -> String? {
    do {
        _ = try expand(specFile(text), overrides: overrides)
        return nil
    } catch {
        return "\(error)"
    }
}

let quickMLPSpec = """
    name: quick
    model: mlp
    dataset: mnist5k
    base_width: 5
    widths: [5, 20, 80]
    methods: [sparse, dense]
    last_layer_connectivity: [1.0, 0.5]
    seeds: [0, 1]
    options:
      epochs: 2
      lr: [0.05, 0.1]
    """

@Suite("Experiment specs: expansion, ids, overrides and validation")
struct ExperimentSpecTests {
    @Test("Expansion is deterministic, in the documented order, with infeasible and repeated entries marked")
    func expansion() throws {
        let path = specFile(quickMLPSpec)
        let plan = try expand(path)
        let again = try expand(path)
        // 3 widths x (2 sparse splits + 1 dense) x 2 learning rates x 2 seeds
        #expect(plan.runs.count == 36)
        #expect(plan.runs.map(\.id) == again.runs.map(\.id))
        // First entries: width 5, last layer 1.0 (= the dense base), lr 0.05, seeds 0 and 1.
        let first = plan.runs[0]
        #expect(first.request.width == 5 && first.request.seed == 0)
        #expect(first.request.options.map(\.value) == ["2", "0.05"])
        #expect(plan.runs[1].request.seed == 1)
        #expect(plan.runs[2].request.options.map(\.value) == ["2", "0.1"])
        // Width 5 cannot have a half-connected last layer at the dense width's own weights.
        guard case .infeasible(let reason) = plan.runs[4].status else { Issue.record("expected infeasible"); return }
        #expect(reason.contains("last-layer-connectivity"))
        // The dense width-5 model (method dense) is the sparse width-5 model at connectivity 1.
        let denseFive = plan.runs.first { $0.labels.method == "dense" && $0.request.width == 5 }!
        guard case .duplicate(let original) = denseFive.status else { Issue.record("expected a duplicate"); return }
        #expect(original == 0)
        // Every trainable run has exactly its budget; ids are the configs' hashes and distinct.
        let ids = plan.trainable.map { $0.id! }
        #expect(Set(ids).count == ids.count)
        for run in plan.trainable where run.labels.method == "sparse" {
            let mlp = run.config!.model.mlp!
            #expect(784 * mlp.width + 10 * mlp.width - mlp.removedWeights.reduce(0, +) == 3970)
            #expect(run.id == TrainingRun.identifier(of: run.config!))
        }
    }

    @Test("A run id is a stable function of the resolved config")
    func stableIdentifier() throws {
        let plan = try expand(specFile(quickMLPSpec))
        // Recorded once; it changes only if the config format changes, which would orphan every
        // existing run folder, so that must be a deliberate decision.
        #expect(plan.runs[0].id == TrainingRun.identifier(of: try TrainMLP.parse([
            "--width", "5", "--weights", "3970", "--last-layer-connectivity", "1.0", "--epochs", "2", "--lr", "0.05",
        ]).resolvedConfig()))
        #expect(plan.runs[0].id == "a331cc2d93ad")
    }

    @Test("A spec run means exactly what the same command line means")
    func sameAsCommandLine() throws {
        let plan = try expand(specFile("""
            name: resnet
            model: resnet18
            dataset: fashion-mnist
            base_width: 4
            factors: [2]
            rule: erk
            io_only: true
            seed: 3
            options: {epochs: 2, flip: on, weight_decay: 1e-4}
            """))
        let command = try TrainResNet.parse([
            "--dataset", "fashion-mnist", "--width", "8", "--weights-of-width", "4", "--rule", "erk", "--io-only", "--seed", "3",
            "--epochs", "2", "--flip", "on", "--weight-decay", "1e-4",
        ])
        #expect(plan.runs.count == 1)
        #expect(plan.runs[0].config == (try command.resolvedConfig()))
        #expect(plan.runs[0].labels.wideningFactor == 2)
    }

    @Test("key=value overrides change fields, lists and options")
    func overrides() throws {
        let path = specFile(quickMLPSpec)
        let plan = try expand(path, overrides: ["seeds=[4]", "widths=[20]", "options.epochs=3", "options.lr=0.2", "methods=sparse"])
        #expect(plan.runs.count == 2)
        #expect(plan.runs.allSatisfy { $0.request.seed == 4 && $0.request.width == 20 })
        #expect(plan.runs[0].config!.training.epochs == 3)
        #expect(plan.runs[0].config!.training.learningRate == 0.2)
        #expect(specFailure(quickMLPSpec, overrides: ["seeds"]) == "override: expected key=value (e.g. options.epochs=5 or seeds=[0,1]), found 'seeds'")
    }

    @Test("Bad specs are refused before any run, naming the field")
    func validation() {
        let base = "name: x\nmodel: mlp\nbase_width: 5\nwidths: [5, 10]\n"
        #expect(specFailure(base + "widht: 3\n")?.hasSuffix("field 'widht': expected one of the known fields (name, description, model, dataset, datasets, data_dir, base_width, base_widths, widths, factors, weights, methods, method, rule, rules, io_only, last_layer_connectivity, seed, seeds, widen_stages, options), found an unknown field") == true)
        #expect(specFailure(base.replacingOccurrences(of: "mlp", with: "vit"))?.hasSuffix("field 'model': expected one of mlp, resnet18, vgg, found 'vit'") == true)
        #expect(specFailure(base + "factors: [1, 2]\n")?.hasSuffix("field 'widths': expected either widths or factors, found both") == true)
        #expect(specFailure(base + "methods: [sparse, pruned]\n")?.hasSuffix("field 'methods': expected one of dense, sparse, linear-bottleneck, nonlinear-bottleneck, found 'pruned'") == true)
        #expect(specFailure(base + "methods: [sparse, nonlinear-bottleneck]\n")?.contains("field 'methods': expected methods that apply to model mlp, found nonlinear-bottleneck: MLP-1's one pair of layers (784 -> hidden -> 10) has the hidden units as its inner width") == true)
        #expect(specFailure(base + "seeds: [0, -1]\n")?.hasSuffix("field 'seeds': expected whole numbers of 0 or more, found '-1'") == true)
        #expect(specFailure(base + "options: {width: 7}\n")?.hasSuffix("field 'options.width': expected it in the spec's own fields (width, weights, rule, io_only, seeds, dataset, ...), found it under options") == true)
        #expect(specFailure(base + "io_only: true\n")?.hasSuffix("field 'io_only': expected false for the MLP (io-only masks remove whole convolution kernels), found true") == true)
        #expect(specFailure(base + "options: {lr: fast}\n")?.contains("--lr") == true)
        #expect(specFailure(base + "options: {nesterov: maybe}\n")?.contains("options.nesterov") == true)
        #expect(specFailure(base + "options: {schedule: step}\n")?.contains("schedule: expected one of constant, multistep, cosine, found 'step'") == true)
        #expect(specFailure("name: x\nmodel: mlp\nbase_width: 5\nwidths: [640]\nlast_layer_connectivity: 1\n")?
            .contains("expected at least one feasible run, found 1 infeasible ones") == true)
        #expect(specFailure("name: [x\n")?.contains("expected valid YAML or JSON") == true)
        #expect(specFailure("{\"name\": \"j\", \"model\": \"mlp\", \"base_width\": 5, \"widths\": [5]}") == nil)
    }

    @Test("The shipped specs of the paper's experiments and their quick variants are valid")
    func shippedSpecs() throws {
        let folder = repositoryRoot + "/experiments"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 7)
        for file in files {
            let (spec, _) = try ExperimentSpec.load(path: "\(folder)/\(file)")
            #expect(spec.name + ".yaml" == file)
            // ImageNet's classes are counted from its folder, which is not here.
            if spec.datasets == ["image-folder"] { continue }
            let plan = try expand("\(folder)/\(file)")
            #expect(!plan.trainable.isEmpty)
        }
        // 3 datasets x 5 base widths x (5 sparse + 4 more dense widths) x 3 seeds, less the dense
        // widths 64 and 128 that base widths 8 and 64 share (trained once).
        #expect(try expand(folder + "/figure6-resnet-cifar.yaml").trainable.count == 3 * (5 * (5 + 4) - 2) * 3)
    }
}

@Suite("TensorBoard event files")
struct TensorBoardTests {
    @Test("CRC-32C of the standard check string, and TFRecord's masking")
    func checksum() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        let crc = CRC32C.checksum([1, 2, 3])
        #expect(CRC32C.masked([1, 2, 3]) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("Scalars written are read back with valid checksums; a flipped byte is caught")
    func roundTrip() throws {
        var scalars: [TensorBoardEvents.Scalar] = []
        for step in 1...3 {
            let time = 100 + Double(step)
            scalars.append(.init(tag: "train/loss", step: Int64(step), wallTime: time, value: 1 / Float(step)))
            scalars.append(.init(tag: "test/accuracy", step: Int64(step), wallTime: time, value: 0.5))
        }
        var data = TensorBoardEvents.encode(scalars, fileStartTime: 100)
        #expect(try TensorBoardEvents.decode(data, path: "events") == scalars)
        data[data.count - 9] ^= 0x01
        #expect(throws: RecordError.invalid(path: "events", reason: "record 3: payload checksum does not match")) {
            try TensorBoardEvents.decode(data, path: "events")
        }
        #expect(throws: RecordError.self) { try TensorBoardEvents.decode(data.prefix(30), path: "events") }
    }

    @Test("A run's event file holds its metrics, one event per epoch")
    func runEvents() throws {
        let directory = temporaryFolder()
        let run = TrainingRun(config: mnist5kConfig(width: 8, epochs: 2, subset: 200), directory: directory)
        try run.run()
        let metrics = try RecordFiles.readJSONLines(EpochMetrics.self, from: run.metricsPath)
        let scalars = try TensorBoardEvents.decode(Data(contentsOf: URL(fileURLWithPath: run.eventsPath)), path: run.eventsPath)
        #expect(scalars.count == 2 * 6)
        for epoch in metrics {
            let accuracy = scalars.first { $0.step == Int64(epoch.epoch) && $0.tag == "test/accuracy" }
            #expect(accuracy?.value == Float(epoch.testAccuracy))
        }
    }
}
