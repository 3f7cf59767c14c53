import HangarCore
import Testing

/// Measurement lines: Hangar's and LAVA's, and every way one can be wrong (said, never fatal).
@Suite struct MeasureTests {
    @Test func measurementLinesAreRead() {
        #expect(
            Measure.parse("HANGAR_MEASURE requests_per_s=1830 unit=1/s") == .measurement(Measure(name: "requests_per_s", value: 1830, unit: "1/s"))
        )
        #expect(Measure.parse("  HANGAR_MEASURE boot.time=2.5") == .measurement(Measure(name: "boot.time", value: 2.5)))
        #expect(
            Measure.parse("lava-test-case boot --result pass --measurement 4.25 --units s")
                == .measurement(Measure(name: "boot", value: 4.25, unit: "s"))
        )
        #expect(Measure.parse("lava-test-case smoke --result pass") == nil, "a test case without a measurement is not one")
        #expect(Measure.parse("compiling HANGAR_MEASURE.c") == nil)
        #expect(Measure(name: "requests_per_s", value: 1830, unit: "1/s").description == "requests_per_s = 1830 1/s")
    }

    @Test(arguments: [
        ("HANGAR_MEASURE", "needs name=value"),
        ("HANGAR_MEASURE x=abc", "'abc' is not a finite number"),
        ("HANGAR_MEASURE x=nan", "'nan' is not a finite number"),
        ("HANGAR_MEASURE x=inf unit=s", "'inf' is not a finite number"),
        ("HANGAR_MEASURE x=1 units=s", "not 'units=s'"),
        ("HANGAR_MEASURE bad;name=1", "'bad;name' is not a measurement name"),
        ("HANGAR_MEASURE x=1 unit=\(String(repeating: "u", count: 21))", "longer than 20 characters"),
        ("lava-test-case boot --result pass --measurement", "--measurement has no value"),
    ])
    func wrongLinesSayWhy(line: String, why: String) {
        guard case .wrong(let said)? = Measure.parse(line) else { return #expect(Bool(false), "\(line) was taken") }
        #expect(said.contains(why), "\(said)")
    }

    @Test func aHugeNameIsRefusedAndNotRepeatedInFull() {
        let line = "HANGAR_MEASURE \(String(repeating: "n", count: 10_000_000))=1"
        guard case .wrong(let said)? = Measure.parse(line) else { return #expect(Bool(false)) }
        #expect(said.count < 200 && said.contains("is not a measurement name"))
    }
}
