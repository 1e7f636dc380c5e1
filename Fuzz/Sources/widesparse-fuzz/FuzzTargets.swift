import Datasets
import Experiments
import Foundation
import RunRecords
import Sparsity
import TensorCore

/// One libFuzzer binary, the target chosen by WIDESPARSE_FUZZ_TARGET: each feeds the input to a
/// reader, which must return or throw its error, never trap. Readers that take a path get the
/// input as a file in a private temporary folder.
enum FuzzTarget: String, CaseIterable {
    case idx, cifar, mat, svhn, csv, safetensors, masks, image, spec, events

    func run(_ bytes: [UInt8]) {
        switch self {
        case .idx: _ = try? readIDX(file(bytes), expectedDimensions: 3)
        case .cifar: _ = try? readCIFARBinary(file(bytes), labelBytes: 2, classCount: 100)
        case .mat: _ = try? readMATFile(file(bytes))
        case .svhn: _ = try? readSVHN(file(bytes))
        case .csv: _ = try? readCSVImageSet(file(bytes), sampleShape: [1, 2, 2], labelColumn: .first, classCount: 10)
        case .safetensors: _ = try? SafeTensors.decode(Data(bytes), path: "input")
        case .masks: _ = try? MaskFile.decode(Data(bytes), path: "input", expected: [("fc1.weight", [2, 3], 3), ("fc2.weight", [1, 2], 1)])
        case .image: _ = try? decodeImage(bytes, path: "input", channels: 3)
        case .events: _ = try? TensorBoardEvents.decode(Data(bytes), path: "input")
        case .spec:
            if let tree = try? SpecValue.parse(yaml: String(decoding: bytes, as: UTF8.self), file: "input") {
                _ = try? ExperimentSpec(tree, file: "input")
            }
        }
    }
}

let folder: String = {
    let path = NSTemporaryDirectory() + "widesparse-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

func file(_ bytes: [UInt8]) -> String {
    let path = folder + "/input"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["WIDESPARSE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data(
            "set WIDESPARSE_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")); found '\(name)'\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
