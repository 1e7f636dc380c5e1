import TensorCore

/// Training-time augmentation of a batch of normalised images [N, C, H, W], as torchvision's
/// RandomCrop(size, padding) and RandomHorizontalFlip() do it on the raw images (docs/method.md
/// section 5: CIFAR and SVHN use a 4-pixel padded crop and flips).
public struct Augmentation: Equatable, Codable, Sendable {
    /// Pixels of zero padding on each side before a random crop back to the original size (0: none).
    public var cropPadding: Int
    /// Flip each image left-right with probability 1/2.
    public var horizontalFlip: Bool
    /// The value of a zero (black) pixel after normalisation, per channel: (0 - mean) / std.
    public var paddingValues: [Float]

    public init(cropPadding: Int, horizontalFlip: Bool, paddingValues: [Float]) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.paddingValues = paddingValues
    }

    public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

    /// Augments `images` in place. Each image's crop offset and flip come from the stream
    /// ("augmentation", epoch, batch) of the master seed, so a resumed run repeats them.
    public func apply(to images: Tensor, epoch: Int, batch: Int, masterSeed: UInt64) {
        guard !isIdentity else { return }
        let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        precondition(paddingValues.count == channels, "one padding value per channel")
        var random = RandomStream(masterSeed: masterSeed, purpose: "augmentation", indices: [UInt64(epoch), UInt64(batch)])
        var source = [Float](repeating: 0, count: height * width)
        for n in 0..<count {
            // Offsets in 0...2p of the padded image; (p, p) is the original position.
            let top = cropPadding > 0 ? random.nextIndex(below: 2 * cropPadding + 1) - cropPadding : 0
            let left = cropPadding > 0 ? random.nextIndex(below: 2 * cropPadding + 1) - cropPadding : 0
            let flip = horizontalFlip && random.nextIndex(below: 2) == 1
            for c in 0..<channels {
                let plane = images.pointer + (n * channels + c) * height * width
                source.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: plane, count: height * width) }
                for row in 0..<height {
                    for column in 0..<width {
                        let sourceRow = row + top
                        let croppedColumn = flip ? width - 1 - column : column
                        let sourceColumn = croppedColumn + left
                        let inside = sourceRow >= 0 && sourceRow < height && sourceColumn >= 0 && sourceColumn < width
                        plane[row * width + column] = inside ? source[sourceRow * width + sourceColumn] : paddingValues[c]
                    }
                }
            }
        }
    }
}

/// The slow, obvious twin: pad into a bigger array, cut the window, mirror it.
public func referenceAugment(
    image: [[[Float]]], padding: Int, top: Int, left: Int, flip: Bool, paddingValues: [Float]
) -> [[[Float]]] {
    image.enumerated().map { channel, plane in
        let height = plane.count
        let width = plane[0].count
        var padded = [[Float]](repeating: [Float](repeating: paddingValues[channel], count: width + 2 * padding), count: height + 2 * padding)
        for r in 0..<height { for k in 0..<width { padded[r + padding][k + padding] = plane[r][k] } }
        let window = (0..<height).map { r in Array(padded[r + padding + top][(padding + left)..<(padding + left + width)]) }
        return flip ? window.map { Array($0.reversed()) } : window
    }
}
