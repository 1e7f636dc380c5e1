import CZlib
import Datasets
import Foundation
import Testing

/// Little-endian bytes of fixed-width integers.
func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// MATLAB 5 file writing, as MATLAB lays it out, for tests.
enum MATWriter {
    static func header() -> [UInt8] {
        let text = Array("MATLAB 5.0 MAT-file, written by widesparse tests".utf8)
        return text + [UInt8](repeating: 0x20, count: 116 - text.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x01] + Array("IM".utf8)
    }

    /// A data element; `small` uses the packed 4-byte form (payload of at most 4 bytes).
    static func element(_ type: UInt32, _ payload: [UInt8], small: Bool = false) -> [UInt8] {
        if small {
            return littleEndian([UInt32(payload.count) << 16 | type]) + payload + [UInt8](repeating: 0, count: 4 - payload.count)
        }
        let padding = type == 15 ? 0 : (8 - payload.count % 8) % 8
        return littleEndian([type, UInt32(payload.count)]) + payload + [UInt8](repeating: 0, count: padding)
    }

    /// A numeric matrix: class 9 is uint8, 6 is double; data of MATLAB type 2 (uint8) or 9 (double).
    static func matrix(name: String, arrayClass: UInt32, dimensions: [Int32], dataType: UInt32, data: [UInt8]) -> [UInt8] {
        let nameBytes = Array(name.utf8)
        let payload = element(6, littleEndian([arrayClass, 0])) + element(5, littleEndian(dimensions))
            + element(1, nameBytes, small: nameBytes.count <= 4) + element(dataType, data)
        return element(14, payload)
    }

    static func compressed(_ element: [UInt8]) -> [UInt8] {
        var size = compressBound(UInt(element.count))
        var output = [UInt8](repeating: 0, count: Int(size))
        _ = compress2(&output, &size, element, UInt(element.count), 6)
        return MATWriter.element(15, Array(output[0..<Int(size)]))
    }
}

@Suite("CIFAR and SVHN readers on files the tests write")
struct ImageFileTests {
    /// One CIFAR record: label byte(s) then 3072 pixels.
    func record(labels: [UInt8], seed: UInt8) -> [UInt8] {
        labels + (0..<3072).map { UInt8(truncatingIfNeeded: Int($0) * 7 + Int(seed)) }
    }

    @Test("CIFAR-10 folder: five training batches and a test batch; CIFAR-100 fine labels")
    func cifar() throws {
        let folder = temporaryFolder()
        for batch in 1...5 { write(record(labels: [UInt8(batch)], seed: UInt8(batch)) + record(labels: [9], seed: 0), "\(folder)/data_batch_\(batch).bin") }
        write(record(labels: [3], seed: 42), "\(folder)/test_batch.bin")
        let split = try loadDataset(.cifar10, location: folder)
        #expect(split.train.count == 10 && split.test.count == 1)
        #expect(split.train.labels == [1, 9, 2, 9, 3, 9, 4, 9, 5, 9])
        #expect(split.test.images.shape == [1, 3, 32, 32])
        #expect(split.test.images[1024] == Float(UInt8(truncatingIfNeeded: 1024 * 7 + 42)) / 255)  // first green pixel
        let hundred = temporaryFolder()
        write(record(labels: [4, 87], seed: 1), "\(hundred)/train.bin")
        write(record(labels: [19, 99], seed: 2), "\(hundred)/test.bin")
        let cifar100 = try loadDataset(.cifar100, location: hundred)
        #expect(cifar100.train.labels == [87] && cifar100.test.labels == [99])
    }

    @Test("Broken CIFAR files: a truncated record, a label out of range")
    func cifarErrors() {
        let folder = temporaryFolder()
        write(record(labels: [1], seed: 0) + [1, 2, 3], "\(folder)/short.bin")
        #expect(throws: DatasetError.badFormat(
            path: "\(folder)/short.bin", expected: "a whole number of 3073-byte records (1 label byte(s) + 3072 pixels)", found: "3076 bytes")) {
            try readCIFARBinary("\(folder)/short.bin", labelBytes: 1, classCount: 10)
        }
        write(record(labels: [1], seed: 0) + record(labels: [10], seed: 0), "\(folder)/label.bin")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/label.bin", expected: "labels in 0...9", found: "label 10 in record 1")) {
            try readCIFARBinary("\(folder)/label.bin", labelBytes: 1, classCount: 10)
        }
    }

    /// An SVHN-style file of two 2x3 RGB images, labels [10, 3], plain or compressed.
    func svhnFile(compressed: Bool, labels: [Double] = [10, 3]) -> [UInt8] {
        let pixels = (0..<36).map { UInt8($0 * 5) }
        let x = MATWriter.matrix(name: "X", arrayClass: 9, dimensions: [2, 3, 3, 2], dataType: 2, data: pixels)
        let y = MATWriter.matrix(
            name: "y", arrayClass: 6, dimensions: [Int32(labels.count), 1], dataType: 9,
            data: labels.flatMap { value in withUnsafeBytes(of: value) { Array($0) } })
        return MATWriter.header() + (compressed ? MATWriter.compressed(x) + MATWriter.compressed(y) : x + y)
    }

    @Test("SVHN .mat (MATLAB 5), with and without compressed elements: column-major to [N, 3, H, W], label 10 -> 0",
          arguments: [false, true])
    func svhn(compressed: Bool) throws {
        let path = temporaryFolder() + "/train_32x32.mat"
        write(svhnFile(compressed: compressed), path)
        let set = try readSVHN(path)
        #expect(set.images.shape == [2, 3, 2, 3])
        #expect(set.labels == [0, 3])
        // Image n, channel c, row r, column k is X[r + 2 * (k + 3 * (c + 3 * n))] in MATLAB's order.
        for n in 0..<2 {
            for c in 0..<3 {
                for r in 0..<2 {
                    for k in 0..<3 {
                        let expected = Float((r + 2 * (k + 3 * (c + 3 * n))) * 5) / 255
                        #expect(set.images[((n * 3 + c) * 2 + r) * 3 + k] == expected)
                    }
                }
            }
        }
    }

    @Test("Broken SVHN files: truncated, wrong label, HDF5 (v7.3), missing arrays")
    func svhnErrors() {
        let folder = temporaryFolder()
        let whole = svhnFile(compressed: false)
        write(Array(whole.prefix(whole.count - 20)), "\(folder)/truncated.mat")
        do {
            _ = try readSVHN("\(folder)/truncated.mat")
            Issue.record("no error for a truncated file")
        } catch {
            #expect("\(error)".contains("(the file is truncated)"))
        }
        write(svhnFile(compressed: true, labels: [0, 3]), "\(folder)/zero.mat")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/zero.mat", expected: "labels 1...10 in 'y' (10 for the digit 0)", found: "0.0 at index 0")) {
            try readSVHN("\(folder)/zero.mat")
        }
        let doubles = (0..<36).flatMap { value in withUnsafeBytes(of: Double(value)) { Array($0) } }
        let y = MATWriter.matrix(name: "y", arrayClass: 6, dimensions: [2, 1], dataType: 9, data: [10.0, 3.0].flatMap { v in withUnsafeBytes(of: v) { Array($0) } })
        write(MATWriter.header() + MATWriter.matrix(name: "X", arrayClass: 6, dimensions: [2, 3, 3, 2], dataType: 9, data: doubles) + y, "\(folder)/double.mat")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/double.mat", expected: "X stored as uint8 (SVHN's pixels)", found: "X stored as double")) {
            try readSVHN("\(folder)/double.mat")
        }
        write(svhnFile(compressed: true, labels: [10, 11]), "\(folder)/label.mat")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/label.mat", expected: "labels 1...10 in 'y' (10 for the digit 0)", found: "11.0 at index 1")) {
            try readSVHN("\(folder)/label.mat")
        }
        write([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 200), "\(folder)/v73.mat")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/v73.mat", expected: "a MATLAB 5 (v6/v7) .mat file", found: "a MATLAB v7.3 (HDF5) file")) {
            try readSVHN("\(folder)/v73.mat")
        }
        write(MATWriter.header(), "\(folder)/empty.mat")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/empty.mat", expected: "arrays 'X' and 'y'", found: "arrays []")) {
            try readSVHN("\(folder)/empty.mat")
        }
    }
}
