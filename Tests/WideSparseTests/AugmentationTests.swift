import Datasets
import TensorCore
import Testing

@Suite("Augmentation and per-channel normalisation")
struct AugmentationTests {
    @Test("Padded random crop and flip equal the pad-cut-mirror twin; repeatable per (seed, epoch, batch)")
    func cropAndFlip() {
        let (n, c, h, w) = (6, 2, 5, 4)
        let images = randomTensor([n, c, h, w], seed: 3)
        let original = images.scalars
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true, paddingValues: [-1, -2])
        augmentation.apply(to: images, epoch: 3, batch: 1, masterSeed: 7)
        // Redraw the same choices and compare every image with the slow twin.
        var random = RandomStream(masterSeed: 7, purpose: "augmentation", indices: [3, 1])
        var flips = 0
        for image in 0..<n {
            let top = random.nextIndex(below: 5) - 2
            let left = random.nextIndex(below: 5) - 2
            let flip = random.nextIndex(below: 2) == 1
            if flip { flips += 1 }
            let planes = (0..<c).map { ch in (0..<h).map { r in (0..<w).map { k in original[((image * c + ch) * h + r) * w + k] } } }
            let expected = referenceAugment(image: planes, padding: 2, top: top, left: left, flip: flip, paddingValues: [-1, -2])
            for ch in 0..<c { for r in 0..<h { for k in 0..<w {
                #expect(images[((image * c + ch) * h + r) * w + k] == expected[ch][r][k])
            } } }
        }
        #expect(flips > 0 && flips < n)
        let again = Tensor(shape: [n, c, h, w], scalars: original)
        augmentation.apply(to: again, epoch: 3, batch: 1, masterSeed: 7)
        #expect(again.scalars == images.scalars)
        let otherBatch = Tensor(shape: [n, c, h, w], scalars: original)
        augmentation.apply(to: otherBatch, epoch: 3, batch: 2, masterSeed: 7)
        #expect(otherBatch.scalars != images.scalars)
    }

    @Test("Per-channel normalisation")
    func perChannel() {
        let set = ImageSet(images: Tensor(shape: [1, 2, 1, 2], scalars: [0.5, 1, 0.25, 0]), labels: [0], classCount: 1)
        var split = DatasetSplit(name: "t", train: set, test: set.selecting([0]))
        split.normalise(.perChannel(means: [0.5, 0.25], stds: [0.5, 0.25]))
        #expect(split.train.images.scalars == [0, 1, 0, -1])
        #expect(split.test.images.scalars == [0, 1, 0, -1])
    }
}
