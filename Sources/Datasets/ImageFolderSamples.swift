import Foundation
import TensorCore

/// The image files of a folder with one sub-folder of PNG/JPEG images per class (ImageNet's
/// train/ and val/ layout): classes are the sub-folder names in sorted order, files within a
/// class in sorted order.
public struct ImageFolderListing: Equatable {
    public var paths: [String]
    public var labels: [Int32]
    public var classNames: [String]

    public var count: Int { paths.count }

    /// The files at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> ImageFolderListing {
        ImageFolderListing(paths: indices.map { paths[$0] }, labels: indices.map { labels[$0] }, classNames: classNames)
    }
}

/// Lists an image folder (files with extension png, jpg or jpeg, any case; others are ignored).
public func listImageFolder(_ root: String) throws -> ImageFolderListing {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw DatasetError.missingFile(path: root, hint: "Give a folder with one sub-folder of PNG or JPEG images per class.")
    }
    let classNames = try manager.contentsOfDirectory(atPath: root).filter { name in
        var folder: ObjCBool = false
        return !name.hasPrefix(".") && manager.fileExists(atPath: "\(root)/\(name)", isDirectory: &folder) && folder.boolValue
    }.sorted()
    guard !classNames.isEmpty else {
        throw DatasetError.badFormat(path: root, expected: "one sub-folder per class", found: "no sub-folders")
    }
    var listing = ImageFolderListing(paths: [], labels: [], classNames: classNames)
    for (label, name) in classNames.enumerated() {
        let files = try manager.contentsOfDirectory(atPath: "\(root)/\(name)").filter { file in
            ["png", "jpg", "jpeg"].contains(URL(fileURLWithPath: file).pathExtension.lowercased())
        }.sorted()
        guard !files.isEmpty else {
            throw DatasetError.badFormat(path: "\(root)/\(name)", expected: "PNG or JPEG images of class '\(name)'", found: "none")
        }
        listing.paths += files.map { "\(root)/\(name)/\($0)" }
        listing.labels += Array(repeating: Int32(label), count: files.count)
    }
    return listing
}

/// How image-folder samples become model inputs (docs/method.md section 5, ImageNet).
public enum ImageFolderTransform: Equatable, Sendable {
    /// Training: torchvision's RandomResizedCrop(size, scale) to size x size, then a left-right
    /// flip with probability 1/2 when `flip`.
    case randomResizedCrop(size: Int, scale: ClosedRange<Double>, flip: Bool)
    /// Evaluation: the shorter side resized to `resize`, then the centred size x size crop.
    case resizeCentreCrop(resize: Int, size: Int)

    var size: Int {
        switch self {
        case .randomResizedCrop(let size, _, _), .resizeCentreCrop(_, let size): return size
        }
    }
}

/// Samples decoded from image files for every batch (a dataset too large to hold in memory):
/// decoded through libjpeg-turbo / libpng, transformed, scaled to [0, 1] and normalised per
/// channel. A file that cannot be read or decoded stops the run with an error naming it.
public struct ImageFolderSamples: SampleSource {
    public let listing: ImageFolderListing
    public let channels: Int
    public let transform: ImageFolderTransform
    public let means: [Float]
    public let stds: [Float]

    public init(listing: ImageFolderListing, channels: Int, transform: ImageFolderTransform, means: [Float], stds: [Float]) {
        precondition(means.count == channels && stds.count == channels, "one mean and standard deviation per channel")
        self.listing = listing
        self.channels = channels
        self.transform = transform
        self.means = means
        self.stds = stds
    }

    public var count: Int { listing.count }
    public var classCount: Int { listing.classNames.count }
    public var sampleShape: [Int] { [channels, transform.size, transform.size] }
    public func label(at index: Int) -> Int32 { listing.labels[index] }

    public func load(_ indices: ArraySlice<Int>, into images: Tensor, epoch: Int, batch: Int, masterSeed: UInt64) throws {
        var random = RandomStream(masterSeed: masterSeed, purpose: "augmentation", indices: [UInt64(epoch), UInt64(batch)])
        let size = transform.size
        let sampleSize = channels * size * size
        for (row, index) in indices.enumerated() {
            let path = listing.paths[index]
            let image = try decodeImage(try readFileBytes(path), path: path, channels: channels)
            let destination = images.pointer + row * sampleSize
            switch transform {
            case .randomResizedCrop(_, let scale, let flip):
                let region = randomResizedCropRegion(height: image.height, width: image.width, scale: scale, random: &random)
                let mirrored = flip && random.nextIndex(below: 2) == 1
                resizeBilinear(image, region: region, height: size, width: size, flip: mirrored, into: destination)
            case .resizeCentreCrop(let resize, _):
                let (resizedHeight, resizedWidth, crop) = resizedCentreCrop(height: image.height, width: image.width, resize: resize, crop: size)
                guard crop.top >= 0 && crop.left >= 0 else {
                    throw DatasetError.badFormat(
                        path: path, expected: "an image whose shorter side resized to \(resize) holds a \(size)x\(size) crop",
                        found: "\(image.width)x\(image.height) pixels")
                }
                // A very elongated image would resize to more than any image may have.
                guard let values = checkedProduct([channels, resizedHeight, resizedWidth]), values <= 3 * maximumImagePixels else {
                    throw DatasetError.badFormat(
                        path: path, expected: "an image whose shorter side resized to \(resize) has at most \(maximumImagePixels) pixels",
                        found: "\(image.width)x\(image.height) pixels, resized to \(resizedWidth)x\(resizedHeight)")
                }
                var resized = [Float](repeating: 0, count: values)
                resized.withUnsafeMutableBufferPointer { buffer in
                    let whole = PixelRegion(top: 0, left: 0, height: image.height, width: image.width)
                    resizeBilinear(image, region: whole, height: resizedHeight, width: resizedWidth, into: buffer.baseAddress!)
                }
                for c in 0..<channels {
                    for y in 0..<size {
                        let source = (c * resizedHeight + crop.top + y) * resizedWidth + crop.left
                        for x in 0..<size { destination[(c * size + y) * size + x] = resized[source + x] }
                    }
                }
            }
            for c in 0..<channels {
                let plane = destination + c * size * size
                for i in 0..<(size * size) { plane[i] = (plane[i] - means[c]) / stds[c] }
            }
        }
    }
}

/// The train/ and val/ folders of an image-folder dataset (ImageNet layout) with their class
/// lists checked to be the same.
public func listImageFolderDataset(_ root: String) throws -> (train: ImageFolderListing, test: ImageFolderListing) {
    let train = try listImageFolder("\(root)/train")
    let test = try listImageFolder("\(root)/val")
    guard train.classNames == test.classNames else {
        let missing = Set(train.classNames).symmetricDifference(test.classNames).sorted().prefix(5)
        throw DatasetError.badFormat(
            path: "\(root)/val", expected: "the \(train.classNames.count) class folders of \(root)/train",
            found: "\(test.classNames.count) class folders, differing in \(missing.joined(separator: ", "))")
    }
    return (train, test)
}
