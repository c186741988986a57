import ArgumentParser
import Foundation
import SpiceCodecTestSupport

/// `spice-bench`: decode latency and throughput of every image codec, each beside a baseline timed in the
/// same process, interleaved within every run (issue 5). It prints; it never fails on timing. It exits non-zero only when a
/// decode did not give the source pixels (checked once per case, before timing).
@main
struct SpiceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spice-bench",
        abstract: "Time every SPICE image codec against a same-run baseline on a deterministic synthetic desktop.",
        discussion: """
            Cases: BITMAP, QUIC, LZ, GLZ (alone, and glz-ref: an image referencing the previous one, scrolled \
            by a text line), ZLIB-GLZ, LZ4, JPEG 4:2:0 and 4:4:4 at quality 85, JPEG_ALPHA; on 64x64 and \
            256x256 tiles of text and of a photo-like region, and on the whole 1920x1080 desktop. Baselines, \
            interleaved run by run: memcpy of the decoded pixels (BITMAP, QUIC, LZ, GLZ), raw inflate (the zlib \
            part of ZLIB-GLZ), raw LZ4_decompress_safe_continue (LZ4), raw tjDecompress2 into the same rectangle \
            (JPEG; the colour part for JPEG_ALPHA). In each run the case and its baseline alternate in ~4 ms \
            slices; a run's value is its time per call, and the table gives the median and p99 (nearest rank) \
            over the runs. "C anchor" is spice-common/spice-gtk's C (or liblz4/TurboJPEG) on \
            a similar image on this kind of machine (shared/reference/perf-anchors.md), for reading, not gating.
            """)

    @Flag(help: "A reduced set (64x64 and 256x256 text tiles, every codec) with short batches: a few seconds.")
    var quick = false

    @Flag(help: "Print the results as a JSON list on standard output (the table then goes to standard error).")
    var json = false

    @Option(help: "Timed runs per case (at least 9).")
    var runs = 9

    @Option(name: .customLong("batch-ms"), help: "Target length of one batch of calls in ms (default 40, or 4 with --quick).")
    var batchMilliseconds: Double?

    @Option(name: .customLong("codec"), help: "Only these codecs (repeatable): \(Codec.allCases.map(\.rawValue).joined(separator: ", ")).")
    var codecs: [String] = []

    func validate() throws {
        guard self.runs >= 9 else { throw ValidationError("--runs must be at least 9") }
        for name in self.codecs where Codec(rawValue: name) == nil {
            throw ValidationError("unknown codec \(name); known: \(Codec.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let ms = self.batchMilliseconds, !(ms > 0) { throw ValidationError("--batch-ms must be positive") }
    }

    func run() throws {
        let codecs = self.codecs.isEmpty ? Codec.allCases : Codec.allCases.filter { self.codecs.contains($0.rawValue) }
        let inputs: [Input] = self.quick
            ? [Input(name: "text", size: 64), Input(name: "text", size: 256)]
            : [Input(name: "text", size: 64), Input(name: "photo", size: 64), Input(name: "text", size: 256),
               Input(name: "photo", size: 256), Input(name: "desktop", size: nil)]
        let target = (self.batchMilliseconds ?? (self.quick ? 4 : 40)) * 1_000_000
        let table = TextTable(toStandardError: self.json)
        table.note("spice-bench: \(codecs.count) codecs x \(inputs.count) images, \(self.runs) runs each, "
                   + "baseline interleaved slice by slice within each run of ~\(Int(target / 1_000_000)) ms per side")

        let factory = CaseFactory()
        var rows: [[String: Any]] = []
        var failures = 0
        table.header()
        for input in inputs {
            for codec in codecs {
                do {
                    let bench = try factory.make(codec, input)
                    let (subject, baseline) = try interleave(bench.subject, bench.baseline, runs: self.runs, targetNanoseconds: target)
                    let row = Measured(bench: bench, subject: subject, baseline: baseline)
                    table.row(row)
                    rows.append(row.json)
                } catch {
                    failures += 1
                    table.failure(codec: codec, input: input, error: error)
                    rows.append(["codec": codec.rawValue, "size": input.label, "image": input.name, "verified": false,
                                 "error": String(describing: error)])
                }
            }
        }
        if self.json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
        if failures > 0 {
            table.note("\(failures) case(s) failed verification or decoding; see above")
            throw ExitCode(1)
        }
    }
}

/// One measured case.
struct Measured {
    let bench: BenchCase
    let subject: Samples
    let baseline: Samples

    var pixels: Double { Double(self.bench.width * self.bench.height) }
    var medianMicroseconds: Double { self.subject.median / 1000 }
    var megapixelsPerSecond: Double { self.pixels * 1000 / self.subject.median }
    var ratio: Double { self.subject.median / self.baseline.median }
    var anchor: Double? { cAnchorMicroseconds[self.bench.codec]?[anchorKey(self.bench.input)] }

    var json: [String: Any] {
        [
            "codec": self.bench.codec.rawValue,
            "size": self.bench.input.label,
            "image": self.bench.input.name,
            "width": self.bench.width,
            "height": self.bench.height,
            "encoded_bytes": self.bench.encodedBytes,
            "runs": self.subject.values.count,
            "median_us": rounded(self.medianMicroseconds),
            "p99_us": rounded(self.subject.p99 / 1000),
            "mpix_per_s": rounded(self.megapixelsPerSecond),
            "ns_per_pixel": rounded(self.subject.median / self.pixels),
            "baseline": self.bench.baselineName,
            "baseline_median_us": rounded(self.baseline.median / 1000),
            "baseline_p99_us": rounded(self.baseline.p99 / 1000),
            "baseline_ns_per_pixel": rounded(self.baseline.median / self.pixels),
            "ratio": rounded(self.ratio),
            "verified": true,
            "verification": self.bench.verification,
            "c_anchor_us": self.anchor.map { $0 as Any } ?? NSNull(),
        ]
    }
}

func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

/// The C figures of perf-anchors.md §0 (median µs per call on this kind of machine, on a similar
/// synthetic desktop), by codec and image: spice-common QUIC and LZ, spice-gtk's GLZ loop, inflate + GLZ,
/// raw `LZ4_decompress_safe`, raw `tjDecompress2` to a tight buffer.
let cAnchorMicroseconds: [Codec: [String: Double]] = [
    .quic: ["desktop": 12_100, "text-256": 495, "photo-256": 1330, "text-64": 46, "photo-64": 156],
    .lz: ["desktop": 2580, "text-256": 44, "photo-256": 248, "text-64": 3.5, "photo-64": 15.3],
    .glz: ["desktop": 1800, "text-256": 72, "photo-256": 63, "text-64": 3.0, "photo-64": 3.9],
    .glzRef: ["desktop": 1990],
    .zlibGLZ: ["desktop": 7400, "text-256": 144, "photo-256": 914, "text-64": 12.0, "photo-64": 49],
    .lz4: ["desktop": 650, "text-256": 19.8, "photo-256": 7.7, "text-64": 2.1, "photo-64": 0.45],
    .jpeg420: ["desktop": 4960, "text-256": 270, "photo-256": 217, "text-64": 22.2, "photo-64": 20.4],
    .jpeg444: ["desktop": 7000, "text-256": 324, "photo-256": 348, "text-64": 28.6, "photo-64": 30.4],
]

func anchorKey(_ input: Input) -> String { input.size.map { "\(input.name)-\($0)" } ?? input.name }

/// The human-readable table.
struct TextTable {
    let toStandardError: Bool

    private func emit(_ line: String) {
        // Unbuffered, line by line, so a long run shows its progress.
        (self.toStandardError ? FileHandle.standardError : FileHandle.standardOutput).write(Data((line + "\n").utf8))
    }

    func note(_ text: String) { self.emit(text) }

    func header() {
        self.emit(Self.line("codec", "size", "image", "bytes", "median µs", "p99 µs", "MP/s", "ns/px",
                            "baseline", "base µs", "ratio", "C anchor", "check"))
    }

    func row(_ r: Measured) {
        let b = r.bench
        self.emit(Self.line(b.codec.rawValue, b.input.label, b.input.name, "\(b.encodedBytes)", Self.number(r.medianMicroseconds),
                            Self.number(r.subject.p99 / 1000), String(format: "%.0f", r.megapixelsPerSecond),
                            String(format: "%.2f", r.subject.median / r.pixels), b.baselineName, Self.number(r.baseline.median / 1000),
                            String(format: "%.2f", r.ratio), r.anchor.map { Self.number($0) } ?? "-", b.verification))
    }

    func failure(codec: Codec, input: Input, error: Error) {
        self.emit("\(codec.rawValue) \(input.label) \(input.name): FAILED: \(error)")
    }

    private static func number(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }

    private static func line(_ fields: String...) -> String {
        let widths = [10, 9, 7, 9, 10, 10, 8, 7, 28, 10, 7, 9, 0]
        let left: Set<Int> = [0, 1, 2, 8, 12]
        var out = ""
        for (i, field) in fields.enumerated() {
            let pad = max(0, widths[i] - field.count)
            out += left.contains(i) ? field + String(repeating: " ", count: pad) : String(repeating: " ", count: pad) + field
            if i < fields.count - 1 { out += " " }
        }
        return out
    }
}
