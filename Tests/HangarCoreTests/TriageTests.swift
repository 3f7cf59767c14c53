import Foundation
import Testing

@testable import HangarCore

/// Signatures: their files, their patterns, and how they classify a failed run's log.
@Suite struct TriageTests {
    @Test func normalisingMakesWhatDiffersFromRunToRunTheSame() {
        #expect(LogNormaliser.normalise("cc: /var/tmp/run-42/build/foo.c:12: error") == "cc: foo.c:12: error")
        #expect(LogNormaliser.normalise("segfault at 0x7ffd5e8c ip 0X00ab") == "segfault at 0x0 ip 0x0")
        #expect(LogNormaliser.normalise("sshd[1234]: Connection closed by 10.0.2.2") == "sshd[0]: Connection closed by 10.0.2.2")
        #expect(LogNormaliser.normalise("killed pid 991, PID=12 rapid 7") == "killed pid 0, PID=0 rapid 7")
        #expect(LogNormaliser.normalise("see https://example.org/a/b and '/etc/hosts'") == "see https://example.org/a/b and 'hosts'")
        #expect(LogNormaliser.normalise("✓ done in /tmp/") == "✓ done in /tmp/")
    }

    @Test func aSignatureFileReadsWithDefaultsForItsKind() throws {
        let text = """
            kind: infrastructure
            pattern: 'Could not resolve host: deb\\.debian\\.org'
            issue: https://tracker.example.org/123
            scope: { project: demo, task: "run: *" }
            """
        let signature = try Signature.parse(text, name: "mirror-down", file: "mirror-down.yml")
        #expect(signature.kind == .infrastructure && signature.retries == 2 && signature.delay == 60)
        #expect(signature.scope == Signature.Scope(project: "demo", task: "run: *"))
        #expect(signature.issue == "https://tracker.example.org/123")
        let flaky = try Signature.parse("kind: flaky\npattern: x\ndelay: 5s\n", name: "f", file: "f.yml")
        #expect(flaky.retries == 1 && flaky.delay == 5)
    }

    @Test func aBadSignatureFileSaysWhatAndWhere() {
        func problem(_ text: String) -> String {
            do {
                _ = try Signature.parse(text, name: "s", file: "s.yml")
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(problem("kind: knwon-bug\npattern: x\n").contains("s.yml:1:7"))
        #expect(problem("kind: knwon-bug\npattern: x\n").contains("did you mean 'known-bug'"))
        #expect(problem("kind: flaky\n").contains("needs 'pattern:'"))
        #expect(problem("kind: flaky\npattern: x\nscope: { imgae: a }\n").contains("unknown scope 'imgae'"))
        let unclosed = problem("kind: flaky\npattern: 'error (code'\n")
        #expect(unclosed.contains("s.yml:2:10") && unclosed.contains("'(' is never closed at character 7"))
        #expect(problem("kind: flaky\npattern: 'a{3,1}'\n").contains("the count {3,1} goes down at character 2"))
        #expect(problem("kind: flaky\npattern: '*oops'\n").contains("'*' has nothing to repeat at character 1"))
        #expect(problem("kind: flaky\npattern: 'a]b)'\n").contains("')' closes no group at character 4"))
        // Each placed at what is wrong: the value of retries, the empty pattern, where the quote opened.
        #expect(problem("kind: infrastructure\npattern: x\nretries: -3\n").hasPrefix("s.yml:3:10: retries must be from 0 to 10, not -3"))
        #expect(problem("kind: flaky\npattern: ''\n").hasPrefix("s.yml:2:10: the pattern is empty"))
        let quote = problem("kind: flaky\npattern: 'never closed\nissue: x\n")
        #expect(quote.hasPrefix("s.yml:2:10: invalid YAML"), "\(quote)")
    }

    @Test func aFolderIsReadFileByFileAndEveryWrongFileIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-signatures-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = [
            "good.yml": "kind: flaky\npattern: x\n", "good.yaml": "kind: flaky\npattern: y\n", "bad.yml": "kind: flaky\nretries: 99\npattern: x\n",
            "notes.txt": "not a signature",
        ]
        for (name, text) in files { try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8) }
        let (signatures, problems) = try Signature.readFolder(folder)
        #expect(signatures.map(\.pattern) == ["y"])
        #expect(problems.map(\.file) == ["bad.yml", "good.yml"])
        #expect(problems.map(\.signatureName) == ["bad", "good"])
        #expect(problems.map(\.error.location) == ["\(folder)/bad.yml:2:10", "\(folder)/good.yml"])
        do {
            _ = try Signature.loadFolder(folder)
            Issue.record("a folder with wrong files loaded")
        } catch {
            #expect(error.description.hasPrefix("2 signature files in \(folder) are wrong:\n  \(folder)/bad.yml:2:10: retries must be"))
            #expect(error.description.contains("\n  \(folder)/good.yml: two files in \(folder) name the signature 'good'\n    hint: keep one of"))
        }
    }

    @Test func theRequiredTextSkipsWhatIsOptional() {
        #expect(CompiledSignature.requiredText("Could not resolve host: deb\\.debian") == "Could not resolve host: ")
        #expect(CompiledSignature.requiredText("timed? out after \\d+s waiting") == " out after ")
        #expect(CompiledSignature.requiredText("(connection )?refused by peer") == "refused by peer")
        #expect(CompiledSignature.requiredText("a|b") == "")
        #expect(CompiledSignature.requiredText("(?i)error") == "")
        #expect(CompiledSignature.requiredText(String(repeating: "0", count: 4096)).count == 24)
    }

    @Test func aScopeCanNameTheImage() throws {
        let signature = try Signature.parse("kind: flaky\npattern: x\nscope: { image: '*fedora-41*' }\n", name: "s", file: "s.yml")
        #expect(signature.scope == Signature.Scope(image: "*fedora-41*"))
        #expect(signature.scope.contains(FailedRun(project: "p", job: "j", image: "https://example.org/fedora-41.qcow2")))
        #expect(!signature.scope.contains(FailedRun(project: "p", job: "j", image: "https://example.org/debian-12.qcow2")))
        #expect(!signature.scope.contains(FailedRun(project: "p", job: "j")), "a run that booted no image is outside an image scope")
    }

    @Test func theFirstMatchingLineOfEachSignatureInScopeIsKept() throws {
        let signatures = SignatureSet(
            try [
                Signature(name: "mirror", kind: .infrastructure, pattern: "Could not resolve host: \\S+"),
                Signature(name: "oops", kind: .knownBug, pattern: "kernel: BUG at \\w+\\.c:\\d+", issue: "https://bugs/9"),
                Signature(name: "other-project", kind: .flaky, pattern: "resolve", scope: .init(project: "elsewhere")),
                Signature(name: "net-test", kind: .flaky, pattern: "resolve", scope: .init(test: "net_*")),
            ].map(CompiledSignature.init)
        )
        var classifier = LogClassifier(signatures, for: FailedRun(project: "demo", job: "test", failedTests: ["net_dns"]))
        let log = [
            "boot", "curl: (6) Could not resolve host: deb.debian.org", "again Could not resolve host: x",
            "[ 1.2] kernel: BUG at /build/mm/slab.c:42",
        ]
        classifier.scan(page: log.joined(separator: "\n"), firstLine: 0)
        #expect(classifier.isDone == true)
        #expect(classifier.matches.map(\.signature) == ["mirror", "net-test", "oops"])
        #expect(classifier.matches.map(\.line) == [1, 1, 3])
        #expect(classifier.matches[2].text == log[3] && classifier.matches[2].issue == "https://bugs/9")
        let unscoped = LogClassifier(signatures, for: FailedRun(project: "demo", job: "test"))
        #expect(unscoped.isDone == false)
    }

    @Test func globsMatchAsFileNamesDo() {
        #expect(Glob.matches("net_*", "net_dns") && Glob.matches("*", "") && Glob.matches("a?c", "abc"))
        #expect(!Glob.matches("net_*", "disk_net_x") && !Glob.matches("a?c", "ac"))
        #expect(Glob.matches("*b*c", "aabxxc") && !Glob.matches("*b*c", "aabxxcd"))
    }
}

extension TriageTests {
    @Test func infrastructureIsRetriedBeforeFlakyAndOnlyWhileRetriesAreLeft() {
        let signatures = [
            Signature(name: "bug", kind: .knownBug, pattern: "x"),
            Signature(name: "flaky", kind: .flaky, pattern: "x"),
            Signature(name: "mirror", kind: .infrastructure, pattern: "x", retries: 2),
        ]
        func match(_ name: String, _ kind: Signature.Kind) -> SignatureMatch {
            SignatureMatch(signature: name, kind: kind, issue: nil, line: 0, text: "")
        }
        let all = [match("bug", .knownBug), match("flaky", .flaky), match("mirror", .infrastructure)]
        #expect(AutomaticRetry.signature(for: all, among: signatures, retriesSoFar: 0)?.name == "mirror")
        #expect(AutomaticRetry.signature(for: all, among: signatures, retriesSoFar: 1)?.name == "mirror")
        #expect(AutomaticRetry.signature(for: all, among: signatures, retriesSoFar: 2) == nil)
        #expect(AutomaticRetry.signature(for: Array(all.prefix(2)), among: signatures, retriesSoFar: 0)?.name == "flaky")
        #expect(AutomaticRetry.signature(for: Array(all.prefix(1)), among: signatures, retriesSoFar: 0) == nil)
        // A match of a signature deleted since is not acted on.
        #expect(AutomaticRetry.signature(for: [match("gone", .infrastructure)], among: signatures, retriesSoFar: 0) == nil)
    }
}

extension TriageTests {
    @Test func theLiteralMatcherFindsEveryPieceInOnePass() {
        let matcher = LiteralMatcher(["he", "she", "his", "hers", "", "ü"])
        #expect(matcher.occurring(in: "ushers") == [0, 1, 3])
        #expect(matcher.occurring(in: "this and ü") == [2, 5])
        #expect(matcher.occurring(in: "nothing").isEmpty)
    }
}

extension TriageTests {
    /// A 10 MB line (a runaway progress bar, a binary dump) is classified like any other.
    @Test func aTenMegabyteLineIsClassified() async throws {
        let signatures = try [Signature(name: "oom", kind: .infrastructure, pattern: "Out of memory: Killed process \\d+")].map(
            CompiledSignature.init
        )
        let line = String(repeating: "#", count: 10 << 20) + " Out of memory: Killed process 4242 (cc1)"
        // Seconds of work in a debug build: on a thread of its own, not one of the few that the other
        // tests' async code (timing-sensitive ones among them) runs on.
        let matches = await withCheckedContinuation { (done: CheckedContinuation<[SignatureMatch], Never>) in
            DispatchQueue.global().async {
                var classifier = LogClassifier(SignatureSet(signatures), for: FailedRun(project: "p", job: "j"))
                classifier.scan(page: line, firstLine: 7)
                done.resume(returning: classifier.matches)
            }
        }
        #expect(matches.map(\.line) == [7] && matches.first?.text.count == line.count)
    }
}

extension TriageTests {
    @Test func thePieceFinderFindsTheFirstPieceFromAPosition() {
        let finder = try! #require(PieceFinder(["needle", "pin", "ax"].map { Array($0.utf8) }))
        let text = Array("hay pin hay needle hax".utf8)
        text.withUnsafeBufferPointer { bytes in
            #expect(finder.next(in: bytes, from: 0) == 4)
            #expect(finder.next(in: bytes, from: 5) == 12)
            #expect(finder.next(in: bytes, from: 13) == 20, "a piece at the very end")
            #expect(finder.next(in: bytes, from: 21) == nil)
        }
        #expect(PieceFinder([]) == nil && PieceFinder([[120]]) == nil, "none, or one too short")
    }

    /// Against the plainest search, on random texts of a small alphabet (many near misses), from
    /// every position: the page's halves searched side by side find what one search would.
    @Test func thePieceFinderFindsWhatAPlainSearchFinds() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let letters = Array("abc-".utf8)
            let word = { (length: Int) in (0..<length).map { _ in letters.randomElement(using: &random)! } }
            let pieces = (0..<Int.random(in: 1...4, using: &random)).map { _ in word(Int.random(in: 2...6, using: &random)) }
            let text = word(Int.random(in: 0...80, using: &random))
            let finder = try #require(PieceFinder(pieces))
            text.withUnsafeBufferPointer { bytes in
                for start in 0...text.count {
                    let plain = (start..<max(start, text.count)).first { at in
                        pieces.contains { piece in at + piece.count <= text.count && Array(text[at..<at + piece.count]) == piece }
                    }
                    #expect(finder.next(in: bytes, from: start) == plain, "\(String(decoding: text, as: UTF8.self)) from \(start)")
                }
            }
        }
    }

    /// A raw piece is text the line held before normalising: no separator a path is cut after, no
    /// digit, no slash.
    @Test func theRawPieceIsWhatNormalisingLeavesAlone() {
        #expect(CompiledSignature.rawPiece(of: "kernel: BUG at ") == "kernel:")
        #expect(CompiledSignature.rawPiece(of: "component-12 failed: err") == "component-")
        #expect(CompiledSignature.rawPiece(of: "sshd[0]: Accepted") == "Accepted")
        #expect(CompiledSignature.rawPiece(of: "0x0") == "" && CompiledSignature.rawPiece(of: "a 1") == "", "nothing two bytes long")
    }

    /// Only the lines holding a piece are normalised, and a match that needs normalising is found;
    /// lines are counted across pages.
    @Test func aPageIsSkimmedAndOnlyLinesHoldingAPieceAreMatched() throws {
        let signatures = SignatureSet(
            try [
                Signature(name: "io", kind: .knownBug, pattern: "error in driver_io\\.c:\\d+ at 0x0"),
                Signature(name: "pid", kind: .infrastructure, pattern: "sshd\\[0\\]: fatal"),
            ].map(CompiledSignature.init)
        )
        var classifier = LogClassifier(signatures, for: FailedRun(project: "p", job: "j"))
        classifier.scan(page: "noise\n==> [1/2] run: grep 'error in' x\nmore noise\n", firstLine: 0)
        #expect(classifier.matches.isEmpty, "a task's header is passed over")
        classifier.scan(page: "a\nb error in /var/tmp/b-7/driver_io.c:12 at 0X7FFE\nc\nsshd[4242]: fatal", firstLine: 4)
        #expect(classifier.matches.map(\.signature) == ["io", "pid"] && classifier.matches.map(\.line) == [5, 7], "\(classifier.matches)")
        #expect(classifier.matches[1].text == "sshd[4242]: fatal" && classifier.isDone)
    }
}
