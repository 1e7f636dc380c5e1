import Datasets
import Foundation
import RunRecords
import TensorCore
import Testing
import Training
import WideSparseCLI

/// An interleaved 8-bit image of random pixels.
private func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> DecodedImage {
    var random = RandomStream(seed: seed)
    let pixels = (0..<(width * height * channels)).map { _ in UInt8(random.nextIndex(below: 256)) }
    return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
}

@Suite("Image transforms: PIL-style bilinear resize, RandomResizedCrop, resize and centre crop", .serialized)
struct ImageTransformTests {
    @Test("Separable resize equals the 2-D twin: shrinking, enlarging, crops, 1 and 3 channels")
    func resizeMatchesTwin() {
        let cases: [(Int, Int, Int, PixelRegion, Int, Int)] = [
            (17, 13, 3, PixelRegion(top: 0, left: 0, height: 13, width: 17), 5, 7),   // shrink
            (9, 6, 1, PixelRegion(top: 1, left: 2, height: 4, width: 5), 11, 8),     // enlarge a crop
            (20, 20, 3, PixelRegion(top: 3, left: 5, height: 12, width: 9), 9, 12),  // mixed
            (8, 8, 3, PixelRegion(top: 0, left: 0, height: 8, width: 8), 8, 8),      // identity
        ]
        for (index, (width, height, channels, region, outHeight, outWidth)) in cases.enumerated() {
            let image = randomImage(width: width, height: height, channels: channels, seed: UInt64(index))
            var fast = [Float](repeating: 0, count: channels * outHeight * outWidth)
            fast.withUnsafeMutableBufferPointer {
                resizeBilinear(image, region: region, height: outHeight, width: outWidth, into: $0.baseAddress!)
            }
            let slow = referenceResizeBilinear(image, region: region, height: outHeight, width: outWidth)
            #expect(zip(fast, slow).allSatisfy { abs($0 - $1) < 1e-5 }, "case \(index)")
        }
        // Same size is the identity, and a flip mirrors the columns.
        let image = randomImage(width: 4, height: 3, channels: 1, seed: 9)
        var same = [Float](repeating: 0, count: 12)
        var mirrored = [Float](repeating: 0, count: 12)
        let whole = PixelRegion(top: 0, left: 0, height: 3, width: 4)
        same.withUnsafeMutableBufferPointer { resizeBilinear(image, region: whole, height: 3, width: 4, into: $0.baseAddress!) }
        mirrored.withUnsafeMutableBufferPointer { resizeBilinear(image, region: whole, height: 3, width: 4, flip: true, into: $0.baseAddress!) }
        #expect(same == image.pixels.map { Float($0) / 255 })
        for row in 0..<3 {
            for column in 0..<4 { #expect(mirrored[row * 4 + column] == same[row * 4 + 3 - column]) }
        }
    }

    @Test("RandomResizedCrop regions: inside the image, area and aspect in range, fixed by the seed, centred fallback")
    func randomResizedCrop() {
        var random = RandomStream(seed: 4)
        for _ in 0..<200 {
            let region = randomResizedCropRegion(height: 60, width: 90, scale: 0.2...1, random: &random)
            #expect(region.top >= 0 && region.left >= 0 && region.top + region.height <= 60 && region.left + region.width <= 90)
            let fraction = Double(region.height * region.width) / 5400
            #expect(fraction > 0.18 && fraction < 1.02)
            let aspect = Double(region.width) / Double(region.height)
            #expect(aspect > 0.7 && aspect < 1.4)
        }
        var first = RandomStream(seed: 5)
        var second = RandomStream(seed: 5)
        #expect(randomResizedCropRegion(height: 50, width: 40, scale: 0.2...1, random: &first)
            == randomResizedCropRegion(height: 50, width: 40, scale: 0.2...1, random: &second))
        // Whole-image area on a 10:1 strip never fits the ratio: the centred 4:3 fallback.
        var strip = RandomStream(seed: 6)
        #expect(randomResizedCropRegion(height: 10, width: 100, scale: 1...1, random: &strip)
            == PixelRegion(top: 0, left: 43, height: 10, width: 13))
    }

    @Test("Resize 256 and centre crop 224 as torchvision computes them (Python rounding)")
    func centreCrop() {
        let landscape = resizedCentreCrop(height: 375, width: 500, resize: 256, crop: 224)
        #expect(landscape.resizedHeight == 256 && landscape.resizedWidth == 341)
        #expect(landscape.crop == PixelRegion(top: 16, left: 58, height: 224, width: 224))  // round(58.5) = 58
        let portrait = resizedCentreCrop(height: 640, width: 427, resize: 256, crop: 224)
        #expect(portrait.resizedWidth == 256 && portrait.resizedHeight == 383)
        #expect(portrait.crop == PixelRegion(top: 80, left: 16, height: 224, width: 224))  // round(79.5) = 80
    }

    /// train/ and val/ with classes "dark" and "light": images of varying sizes whose brightness
    /// tells the class.
    func writeFolder(imagesPerClass: Int = 6) -> String {
        let root = temporaryFolder()
        for part in ["train", "val"] {
            for (label, name) in ["dark", "light"].enumerated() {
                let folder = "\(root)/\(part)/\(name)"
                try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for index in 0..<imagesPerClass {
                    let (width, height) = (40 + 3 * index, 36 + 2 * (index % 3))
                    var random = RandomStream(seed: UInt64(label * 100 + index + (part == "val" ? 50 : 0)))
                    let base = label == 0 ? 30 : 190
                    let pixels = (0..<(width * height * 3)).map { _ in UInt8(base + random.nextIndex(below: 40)) }
                    write(pngBytes(width: width, height: height, channels: 3, pixels: pixels), "\(folder)/\(index).png")
                }
            }
        }
        return root
    }

    @Test("Image-folder samples: training crops fixed by (epoch, batch), test crops exact, normalised per channel")
    func folderSamples() throws {
        let root = writeFolder()
        let (train, test) = try listImageFolderDataset(root)
        #expect(train.classNames == ["dark", "light"] && train.count == 12 && test.labels.filter { $0 == 1 }.count == 6)
        let means: [Float] = [0.5, 0.4, 0.3]
        let stds: [Float] = [0.2, 0.25, 0.3]
        let training = ImageFolderSamples(
            listing: train, channels: 3, transform: .randomResizedCrop(size: 16, scale: 0.2...1, flip: true), means: means, stds: stds)
        let a = Tensor(shape: [3, 3, 16, 16])
        let b = Tensor(shape: [3, 3, 16, 16])
        try training.load([0, 7, 3], into: a, epoch: 2, batch: 1, masterSeed: 9)
        try training.load([0, 7, 3], into: b, epoch: 2, batch: 1, masterSeed: 9)
        #expect(a.scalars == b.scalars)
        try training.load([0, 7, 3], into: b, epoch: 3, batch: 1, masterSeed: 9)
        #expect(a.scalars != b.scalars)

        // Test transform: an image whose shorter side already equals `resize`, cropped to it, is
        // the image itself, normalised.
        let evaluation = ImageFolderSamples(
            listing: test, channels: 3, transform: .resizeCentreCrop(resize: 36, size: 36), means: means, stds: stds)
        let crop = Tensor(shape: [1, 3, 36, 36])
        try evaluation.load([0], into: crop, epoch: 0, batch: 0, masterSeed: 0)
        let image = try decodeImage(try readFileBytes(test.paths[0]), path: test.paths[0], channels: 3)  // 40 x 36
        let left = 2  // (40 - 36) / 2
        for c in 0..<3 { for y in [0, 9, 35] { for x in [0, 5, 35] {
            let expected = (Float(image.pixels[(y * 40 + x + left) * 3 + c]) / 255 - means[c]) / stds[c]
            #expect(abs(crop[(c * 36 + y) * 36 + x] - expected) < 1e-5)
        } } }
    }

    @Test("Image-folder errors name the folder or file: class lists differ, a broken image, no train folder")
    func folderErrors() throws {
        let root = writeFolder(imagesPerClass: 2)
        try FileManager.default.createDirectory(atPath: "\(root)/val/extra", withIntermediateDirectories: true)
        write(pngBytes(width: 2, height: 2, channels: 3, pixels: Array(repeating: 9, count: 12)), "\(root)/val/extra/x.png")
        #expect(throws: DatasetError.badFormat(
            path: "\(root)/val", expected: "the 2 class folders of \(root)/train", found: "3 class folders, differing in extra")) {
            try listImageFolderDataset(root)
        }
        let broken = writeFolder(imagesPerClass: 2)
        write([0x89, 0x50, 0x4E, 0x47, 1, 2, 3], "\(broken)/train/dark/0.png")
        let listing = try listImageFolder("\(broken)/train")
        let samples = ImageFolderSamples(
            listing: listing, channels: 3, transform: .randomResizedCrop(size: 8, scale: 0.5...1, flip: false),
            means: [0, 0, 0], stds: [1, 1, 1])
        do {
            try samples.load([1, 0], into: Tensor(shape: [2, 3, 8, 8]), epoch: 0, batch: 0, masterSeed: 0)
            Issue.record("a broken PNG was accepted")
        } catch {
            #expect("\(error)".hasPrefix("\(broken)/train/dark/0.png: expected a valid PNG image"))
        }
        #expect(throws: DatasetError.self) { try listImageFolderDataset(temporaryFolder()) }
    }

    @Test("train resnet18 on an image folder (ImageNet form): learns, and resumes bit for bit")
    func trainsOnFolder() throws {
        ComputeThreads.set(1)
        let root = writeFolder(imagesPerClass: 10)
        let arguments = ["--dataset", "image-folder", "--data-dir", root, "--form", "imagenet", "--width", "4",
                         "--image-size", "32", "--resize-size", "36", "--epochs", "8", "--batch-size", "10",
                         "--eval-batch-size", "7", "--lr", "0.02", "--schedule", "constant"]
        let config = try TrainResNet.parse(arguments).resolvedConfig()
        #expect(config.data.imageSize == 32 && config.data.resizeSize == 36 && config.data.cropPadding == 0)
        guard case .resnet18(let model) = config.model else { Issue.record("not a ResNet config"); return }
        #expect(model.classes == 2 && model.inputChannels == 3)
        let straight = temporaryFolder()
        let result = try #require(try TrainingRun(config: config, directory: straight).run())
        #expect(result.bestTestAccuracy >= 0.9)
        let interrupted = TrainingRun(config: config, directory: temporaryFolder())
        #expect(try interrupted.run(stopAfterEpochs: 5) == nil)
        try interrupted.run()
        let a = try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(straight)/metrics.jsonl")
        let b = try RecordFiles.readJSONLines(EpochMetrics.self, from: interrupted.metricsPath)
        #expect(numbers(a) == numbers(b))
    }
}
