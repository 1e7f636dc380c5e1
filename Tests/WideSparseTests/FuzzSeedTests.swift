import Datasets
import Experiments
import Foundation
import RunRecords
import Sparsity
import TensorCore
import Testing

/// The fuzz targets' seed inputs (Fuzz/seeds/<target>/), written by the tests' own file writers:
/// small valid files, so that fuzzing starts from inputs that reach deep into each reader.
func fuzzSeeds() throws -> [(target: String, name: String, bytes: [UInt8])] {
    let images = ImageFileTests()
    let pixels = (0..<12).map { UInt8($0 * 20) }
    let masks = try MaskFile.encode([
        ("fc1.weight", Tensor(shape: [2, 3], scalars: [1, 0, 1, 1, 0, 0])), ("fc2.weight", Tensor(shape: [1, 2], scalars: [0, 1])),
    ])
    let tensors = try SafeTensors.encode([("w", Tensor(shape: [2, 2], scalars: [1, -2, 3.5, 0])), ("b", Tensor(shape: [3], scalars: [0, 1, 2]))],
                                         metadata: ["epoch": "2", "format": "widesparse-checkpoint-2"])
    return [
        ("idx", "images-3x2x2", idxBytes(dimensions: [3, 2, 2], data: pixels)),
        ("idx", "images-3x2x2.gz", gzipBytes(idxBytes(dimensions: [3, 2, 2], data: pixels))),
        ("cifar", "train.bin", images.record(labels: [4, 87], seed: 1)),
        ("mat", "plain.mat", images.svhnFile(compressed: false)),
        ("mat", "compressed.mat", images.svhnFile(compressed: true)),
        ("svhn", "train_32x32.mat", images.svhnFile(compressed: true)),
        ("csv", "digits.csv", Array("3,0,255,17,4\n9,1,2,3,4\n".utf8)),
        ("safetensors", "tensors.safetensors", Array(tensors)),
        ("masks", "masks.safetensors", Array(masks)),
        ("image", "rgb.png", pngBytes(width: 2, height: 2, channels: 3, pixels: pixels)),
        ("image", "rgb.jpg", jpegBytes(width: 8, height: 8, pixels: (0..<192).map { UInt8($0) })),
        ("events", "events.out.tfevents", Array(TensorBoardEvents.encode(
            [.init(tag: "loss/train", step: 1, wallTime: 100.5, value: 0.75), .init(tag: "accuracy/test", step: 1, wallTime: 100.5, value: 0.5)],
            fileStartTime: 100))),
        ("spec", "quick.yaml", Array(quickMLPSpec.utf8)),
        ("spec", "stages.yaml", Array("""
            name: s
            model: resnet18
            dataset: fashion-mnist
            base_width: 4
            factors: [1, 2]
            methods: [sparse, linear-bottleneck]
            widen_stages: ["1,2,3,4", "4"]
            options: {epochs: 2, lr: [0.1, 0.05]}
            """.utf8)),
    ]
}

@Suite("Fuzz seeds: the committed seed files are what the tests write, and each is a valid input of its target")
struct FuzzSeedTests {
    @Test func seedsAreCurrentAndValid() throws {
        let root = repositoryRoot + "/Fuzz/seeds"
        let record = ProcessInfo.processInfo.environment["WIDESPARSE_RECORD_GOLDEN"] == "1"
        for (target, name, bytes) in try fuzzSeeds() {
            let path = "\(root)/\(target)/\(name)"
            if record {
                try FileManager.default.createDirectory(atPath: "\(root)/\(target)", withIntermediateDirectories: true)
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }
            let committed = FileManager.default.contents(atPath: path).map { [UInt8]($0) }
            #expect(committed == bytes, "\(path) differs from what the tests write (re-record with WIDESPARSE_RECORD_GOLDEN=1)")
            // Valid: the reader the fuzz target calls accepts it (as Fuzz/Sources/widesparse-fuzz calls it).
            try readAsFuzzTarget(target, path: path, bytes: bytes)
        }
    }

    /// Inputs that once crashed a fuzz target (Fuzz/regressions/<target>/): read again, each must
    /// give an error or a value, not a trap (which would end the test process).
    @Test func crashesFoundByFuzzingStayFixed() throws {
        let root = repositoryRoot + "/Fuzz/regressions"
        for target in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(target)") {
                let path = "\(root)/\(target)/\(name)"
                _ = try? readAsFuzzTarget(target, path: path, bytes: [UInt8](FileManager.default.contents(atPath: path) ?? Data()))
            }
        }
    }
}

/// What the fuzz target `target` does with an input (Fuzz/Sources/widesparse-fuzz/FuzzTargets.swift).
func readAsFuzzTarget(_ target: String, path: String, bytes: [UInt8]) throws {
            switch target {
            case "idx": _ = try readIDX(path, expectedDimensions: 3)
            case "cifar": _ = try readCIFARBinary(path, labelBytes: 2, classCount: 100)
            case "mat": #expect(try readMATFile(path).keys.sorted() == ["X", "y"])
            case "svhn": _ = try readSVHN(path)
            case "csv": _ = try readCSVImageSet(path, sampleShape: [1, 2, 2], labelColumn: .first, classCount: 10)
            case "safetensors": _ = try SafeTensors.decode(Data(bytes), path: path)
            case "masks": _ = try MaskFile.decode(Data(bytes), path: path, expected: [("fc1.weight", [2, 3], 3), ("fc2.weight", [1, 2], 1)])
            case "image": _ = try decodeImage(bytes, path: path, channels: 3)
            case "events": #expect(try TensorBoardEvents.decode(Data(bytes), path: path).count == 2)
            case "spec": _ = try ExperimentSpec(try SpecValue.parse(yaml: String(decoding: bytes, as: UTF8.self), file: path), file: path)
            default: Issue.record("no reader for fuzz target \(target)")
            }
}
