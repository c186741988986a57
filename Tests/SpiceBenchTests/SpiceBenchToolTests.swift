import Foundation
import SpiceToolSupport
import XCTest

/// `spice-bench` as CI runs it: `--quick --json` must cover every codec, verify every decode against the
/// source pixels before timing, and give sane numbers. Nothing here depends on how fast the machine is.
final class SpiceBenchToolTests: XCTestCase {
    /// Every codec the benchmark must time, with the baseline it is timed against.
    private let expectedBaselines = [
        "bitmap": "memcpy", "quic": "memcpy", "lz": "memcpy", "glz": "memcpy", "glz-ref": "memcpy",
        "zlib-glz": "inflate", "lz4": "LZ4_decompress_safe_continue",
        "jpeg-420": "tjDecompress2", "jpeg-444": "tjDecompress2", "jpeg-alpha": "tjDecompress2",
    ]

    func testQuickJSONCoversEveryCodecWithVerifiedDecodesAndSaneNumbers() throws {
        let run = try ChildProcess.run(try spiceBenchPath(), ["--quick", "--json"], timeout: 600)
        XCTAssertEqual(run.termination, .exited(0), run.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
        let cases = try XCTUnwrap(parsed as? [[String: Any]], "not a JSON list of objects: \(run.stdout.prefix(300))")

        let codecs = Set(cases.compactMap { $0["codec"] as? String })
        XCTAssertEqual(codecs, Set(self.expectedBaselines.keys), "codecs in the JSON")
        let sizes = Set(cases.compactMap { $0["size"] as? String })
        XCTAssertTrue(sizes.isSuperset(of: ["64x64", "256x256"]), "sizes \(sizes)")
        XCTAssertEqual(cases.count, codecs.count * sizes.count, "one case per codec and size")

        for item in cases {
            let name = "\(item["codec"] ?? "?") \(item["size"] ?? "?")"
            XCTAssertNil(item["error"], "\(name): \(item["error"] ?? "")")
            XCTAssertEqual(item["verified"] as? Bool, true, name)
            let codec = try XCTUnwrap(item["codec"] as? String, name)
            XCTAssertEqual(item["baseline"] as? String, self.expectedBaselines[codec], name)
            // Lossless codecs must have matched the source exactly, JPEG by PSNR (>= 30 dB, checked by the bench).
            let verification = try XCTUnwrap(item["verification"] as? String, name)
            if codec.hasPrefix("jpeg") {
                let psnr = try XCTUnwrap(verification.split(separator: " ").dropFirst().first.flatMap { Double($0) }, verification)
                XCTAssertGreaterThanOrEqual(psnr, 30, name)
                if codec == "jpeg-alpha" { XCTAssertTrue(verification.contains("alpha exact"), "\(name): \(verification)") }
            } else {
                XCTAssertEqual(verification, "exact", name)
            }

            let median = try XCTUnwrap(item["median_us"] as? Double, name)
            let p99 = try XCTUnwrap(item["p99_us"] as? Double, name)
            let baseline = try XCTUnwrap(item["baseline_median_us"] as? Double, name)
            let ratio = try XCTUnwrap(item["ratio"] as? Double, name)
            let throughput = try XCTUnwrap(item["mpix_per_s"] as? Double, name)
            let width = try XCTUnwrap(item["width"] as? Int, name), height = try XCTUnwrap(item["height"] as? Int, name)
            XCTAssertEqual(item["size"] as? String, "\(width)x\(height)", name)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(item["runs"] as? Int, name), 9, name)
            XCTAssertGreaterThan(try XCTUnwrap(item["encoded_bytes"] as? Int, name), 0, name)
            // Positive, finite, and consistent with each other (to the JSON's rounding).
            for value in [median, p99, baseline, ratio, throughput] { XCTAssertTrue(value > 0 && value.isFinite, "\(name): \(value)") }
            XCTAssertGreaterThanOrEqual(p99, median, name)
            XCTAssertLessThan(median, 10_000_000, "\(name): a decode of a tile took over 10 s")
            XCTAssertEqual(throughput, Double(width * height) / median, accuracy: throughput * 0.01 + 0.01, name)
            XCTAssertEqual(ratio, median / baseline, accuracy: ratio * 0.02 + 0.01, name)
        }

        // GLZ with references into the previous image must compress far better than the image alone:
        // proof that the timed stream really copies from the earlier image.
        for size in sizes {
            let glz = cases.first { $0["codec"] as? String == "glz" && $0["size"] as? String == size }?["encoded_bytes"] as? Int
            let ref = cases.first { $0["codec"] as? String == "glz-ref" && $0["size"] as? String == size }?["encoded_bytes"] as? Int
            XCTAssertLessThan(try XCTUnwrap(ref), try XCTUnwrap(glz) / 2, "glz-ref at \(size) does not reference the earlier image")
        }

        // The table is printed too (on standard error with --json), with a row per case.
        XCTAssertTrue(run.stderr.contains("median µs"), run.stderr)
        let rows = run.stderr.split(separator: "\n").filter { self.expectedBaselines[String($0.prefix { $0 != " " })] != nil }
        XCTAssertEqual(rows.count, cases.count, run.stderr)
    }

    func testBadArgumentsAreRejectedWithoutRunning() throws {
        let few = try ChildProcess.run(try spiceBenchPath(), ["--quick", "--runs", "3"], timeout: 60)
        XCTAssertNotEqual(few.termination, .exited(0))
        XCTAssertTrue(few.stderr.contains("at least 9"), few.stderr)
        let unknown = try ChildProcess.run(try spiceBenchPath(), ["--codec", "png"], timeout: 60)
        XCTAssertNotEqual(unknown.termination, .exited(0))
        XCTAssertTrue(unknown.stderr.contains("unknown codec png"), unknown.stderr)
    }
}

/// The `spice-bench` executable built beside the test bundle (or `SPICE_BENCH`).
func spiceBenchPath() throws -> String {
    if let path = ProcessInfo.processInfo.environment["SPICE_BENCH"] { return path }
    let candidates = [CommandLine.arguments[0], Bundle.main.executablePath ?? "", Bundle.main.bundlePath]
        .filter { !$0.isEmpty }
        .map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("spice-bench").path }
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    throw ToolError("spice-bench is not built beside the tests (looked at \(candidates)); run `swift build` first")
}
