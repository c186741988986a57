// swift-tools-version:6.0
// libFuzzer targets for every parser of the client. Build and run them with Scripts/fuzz.sh, which
// passes -sanitize=fuzzer,address; a plain `swift build` here builds them without instrumentation.
import PackageDescription

let package = Package(
    name: "FuzzTesting",
    dependencies: [.package(name: "SpiceClientCore", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzWire", dependencies: ["FuzzSupport", .product(name: "SpiceWire", package: "SpiceClientCore")]),
        .executableTarget(name: "FuzzSession", dependencies: [
            "FuzzSupport",
            .product(name: "SpiceSession", package: "SpiceClientCore"),
            .product(name: "SpiceWire", package: "SpiceClientCore"),
        ]),
        .executableTarget(name: "FuzzAudio", dependencies: [
            "FuzzSupport",
            .product(name: "SpiceSession", package: "SpiceClientCore"),
            .product(name: "SpiceWire", package: "SpiceClientCore"),
        ]),
        .executableTarget(name: "FuzzCodecs", dependencies: [
            "FuzzSupport",
            .product(name: "SpiceCodecs", package: "SpiceClientCore"),
            .product(name: "SpiceCanvas", package: "SpiceClientCore"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
