// swift-tools-version:6.0
import Foundation
import PackageDescription

// Release builds are compiled for the CPU they are built on (AVX-512 here), because Swift emits
// AVX-512 only when given a target CPU. Set
// WIDESPARSE_TARGET_CPU (for example `skylake-avx512` or `x86-64`) to build for other nodes.
let targetCPU = ProcessInfo.processInfo.environment["WIDESPARSE_TARGET_CPU"] ?? "native"
let fastCode: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .release)),
    .swiftLanguageMode(.v5),
]

let package = Package(
    name: "WideSparse",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "widesparse", targets: ["widesparse"]),
        .library(name: "WideSparse", targets: [
            "Choices", "TensorCore", "NeuralNetwork", "Sparsity", "Models", "Widening", "Datasets", "Training", "RunRecords", "RunResults", "Experiments",
            "KernelAnalysis",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages (scripts/setup.sh installs them).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),

        // The closed sets of values runs are configured with (activation, rule, dataset, ...), shared
        // by the libraries and the records so a config holds the real enums.
        .target(name: "Choices", swiftSettings: fastCode),
        .target(name: "TensorCore", dependencies: ["Choices", "CDNNL"], swiftSettings: fastCode),
        .target(name: "NeuralNetwork", dependencies: ["Choices", "TensorCore"], swiftSettings: fastCode),
        .target(name: "Sparsity", dependencies: ["Choices", "TensorCore", "NeuralNetwork"], swiftSettings: fastCode),
        .target(name: "Models", dependencies: ["Choices", "TensorCore", "NeuralNetwork", "RunRecords"], swiftSettings: fastCode),
        .target(name: "Datasets", dependencies: ["Choices", "TensorCore", "CZlib", "CTurboJPEG", "CPNG"], swiftSettings: fastCode),
        // The git commit of the sources, for --version and run records (Plugins/BuildCommit).
        .plugin(name: "BuildCommit", capability: .buildTool()),
        .target(name: "RunRecords", dependencies: ["Choices"], swiftSettings: fastCode, plugins: ["BuildCommit"]),
        // The widening methods (dense, sparse, bottlenecks): architecture + budget -> model of a width.
        .target(name: "Widening", dependencies: ["Choices", "NeuralNetwork", "Sparsity", "Models", "RunRecords"], swiftSettings: fastCode),
        .target(
            name: "Training",
            dependencies: ["Choices", "TensorCore", "NeuralNetwork", "Sparsity", "Models", "Datasets", "RunRecords"],
            swiftSettings: fastCode),
                .target(name: "KernelAnalysis", dependencies: ["TensorCore"], swiftSettings: fastCode),
        // Run folders read back as result rows, grouped over seeds (results, the report).
        .target(name: "RunResults", dependencies: ["Choices", "RunRecords", "Models", "Widening"], swiftSettings: fastCode),
        // Timed training steps for `widesparse bench` (benchmarks, never tests).
        .target(name: "Benchmarks", dependencies: ["Choices", "TensorCore", "NeuralNetwork", "Sparsity", "Models", "RunRecords", "Training"], swiftSettings: fastCode),
        .target(
            name: "Experiments",
            dependencies: ["Choices", "Training", "RunRecords", "Datasets", "Models", "Widening", "RunResults", "KernelAnalysis", .product(name: "Yams", package: "Yams")],
            swiftSettings: fastCode),
        // Reads run folders through RunResults (never runs anything).
        .target(name: "Reporting", dependencies: ["Choices", "RunRecords", "RunResults"], swiftSettings: fastCode),
        .target(
            name: "WideSparseCLI",
            dependencies: [
                "Choices", "TensorCore", "NeuralNetwork", "Sparsity", "Models", "Widening", "Datasets", "Training", "RunRecords",
                "Experiments", "RunResults", "KernelAnalysis", "Reporting", "Benchmarks", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastCode),
        .executableTarget(name: "widesparse", dependencies: ["WideSparseCLI"], swiftSettings: fastCode),
        .testTarget(
            name: "WideSparseTests",
            dependencies: [
                "Choices", "TensorCore", "NeuralNetwork", "Sparsity", "Models", "Widening", "Datasets", "Training", "RunRecords",
                "Experiments", "RunResults", "KernelAnalysis", "Reporting", "WideSparseCLI", "CTurboJPEG", "CPNG",
            ],
            // Golden files are read by path (ReportTests), not bundled.
            exclude: ["Golden"],
            swiftSettings: fastCode),
    ]
)
