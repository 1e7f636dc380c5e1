import Choices
import Datasets
import RunRecords
import TensorCore

/// The parts a run trains, selects and tests on, normalised and ready; the training part
/// carries the training augmentation.
public struct PreparedData {
    public var name: String
    public var train: SampleSource
    public var validation: SampleSource?
    public var test: SampleSource
}

/// Loads datasets once per process: a family or a sweep trains many models on the same data.
public final class DatasetCache {
    private var loaded: [String: DatasetSplit] = [:]

    public init() {}

    public func split(_ name: DatasetName, location: String?) throws -> DatasetSplit {
        let key = "\(name.rawValue)|\(location ?? "")"
        if let split = loaded[key] { return copy(split) }
        let split = try loadDataset(name, location: location)
        loaded[key] = split
        return copy(split)
    }

    /// Runs normalise in place, so each gets its own pixels.
    private func copy(_ split: DatasetSplit) -> DatasetSplit {
        func copy(_ set: ImageSet) -> ImageSet {
            ImageSet(images: set.images.clone(), labels: set.labels, classCount: set.classCount)
        }
        return DatasetSplit(name: split.name, train: copy(split.train), test: copy(split.test))
    }
}

extension DataConfig {
    /// Loads the dataset, takes the training subset (stream "train-subset"), holds out the
    /// validation part (the last `validationSize` of a permutation from stream "validation"),
    /// then normalises, with pixel-wise statistics from the remaining training part only.
    public func prepare(masterSeed: UInt64, cache: DatasetCache = DatasetCache()) throws -> PreparedData {
        try validate()
        let name = dataset
        if name == .imageFolder { return try prepareImageFolder(masterSeed: masterSeed) }
        var split = try cache.split(name, location: location)
        if let trainSubset {
            split.train = try split.train.randomSubset(size: trainSubset, masterSeed: masterSeed)
        }
        var validation: ImageSet?
        if validationSize > 0 {
            guard validationSize < split.train.count else {
                throw ConfigError(
                    field: "validation-size", expected: "fewer than the \(split.train.count) training samples",
                    found: "\(validationSize)")
            }
            var random = RandomStream(masterSeed: masterSeed, purpose: "validation")
            let order = random.permutation(of: split.train.count)
            let trainCount = split.train.count - validationSize
            validation = split.train.selecting(Array(order[trainCount...]).sorted())
            split.train = split.train.selecting(Array(order[..<trainCount]).sorted())
        }
        let normalisation = normalisationValue
        if case .perChannel(let means, _) = normalisation, means.count != split.train.sampleShape[0] {
            throw ConfigError(
                field: "channel-means", expected: "\(split.train.sampleShape[0]) values (the channels of \(split.name))", found: "\(means.count)")
        }
        split = normalised(split, validation: &validation, normalisation: normalisation)
        let train: SampleSource = try augmentation(channels: split.train.sampleShape[0])
            .map { AugmentedImageSet(images: split.train, augmentation: $0) } ?? split.train
        return PreparedData(name: split.name, train: train, validation: validation, test: split.test)
    }

    /// An image folder's train/ and val/ file lists, subset and held out as above, read batch by
    /// batch: training samples through RandomResizedCrop (and flips), the others through resize
    /// and centre crop.
    private func prepareImageFolder(masterSeed: UInt64) throws -> PreparedData {
        let name = DatasetName.imageFolder
        let root = location ?? name.defaultLocation
        var (train, test) = try listImageFolderDataset(root)
        if let trainSubset {
            guard trainSubset <= train.count else {
                throw ConfigError(field: "train-subset", expected: "a size in 1...\(train.count)", found: "\(trainSubset)")
            }
            var random = RandomStream(masterSeed: masterSeed, purpose: "train-subset")
            train = train.selecting(random.subset(of: trainSubset, from: train.count))
        }
        var validation: ImageFolderListing?
        if validationSize > 0 {
            guard validationSize < train.count else {
                throw ConfigError(
                    field: "validation-size", expected: "fewer than the \(train.count) training samples", found: "\(validationSize)")
            }
            var random = RandomStream(masterSeed: masterSeed, purpose: "validation")
            let order = random.permutation(of: train.count)
            let trainCount = train.count - validationSize
            validation = train.selecting(Array(order[trainCount...]).sorted())
            train = train.selecting(Array(order[..<trainCount]).sorted())
        }
        let channels = name.channels
        let (means, stds): ([Float], [Float])
        switch normalisationValue {
        case .perChannel(let channelMeans, let channelStds):
            guard channelMeans.count == channels else {
                throw ConfigError(field: "channel-means", expected: "\(channels) values (the channels of image folders)", found: "\(channelMeans.count)")
            }
            (means, stds) = (channelMeans, channelStds)
        case .fixed(let mean, let std): (means, stds) = (Array(repeating: mean, count: channels), Array(repeating: std, count: channels))
        case .none, .pixelwise: (means, stds) = (Array(repeating: 0, count: channels), Array(repeating: 1, count: channels))
        }
        let size = imageSize ?? 224
        let evaluation = ImageFolderTransform.resizeCentreCrop(resize: resizeSize ?? 256, size: size)
        let training = ImageFolderTransform.randomResizedCrop(size: size, scale: (minimumCropScale ?? 0.2)...1, flip: horizontalFlip ?? false)
        func samples(_ listing: ImageFolderListing, _ transform: ImageFolderTransform) -> ImageFolderSamples {
            ImageFolderSamples(listing: listing, channels: channels, transform: transform, means: means, stds: stds)
        }
        return PreparedData(
            name: name.rawValue, train: samples(train, training), validation: validation.map { samples($0, evaluation) },
            test: samples(test, evaluation))
    }
}

extension DataConfig {
    /// The training augmentation, with padding that is black after normalisation (torchvision pads
    /// the raw image with zeros before normalising); nil when there is none.
    public func augmentation(channels: Int) throws -> Augmentation? {
        let padding = cropPadding ?? 0
        let flip = horizontalFlip ?? false
        guard padding > 0 || flip else { return nil }
        let values: [Float]
        switch normalisationValue {
        case .fixed(let mean, let std): values = Array(repeating: -mean / std, count: channels)
        case .perChannel(let means, let stds): values = zip(means, stds).map { -$0 / $1 }
        case .pixelwise, .none: values = Array(repeating: 0, count: channels)
        }
        return Augmentation(cropPadding: padding, horizontalFlip: flip, paddingValues: values)
    }
}

/// Normalises train, test and (if any) validation with the training part's statistics.
private func normalised(_ split: DatasetSplit, validation: inout ImageSet?, normalisation: Normalisation) -> DatasetSplit {
    var result = split
    if let part = validation {
        // Normalise the validation part with statistics from the untouched training pixels.
        var validationSplit = DatasetSplit(name: split.name, train: split.train.selecting(Array(0..<split.train.count)), test: part)
        validationSplit.normalise(normalisation)
        validation = validationSplit.test
    }
    result.normalise(normalisation)
    return result
}
