// swift-tools-version:6.0
// The SPICE client core: pure tiers (wire, session, codecs), one I/O tier (client), tools.
// See ARCHITECTURE.md for the dependency rules every target here follows.
import PackageDescription

let package = Package(
    name: "SpiceClientCore",
    products: [
        .library(name: "SpiceWire", targets: ["SpiceWire"]),
        .library(name: "SpiceSession", targets: ["SpiceSession"]),
        .library(name: "SpiceCanvas", targets: ["SpiceCanvas"]),
        .library(name: "SpiceCodecs", targets: ["SpiceCodecs"]),
        .library(name: "SpiceClient", targets: ["SpiceClient"]),
        .executable(name: "spice-headless", targets: ["spice-headless"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - C system libraries, each imported by exactly one bridge file.
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev", "libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: - Pure tiers: no sockets, clocks, threads, globals or Foundation.
        .target(name: "SpiceWire"),
        .target(name: "SpiceCanvas"),
        .target(name: "SpiceCodecs", dependencies: ["SpiceCanvas", "CTurboJPEG", "COpus", "CLZ4", "CZlib"]),
        .target(name: "SpiceSession", dependencies: ["SpiceWire", "SpiceCanvas", "SpiceCodecs"]),

        // MARK: - The one I/O tier.
        .target(name: "SpiceClient", dependencies: ["SpiceSession", "SpiceWire", "SpiceCanvas", "COpenSSL"]),

        // MARK: - Tools (Foundation and package dependencies allowed here).
        .target(name: "SpiceToolSupport", dependencies: ["SpiceClient", "SpiceSession", "SpiceWire"]),
        .executableTarget(name: "spice-headless", dependencies: [
            "SpiceClient", "SpiceSession", "SpiceWire", "SpiceCanvas", "SpiceCodecs", "SpiceToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Tests.
        .testTarget(name: "SpiceWireTests", dependencies: ["SpiceWire"]),
        .testTarget(name: "SpiceCanvasTests", dependencies: ["SpiceCanvas"]),
        .testTarget(name: "SpiceSessionTests", dependencies: ["SpiceSession", "SpiceWire", "SpiceCanvas"]),
        // The codec tests call the C libraries directly to produce compressed input for the bridges.
        .testTarget(name: "SpiceCodecsTests", dependencies: ["SpiceCodecs", "SpiceCanvas", "CTurboJPEG", "COpus", "CLZ4", "CZlib"]),
        .testTarget(name: "SpiceClientTests", dependencies: ["SpiceClient", "SpiceSession", "SpiceWire", "COpenSSL"]),
        .testTarget(name: "RealServerTests", dependencies: ["SpiceClient", "SpiceSession", "SpiceCanvas", "SpiceToolSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
