import TensorCore

/// Labelled samples that a run reads batch by batch: held in memory (`ImageSet`, optionally
/// `AugmentedImageSet`) or decoded from image files for every batch (`ImageFolderSamples`).
public protocol SampleSource {
    var count: Int { get }
    var classCount: Int { get }
    /// [C, H, W] of the samples as the model receives them.
    var sampleShape: [Int] { get }
    /// The label of sample `index`.
    func label(at index: Int) -> Int32
    /// Writes the samples at `indices` into `images` [indices.count, C, H, W]. Random training
    /// transforms draw from the stream ("augmentation", epoch, batch) of `masterSeed`, so a
    /// batch is the same whenever and wherever it is prepared.
    func load(_ indices: ArraySlice<Int>, into images: Tensor, epoch: Int, batch: Int, masterSeed: UInt64) throws
}

extension ImageSet: SampleSource {
    public func label(at index: Int) -> Int32 { labels[index] }

    /// Copies the samples; no transform.
    public func load(_ indices: ArraySlice<Int>, into images: Tensor, epoch: Int, batch: Int, masterSeed: UInt64) throws {
        let size = sampleSize
        let (source, destination) = (self.images.pointer, images.pointer)
        for (row, index) in indices.enumerated() {
            (destination + row * size).update(from: source + index * size, count: size)
        }
    }
}

/// In-memory images with the CIFAR-style training augmentation (padded random crop and flips)
/// applied to each batch as it is loaded.
public struct AugmentedImageSet: SampleSource {
    public var images: ImageSet
    public var augmentation: Augmentation

    public init(images: ImageSet, augmentation: Augmentation) {
        self.images = images
        self.augmentation = augmentation
    }

    public var count: Int { images.count }
    public var classCount: Int { images.classCount }
    public var sampleShape: [Int] { images.sampleShape }
    public func label(at index: Int) -> Int32 { images.labels[index] }

    public func load(_ indices: ArraySlice<Int>, into batchImages: Tensor, epoch: Int, batch: Int, masterSeed: UInt64) throws {
        try images.load(indices, into: batchImages, epoch: epoch, batch: batch, masterSeed: masterSeed)
        augmentation.apply(to: batchImages, epoch: epoch, batch: batch, masterSeed: masterSeed)
    }
}
