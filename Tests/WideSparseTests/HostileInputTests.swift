import Datasets
import Foundation
import RunRecords
import Sparsity
import TensorCore
import Testing
import Training
import WideSparseCLI

/// A short real MLP run to damage: 3 epochs on 300 digits.
func shortMLPConfig() throws -> RunConfig {
    try TrainMLP.parse(["--width", "8", "--epochs", "3", "--train-subset", "300"]).resolvedConfig()
}

@Suite("Hostile inputs: no trap is reachable from a file, damaged run files are refused")
struct HostileInputTests {
    @Test("An IDX header whose sizes overflow when multiplied is refused, not trapped on")
    func idxOverflow() {
        let path = temporaryFolder() + "/huge-idx3-ubyte"
        // 3 dimensions: 0x7FFFFFFF x 0x7FFFFFFF x 0x7FFFFFFF, then a few bytes.
        write([0, 0, 8, 3] + [UInt8](repeating: 0, count: 0) + [0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2], path)
        #expect(throws: DatasetError.badFormat(
            path: path, expected: "a shape whose data fits in the file's 2 data bytes", found: "shape 2147483647x2147483647x2147483647")) {
            try readIDX(path, expectedDimensions: 3)
        }
    }

    @Test("safetensors: shapes and offsets that overflow or point outside the file are refused")
    func safetensorsOverflow() throws {
        func file(_ header: String) -> Data {
            var data = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            return data + Data(header.utf8) + Data(count: 16)
        }
        let huge = file(#"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#)
        #expect(throws: SafeTensorsError(path: "f", expected: "a shape for tensor 'w' that fits in the file's 99 bytes",
                                         found: "shape [4611686018427387904, 4]")) { try SafeTensors.decode(huge, path: "f") }
        let offsets = file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[9223372036854775800,9223372036854775807]}}"#)
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(offsets, path: "f") }
        let negative = file(#"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#)
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(negative, path: "f") }
    }

    @Test("A checkpoint with a changed float, a negative or too large epoch, or metrics from another point is refused on resume")
    func damagedCheckpoints() throws {
        let config = try shortMLPConfig()
        let directory = temporaryFolder()
        let run = TrainingRun(config: config, directory: directory)
        #expect(try run.run(stopAfterEpochs: 2) == nil)
        let original = try Data(contentsOf: URL(fileURLWithPath: run.checkpointPath))
        let metrics = try Data(contentsOf: URL(fileURLWithPath: run.metricsPath))

        // One float of fc1.weight changed.
        var (tensors, metadata) = try SafeTensors.decode(original, path: run.checkpointPath)
        tensors["fc1.weight"]![17] += 0.001
        try SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata)
            .write(to: URL(fileURLWithPath: run.checkpointPath))
        do {
            _ = try run.run()
            Issue.record("a changed checkpoint resumed")
        } catch {
            #expect("\(error)".hasPrefix("\(run.checkpointPath): not a valid record: expected the checksum \(metadata["fnv1a64"]!) it was written with"))
            #expect("\(error)".hasSuffix("start the run again with --restart)"))
        }

        // Epoch -1 and epoch 99 in the metadata.
        (tensors, metadata) = try SafeTensors.decode(original, path: run.checkpointPath)
        for epoch in ["-1", "99", "two"] {
            metadata["epoch"] = epoch
            try SafeTensors.encode(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata)
                .write(to: URL(fileURLWithPath: run.checkpointPath))
            #expect(throws: RecordError.invalid(
                path: run.checkpointPath, reason: "expected an epoch in 0...3 in the checkpoint's metadata, found '\(epoch)'")) { try run.run() }
        }

        // The checkpoint at epoch 2 beside metrics of more epochs (another point of the run).
        try original.write(to: URL(fileURLWithPath: run.checkpointPath))
        let lines = String(decoding: metrics, as: UTF8.self).split(separator: "\n")
        try (lines + lines + lines).joined(separator: "\n").appending("\n").write(toFile: run.metricsPath, atomically: true, encoding: .utf8)
        #expect(throws: RecordError.invalid(
            path: run.metricsPath,
            reason: "expected 2 or 3 epoch records (the checkpoint \(run.checkpointPath) is at epoch 2), found 6; "
                + "one of the two files is from another point of the run: start it again with --restart")) { try run.run() }

        // Put back as it was, the run continues and finishes.
        try metrics.write(to: URL(fileURLWithPath: run.metricsPath))
        #expect(try run.run() != nil)
    }

    @Test("A masks file whose kept metadata disagrees with its data is refused")
    func masksKeptMetadata() throws {
        let mask = Tensor(shape: [2, 3], scalars: [1, 0, 1, 1, 0, 0])
        let data = try MaskFile.encode([("fc1.weight", mask)])
        var (tensors, metadata) = try SafeTensors.decode(data, path: "m")
        metadata["fc1.weight.kept"] = "4"
        let edited = try SafeTensors.encode(tensors.map { ($0.key, $0.value) }, metadata: metadata)
        #expect(throws: SafeTensorsError(path: "m", expected: "the kept count 3 of mask 'fc1.weight' in its metadata", found: "4 (the file was changed)")) {
            try MaskFile.decode(edited, path: "m", expected: [("fc1.weight", [2, 3], 3)])
        }
        tensors["fc1.weight"] = mask
        #expect(try MaskFile.decode(data, path: "m", expected: [("fc1.weight", [2, 3], 3)])[0].scalars == mask.scalars)
    }
}
