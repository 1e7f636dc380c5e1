// swift-tools-version:6.0
// libFuzzer targets over widesparse's readers (scripts/fuzz.sh builds and runs them). A package of
// its own because a fuzz binary has no `main` (libFuzzer provides it), which a normal build of the
// main package could not link.
import PackageDescription

let package = Package(
    name: "WideSparseFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "WideSparse", path: "..")],
    targets: [
        .executableTarget(
            name: "widesparse-fuzz",
            dependencies: [.product(name: "WideSparse", package: "WideSparse")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"]), .swiftLanguageMode(.v5)]),
    ]
)
