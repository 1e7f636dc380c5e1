import TensorCore

/// Labelled images held in memory.
public struct ImageSet {
    /// [N, C, H, W], pixel values scaled to [0, 1] until normalised.
    public var images: Tensor
    /// N labels in 0..<classCount.
    public var labels: [Int32]
    public var classCount: Int

    public init(images: Tensor, labels: [Int32], classCount: Int) {
        precondition(images.shape.count == 4 && images.shape[0] == labels.count, "images [N, C, H, W] and N labels")
        self.images = images
        self.labels = labels
        self.classCount = classCount
    }

    public var count: Int { labels.count }
    /// [C, H, W]
    public var sampleShape: [Int] { Array(images.shape.dropFirst()) }
    /// C * H * W
    public var sampleSize: Int { sampleShape.reduce(1, *) }

    /// The samples at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> ImageSet {
        let size = sampleSize
        let result = Tensor(shape: [indices.count] + sampleShape)
        for (row, index) in indices.enumerated() {
            (result.pointer + row * size).update(from: images.pointer + index * size, count: size)
        }
        return ImageSet(images: result, labels: indices.map { labels[$0] }, classCount: classCount)
    }

    /// Samples per class.
    public var classCounts: [Int] {
        var counts = Array(repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }
}

/// A training part and a test part of one dataset.
public struct DatasetSplit {
    public var name: String
    public var train: ImageSet
    public var test: ImageSet

    public init(name: String, train: ImageSet, test: ImageSet) {
        self.name = name
        self.train = train
        self.test = test
    }
}

/// Builds an ImageSet from raw 8-bit pixels, checking every label.
func makeImageSet(
    pixels: UnsafeBufferPointer<UInt8>, labels: [Int32], sampleShape: [Int], classCount: Int, labelSource: String
) throws -> ImageSet {
    for (index, label) in labels.enumerated() where label < 0 || Int(label) >= classCount {
        throw DatasetError.badFormat(
            path: labelSource, expected: "labels in 0...\(classCount - 1)", found: "label \(label) at index \(index)")
    }
    let images = Tensor(shape: [labels.count] + sampleShape)
    let destination = images.pointer
    // Division (not multiplication by 1/255) gives the same floats as torchvision ToTensor.
    for i in 0..<images.count { destination[i] = Float(pixels[i]) / 255 }
    return ImageSet(images: images, labels: labels, classCount: classCount)
}
