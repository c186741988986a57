// swift-tools-version:6.0
// The SPICE client core: pure tiers (wire, session, codecs), one I/O tier (client), tools.
// See ARCHITECTURE.md for the dependency rules every target here follows.
import PackageDescription

/// Where jni.h is for the JNI glue on Linux (jni/native/jni_glue.c compiles to nothing without it).
let javaHome = Context.environment["JAVA_HOME"] ?? "/usr/lib/jvm/java-17-openjdk-amd64"

let package = Package(
    name: "SpiceClientCore",
    products: [
        .library(name: "SpiceWire", targets: ["SpiceWire"]),
        .library(name: "SpiceSession", targets: ["SpiceSession"]),
        .library(name: "SpiceCanvas", targets: ["SpiceCanvas"]),
        .library(name: "SpiceCodecs", targets: ["SpiceCodecs"]),
        .library(name: "SpiceClient", targets: ["SpiceClient"]),
        .executable(name: "spice-headless", targets: ["spice-headless"]),
        .executable(name: "spice-bench", targets: ["spice-bench"]),
        // The C ABI (jni/native/include/spice_client.h) and the JNI glue in one shared library.
        .library(name: "SpiceClientJNI", type: .dynamic, targets: ["SpiceCAPI"]),
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

        // MARK: - The C ABI and the JNI glue (jni/README.md): libSpiceClientJNI.so exports only spc_*, Java_* and JNI_OnLoad.
        .target(name: "CSpiceClient", path: "jni/native",
                cSettings: [.unsafeFlags(["-I\(javaHome)/include", "-I\(javaHome)/include/linux"], .when(platforms: [.linux]))]),
        .target(name: "SpiceCAPI", dependencies: ["CSpiceClient", "SpiceClient", "SpiceSession", "SpiceWire", "SpiceCanvas"],
                linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/jni/exports.map"],
                                              .when(platforms: [.linux]))]),

        // MARK: - Tools (Foundation and package dependencies allowed here).
        .target(name: "SpiceToolSupport", dependencies: ["SpiceClient", "SpiceSession", "SpiceWire"]),
        .executableTarget(name: "spice-headless", dependencies: [
            "SpiceClient", "SpiceSession", "SpiceWire", "SpiceCanvas", "SpiceCodecs", "SpiceToolSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Encoders for every image type plus the C libraries' raw decoders, shared by spice-bench and tests.
        .target(name: "SpiceCodecTestSupport", dependencies: ["SpiceCodecs", "SpiceCanvas", "CTurboJPEG", "CLZ4", "CZlib"]),
        // The decode benchmark: every codec beside a baseline timed in the same run (Sources/spice-bench).
        .executableTarget(name: "spice-bench", dependencies: [
            "SpiceCodecs", "SpiceCanvas", "SpiceCodecTestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: - Tests.
        .testTarget(name: "SpiceWireTests", dependencies: ["SpiceWire"]),
        .testTarget(name: "SpiceCanvasTests", dependencies: ["SpiceCanvas"]),
        // The session tests compress JPEG and LZ4 images with the C libraries to feed the display channel.
        .testTarget(name: "SpiceSessionTests", dependencies: ["SpiceSession", "SpiceWire", "SpiceCanvas", "SpiceCodecs", "CTurboJPEG", "CLZ4"]),
        // The codec tests call the C libraries directly to produce compressed input for the bridges.
        .testTarget(name: "SpiceCodecsTests", dependencies: ["SpiceCodecs", "SpiceCodecTestSupport", "SpiceCanvas", "CTurboJPEG", "COpus", "CLZ4", "CZlib"]),
        .testTarget(name: "SpiceClientTests", dependencies: ["SpiceClient", "SpiceSession", "SpiceWire", "COpenSSL"]),
        .testTarget(name: "RealServerTests", dependencies: ["SpiceClient", "SpiceSession", "SpiceCanvas", "SpiceToolSupport"]),
        // Runs the spice-bench executable built beside the tests (`swift build` builds it).
        .testTarget(name: "SpiceBenchTests", dependencies: ["SpiceToolSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
