import CZlib
import Datasets
import Experiments
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

    @Test("A PNG whose header claims 1e6 x 1e6 pixels is refused before anything is allocated for it")
    func hugePNG() throws {
        var bytes = pngBytes(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 7, count: 12))
        // After the 8-byte signature and the 4-byte length: "IHDR" at 12, width at 16, height at 20,
        // 5 more bytes, then the CRC of type and data (17 bytes) at 29.
        let ihdr = 12
        for (offset, value) in [(ihdr + 4, UInt32(1_000_000)), (ihdr + 8, UInt32(1_000_000))] {
            for byte in 0..<4 { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(byte))) }
        }
        let crc = UInt32(bytes[ihdr..<(ihdr + 17)].withContiguousStorageIfAvailable { crc32(0, $0.baseAddress, UInt32($0.count)) }!)
        for byte in 0..<4 { bytes[ihdr + 17 + byte] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(byte))) }
        #expect(throws: DatasetError.badFormat(path: "big.png", expected: "an image of 1 to \(maximumImagePixels) pixels", found: "1000000x1000000")) {
            try decodeImage(bytes, path: "big.png", channels: 3)
        }
    }

    @Test("A .mat of thousands of nested compressed elements, and SVHN X of size 0, are refused")
    func nestedAndEmptyMAT() throws {
        let folder = temporaryFolder()
        var element = MATWriter.matrix(name: "X", arrayClass: 9, dimensions: [1, 1, 3, 1], dataType: 2, data: [1, 2, 3])
        for _ in 0..<5000 { element = MATWriter.compressed(element) }
        write(MATWriter.header() + element, folder + "/nested.mat")
        #expect(throws: DatasetError.badFormat(
            path: folder + "/nested.mat", expected: "no compressed element inside a compressed element", found: "one")) {
            try readMATFile(folder + "/nested.mat")
        }
        let y = MATWriter.matrix(name: "y", arrayClass: 6, dimensions: [0, 1], dataType: 9, data: [])
        write(MATWriter.header() + MATWriter.matrix(name: "X", arrayClass: 9, dimensions: [0, 0, 3, 0], dataType: 2, data: []) + y,
              folder + "/empty.mat")
        #expect(throws: DatasetError.badFormat(
            path: folder + "/empty.mat", expected: "X of size [height, width, 3, N], each at least 1", found: "size [0, 0, 3, 0] (0 values)")) {
            try readSVHN(folder + "/empty.mat")
        }
    }

    @Test("Specs: a billion-laughs of YAML aliases, widths past 2^20 and lists that multiply past 100000 runs are refused")
    func hostileSpecs() throws {
        var laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<9 { laughs += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(specFailure(laughs)?.hasSuffix(": expected at most 100000 values (YAML aliases expanded), found more") == true)
        let base = "name: x\nmodel: mlp\nbase_width: 5\n"
        #expect(specFailure(base + "factors: [1e300]\n")?.hasSuffix("field 'factors': expected factors that keep widths at most 1048576, found 1e+300") == true)
        #expect(specFailure(base + "widths: [4611686018427387904]\n")?.hasSuffix("field 'widths': expected whole numbers in 1...1048576, found '4611686018427387904'") == true)
        let seeds = "[" + (0..<1000).map(String.init).joined(separator: ",") + "]"
        #expect(specFailure(base + "widths: [5, 10]\nseeds: \(seeds)\noptions: {lr: [" + (1...60).map { "0.\($0)" }.joined(separator: ",") + "]}\n")?
            .hasSuffix("expected at most 100000 runs (lists multiply), found lists of 1 x 1 x 1 x 1 x 2 x 1 x 1 x 1 x 1000 x 60 values") == true)
    }

    @Test("TensorBoard event files cut inside a record's checksum or claiming huge fields are refused, not trapped on")
    func truncatedEvents() throws {
        let file = [UInt8](TensorBoardEvents.encode([.init(tag: "loss/train", step: 1, wallTime: 1, value: 2)], fileStartTime: 0))
        for cut in 12..<16 {
            #expect(throws: RecordError.invalid(path: "e", reason: "record 0: payload of 24 bytes runs past the end")) {
                try TensorBoardEvents.decode(Data(file.prefix(cut)), path: "e")
            }
        }
        #expect(try TensorBoardEvents.decode(Data(file), path: "e").count == 1)
    }

    @Test("Specs nested 100000 deep stop at libyaml's limit with a short message; 33 levels stop at the spec's own")
    func deeplyNestedSpecs() throws {
        let base = "name: x\nmodel: mlp\nbase_width: 5\n"
        let flood = try #require(specFailure(base + "widths: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"))
        #expect(flood.contains("expected valid YAML or JSON, found") && flood.contains("Maximum nesting level reached"))
        #expect(flood.count < 500)
        let deep = try #require(specFailure(base + "widths: " + String(repeating: "[", count: 33) + "5" + String(repeating: "]", count: 33) + "\n"))
        #expect(deep.hasSuffix("expected lists and maps nested at most 32 deep, found deeper nesting (line 4)"), "\(deep)")
        var blocks = base + "widths:\n"
        for level in 0..<40 { blocks += String(repeating: "  ", count: level + 1) + "-\n" }
        #expect(specFailure(blocks)?.contains("expected lists and maps nested at most 32 deep") == true)
    }
}
