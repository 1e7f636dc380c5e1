import CZlib
import Choices
import Datasets
import Foundation
import TensorCore
import Testing

/// A fresh folder for files a test writes.
func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "widesparse-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// An IDX file of unsigned bytes: magic 00 00 08 D, big-endian sizes, data.
func idxBytes(dimensions: [Int], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
    for size in dimensions { bytes += [UInt8(size >> 24 & 255), UInt8(size >> 16 & 255), UInt8(size >> 8 & 255), UInt8(size & 255)] }
    return bytes + data
}

/// gzip-compresses bytes with zlib (windowBits 15 + 16 writes a gzip wrapper).
func gzipBytes(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var source = input
    let produced: Int = source.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = UInt32(outBuffer.count)
            deflate(&stream, Z_FINISH)
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    deflateEnd(&stream)
    return Array(output[0..<produced])
}

func write(_ bytes: [UInt8], _ path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

@Suite("Dataset readers on files the tests write")
struct DatasetTests {
    let images: [UInt8] = (0..<(3 * 2 * 2)).map { UInt8($0 * 20) }
    let labels: [UInt8] = [7, 0, 9]

    func writeIDXFolder(gzip: Bool, labels: [UInt8]? = nil) -> String {
        let folder = temporaryFolder()
        let suffix = gzip ? ".gz" : ""
        let image = idxBytes(dimensions: [3, 2, 2], data: images)
        let label = idxBytes(dimensions: [3], data: labels ?? self.labels)
        for part in ["train", "t10k"] {
            write(gzip ? gzipBytes(image) : image, "\(folder)/\(part)-images-idx3-ubyte\(suffix)")
            write(gzip ? gzipBytes(label) : label, "\(folder)/\(part)-labels-idx1-ubyte\(suffix)")
        }
        return folder
    }

    @Test("IDX files, raw and gzip, read to [N, 1, H, W] scaled to [0, 1]", arguments: [false, true])
    func readsIDX(gzip: Bool) throws {
        let split = try loadDataset(.mnist, location: writeIDXFolder(gzip: gzip))
        #expect(split.train.images.shape == [3, 1, 2, 2])
        #expect(split.train.labels == [7, 0, 9])
        #expect(split.test.images.scalars == images.map { Float($0) / 255 })
    }

    @Test func wrongMagic() {
        let path = temporaryFolder() + "/labels"
        write([0, 0, 0x0D, 1, 0, 0, 0, 1, 5], path)
        #expect(throws: DatasetError.badFormat(
            path: path, expected: "IDX magic 00 00 08 01 (unsigned bytes, 1 dimensions)", found: "00 00 0d 01")) {
            try readIDX(path, expectedDimensions: 1)
        }
    }

    @Test func truncatedData() {
        let path = temporaryFolder() + "/images"
        write(idxBytes(dimensions: [3, 2, 2], data: Array(images.prefix(10))), path)
        #expect(throws: DatasetError.badFormat(path: path, expected: "12 data bytes for shape 3x2x2", found: "10")) {
            try readIDX(path, expectedDimensions: 3)
        }
    }

    @Test func truncatedGzip() {
        let path = temporaryFolder() + "/images.gz"
        let compressed = gzipBytes(idxBytes(dimensions: [3, 2, 2], data: images))
        write(Array(compressed.prefix(compressed.count - 12)), path)
        #expect(throws: DatasetError.self) { try readIDX(path, expectedDimensions: 3) }
        do {
            _ = try readIDX(path, expectedDimensions: 3)
        } catch {
            #expect("\(error)".hasPrefix("\(path): expected a complete gzip stream, found it ends early"))
        }
    }

    @Test func emptyAndMismatchedFiles() {
        let folder = temporaryFolder()
        write(idxBytes(dimensions: [0, 28, 28], data: []), "\(folder)/images")
        write(idxBytes(dimensions: [0], data: []), "\(folder)/labels")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/images", expected: "at least one image of at least 1x1 pixels", found: "shape 0x28x28")) {
            try readIDXImageSet(imagesPath: "\(folder)/images", labelsPath: "\(folder)/labels")
        }
        write(idxBytes(dimensions: [3, 2, 2], data: images), "\(folder)/images")
        write(idxBytes(dimensions: [2], data: [1, 2]), "\(folder)/labels")
        #expect(throws: DatasetError.badFormat(path: "\(folder)/labels", expected: "3 labels (one per image in \(folder)/images)", found: "2")) {
            try readIDXImageSet(imagesPath: "\(folder)/images", labelsPath: "\(folder)/labels")
        }
    }

    @Test func labelOutOfRange() {
        let folder = writeIDXFolder(gzip: false, labels: [7, 12, 9])
        #expect(throws: DatasetError.badFormat(
            path: "\(folder)/train-labels-idx1-ubyte", expected: "labels in 0...9", found: "label 12 at index 1")) {
            try loadDataset(.mnist, location: folder)
        }
    }

    @Test func missingFolderNamesPathAndRemedy() {
        let folder = temporaryFolder() + "/nothing-here"
        #expect(throws: DatasetError.missingFile(path: folder, hint: DatasetName.fashionMNIST.installHint)) {
            try loadDataset(.fashionMNIST, location: folder)
        }
    }

    @Test("CSV rows of pixels and label, label first or last, gzip or not")
    func readsCSV() throws {
        let folder = temporaryFolder()
        write(Array("1,2,3,4,5\n6,7,8,9,0\n".utf8), "\(folder)/last.csv")
        let last = try readCSVImageSet("\(folder)/last.csv", sampleShape: [1, 2, 2], labelColumn: .last, classCount: 10)
        #expect(last.labels == [5, 0])
        #expect(last.images.scalars == [1, 2, 3, 4, 6, 7, 8, 9].map { Float($0) / 255 })
        write(gzipBytes(Array("3,10,20,30,40\r\n".utf8)), "\(folder)/first.csv.gz")
        let first = try readCSVImageSet("\(folder)/first.csv.gz", sampleShape: [1, 2, 2], labelColumn: .first, classCount: 10)
        #expect(first.labels == [3])
        #expect(first.images.scalars == [10, 20, 30, 40].map { Float($0) / 255 })
    }

    @Test("CSV errors name the file, the line and what was found")
    func csvErrors() {
        let folder = temporaryFolder()
        let cases: [(String, String)] = [
            ("1,2,3,4,5\n1,2,3,5\n", "expected 5 fields (4 pixels and a label) on line 2, found 4"),
            ("1,2,3,4,10\n", "expected a label in 0...9 on line 1, found 10"),
            ("1,2,300,4,1\n", "expected pixel values in 0...255 on line 1, found 300 in field 3"),
            ("1,2,x,4,1\n", "expected digits, commas and newlines on line 1, found 'x'"),
            ("1,,3,4,1\n", "expected an integer in field 2 of line 1, found an empty field"),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let path = "\(folder)/bad\(index).csv"
            write(Array(text.utf8), path)
            do {
                _ = try readCSVImageSet(path, sampleShape: [1, 2, 2], labelColumn: .last, classCount: 10)
                Issue.record("no error for \(text)")
            } catch {
                #expect("\(error)" == "\(path): \(message)")
            }
        }
    }

    @Test("mnist5k: 5000 real digits split 4000/1000, 100 test digits per class")
    func mnist5k() throws {
        let split = try loadDataset(.mnist5k)
        #expect(split.train.count == 4000)
        #expect(split.test.count == 1000)
        #expect(split.train.classCounts == Array(repeating: 400, count: 10))
        #expect(split.test.classCounts == Array(repeating: 100, count: 10))
        #expect(split.train.sampleShape == [1, 28, 28])
        let pixels = split.train.images.scalars
        #expect(pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        let mean = pixels.reduce(0, +) / Float(pixels.count)
        #expect(mean > 0.1 && mean < 0.16)  // MNIST's mean pixel is about 0.13
    }

    @Test("Fashion-MNIST from Debian's package: 60000 + 10000 images")
    func fashionMNIST() throws {
        let split = try loadDataset(.fashionMNIST)
        #expect(split.train.count == 60000)
        #expect(split.test.count == 10000)
        #expect(split.test.classCounts == Array(repeating: 1000, count: 10))
    }

    @Test("Normalisation: fixed, and pixel-wise from the training part only")
    func normalisation() {
        func set(_ values: [Float]) -> ImageSet {
            ImageSet(images: Tensor(shape: [values.count / 2, 1, 1, 2], scalars: values), labels: Array(repeating: 0, count: values.count / 2), classCount: 1)
        }
        var fixed = DatasetSplit(name: "t", train: set([0.5, 1, 0, 0.25]), test: set([1, 0]))
        fixed.normalise(.fixed(mean: 0.5, std: 0.25))
        #expect(fixed.train.images.scalars == [0, 2, -2, -1])
        // Training pixels: first (0.2, 0.6) mean 0.4 std 0.2; second constant 0.3 (std 0 -> only centred).
        var pixelwise = DatasetSplit(name: "t", train: set([0.2, 0.3, 0.6, 0.3]), test: set([0.8, 0.5]))
        pixelwise.normalise(.pixelwise)
        let train = pixelwise.train.images.scalars
        let test = pixelwise.test.images.scalars
        for (value, expected) in zip(train + test, [Float(-1), 0, 1, 0, 2, 0.2]) { #expect(abs(value - expected) < 1e-6) }
    }

    @Test("Shuffled mini-batches: a permutation per epoch from the seed, last batch smaller")
    func batching() throws {
        let data = ImageSet(images: Tensor(shape: [7, 1, 1, 1], scalars: (0..<7).map(Float.init)), labels: (0..<7).map(Int32.init), classCount: 7)
        let batches = BatchIterator(data: data, batchSize: 3)
        #expect(batches.batchesPerEpoch == 3)
        let order = batches.order(epoch: 4, masterSeed: 9, shuffle: true)
        #expect(order.sorted() == Array(0..<7))
        #expect(order == batches.order(epoch: 4, masterSeed: 9, shuffle: true))
        #expect(order != batches.order(epoch: 5, masterSeed: 9, shuffle: true))
        try batches.load(batch: 2, of: order)
        #expect(batches.labels == [Int32(order[6])])
        #expect(batches.images.scalars == [Float(order[6])])
        let subset = try data.randomSubset(size: 4, masterSeed: 1)
        #expect(subset.count == 4 && Set(subset.labels).count == 4)
        #expect(throws: DatasetError.invalidOption(field: "train-subset", expected: "a size in 1...7", found: "8")) {
            try data.randomSubset(size: 8, masterSeed: 1)
        }
    }
}
