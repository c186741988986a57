import Foundation

/// The monotonic clock in nanoseconds.
@inline(__always)
func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Something timed: `body` is the call measured. When `prepare` is set (a GLZ window to reset, an earlier
/// image to put in it) it runs untimed before every call, and each call is timed on its own; otherwise a
/// batch of calls is timed as one.
struct Timed {
    var prepare: (() throws -> Void)?
    var body: () throws -> Void

    /// Nanoseconds per call over `calls` calls.
    func measure(calls: Int) throws -> Double {
        if let prepare {
            var total: UInt64 = 0
            for _ in 0..<calls {
                try prepare()
                let start = nowNanoseconds()
                try self.body()
                total &+= nowNanoseconds() &- start
            }
            return Double(total) / Double(calls)
        }
        let start = nowNanoseconds()
        for _ in 0..<calls { try self.body() }
        return Double(nowNanoseconds() - start) / Double(calls)
    }

    /// How many calls make a batch of about `targetNanoseconds`, after one warm-up call.
    func calibrate(targetNanoseconds: Double) throws -> Int {
        _ = try self.measure(calls: 1)
        let probe = max(try self.measure(calls: 3), 1)
        return max(1, min(1_000_000, Int(targetNanoseconds / probe)))
    }
}

/// What the runs of one case gave, in nanoseconds per call.
struct Samples {
    var values: [Double]

    var median: Double {
        let s = self.values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// The nearest-rank 99th percentile (the largest run when there are fewer than 100).
    var p99: Double {
        let s = self.values.sorted()
        let rank = Int((0.99 * Double(s.count)).rounded(.up))
        return s[max(0, min(s.count - 1, rank - 1))]
    }
}

/// Times `subject` and `baseline` for `runs` runs, interleaved: each run is a set of short slices (about
/// 4 ms each and at least four, `targetNanoseconds` in all per side), and within it the two alternate slice by slice, the
/// order flipping each time, so that both see the same machine conditions on a shared, noisy machine.
/// A run's value is its calls' total time over their number.
func interleave(_ subject: Timed, _ baseline: Timed, runs: Int, targetNanoseconds: Double) throws -> (Samples, Samples) {
    let slices = max(4, Int(targetNanoseconds / 4_000_000))
    let sliceTarget = targetNanoseconds / Double(slices)
    let subjectCalls = try subject.calibrate(targetNanoseconds: sliceTarget)
    let baselineCalls = try baseline.calibrate(targetNanoseconds: sliceTarget)
    var a: [Double] = [], b: [Double] = []
    for run in 0..<runs {
        var subjectTotal = 0.0, baselineTotal = 0.0
        for slice in 0..<slices {
            if (run + slice) % 2 == 0 {
                subjectTotal += try subject.measure(calls: subjectCalls)
                baselineTotal += try baseline.measure(calls: baselineCalls)
            } else {
                baselineTotal += try baseline.measure(calls: baselineCalls)
                subjectTotal += try subject.measure(calls: subjectCalls)
            }
        }
        a.append(subjectTotal / Double(slices))
        b.append(baselineTotal / Double(slices))
    }
    return (Samples(values: a), Samples(values: b))
}
