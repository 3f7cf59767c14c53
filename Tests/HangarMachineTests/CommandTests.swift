import Foundation
import HangarCore
import HangarMachine
import Synchronization
import Testing

/// The process runner against real programs: output, input, status, cancellation of a whole process
/// group, background programs, and thousands of spawns from concurrent tasks (Foundation's `Process`
/// crashed about once in five such runs).
@Suite(.timeLimit(.minutes(3))) struct CommandTests {
    @Test func outputStatusAndInput() async throws {
        let result = try await Command.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        let echoed = try await Command.run(["cat"], input: Data("from stdin\n".utf8))
        #expect(echoed.stdout == "from stdin\n")
        let environment = try await Command.run(["sh", "-c", "echo $HANGAR_X; pwd"], environment: ["HANGAR_X": "set"], directory: "/tmp")
        #expect(environment.stdout == "set\n/tmp\n")
    }

    /// curl refusing a connection exits before reading the mail it was given: that is its exit
    /// status, not a crash (swift-subprocess's own writer trapped here).
    @Test func aProgramThatExitsWithoutReadingItsInputJustExits() async throws {
        let big = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<20 {
            #expect(try await Command.run(["sh", "-c", "exit 7"], input: big).status == 7)
        }
        let counted = try await Command.run(["wc", "-c"], input: big)
        #expect(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(1 << 20)")
    }

    @Test func linesArriveAsTheyAreWrittenAndAPartialLastLineIsKept() async throws {
        let lines = Mutex<[String]>([])
        let result = try await Command.run(
            ["sh", "-c", "echo one; echo two >&2; printf three"],
            output: .lines { line, isError in
                lines.withLock { $0.append((isError ? "err:" : "out:") + line) }
            }
        )
        #expect(result.status == 0)
        #expect(Set(lines.withLock { $0 }) == ["out:one", "err:two", "out:three"])
        #expect(result.stdout == "one\nthree")
    }

    @Test func aLargeOutputOnBothStreamsDoesNotDeadlock() async throws {
        let result = try await Command.run(["sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a; head -c 1000000 /dev/zero | tr '\\0' b >&2"])
        #expect(result.stdout.count == 1_000_000)
        #expect(result.stderr.count == 1_000_000)
    }

    @Test func aMissingProgramIsAClearError() async throws {
        await #expect { try await Command.run(["hangar-no-such-program"]) } throws: { error in
            (error as? HangarError)?.code == .hostToolMissing
        }
    }

    @Test func aSignalShowsAsTheShellReportsIt() async throws {
        #expect(try await Command.run(["sh", "-c", "kill -9 $$"]).status == 137)
    }

    @Test func cancellingStopsTheWholeProcessGroupAndReturnsPromptly() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-grandchild-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let ready = marker + ".ready"
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let task = Task {
            // The grandchild (its process id in the marker) lives 30 s unless its group is stopped.
            try await Command.run(["sh", "-c", "sh -c 'echo $$ > \(marker); exec sleep 30' & echo started; touch \(ready); wait"])
        }
        // Cancel once the shell and the grandchild have started (a loaded machine can take a while).
        while !FileManager.default.fileExists(atPath: ready) || (try? String(contentsOfFile: marker, encoding: .utf8))?.hasSuffix("\n") != true {
            try await Task.sleep(for: .milliseconds(20))
        }
        let grandchild = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(grandchild, SIGKILL) }  // should the test fail
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = try await task.value
        #expect(result.status == 128 + SIGTERM)
        #expect(result.stdout == "started\n")
        #expect(ContinuousClock.now - cancelled < .seconds(2))
        // Gone (or a zombie waiting for its new parent to reap it): the group was stopped.
        func alive() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8) else { return false }
            return !(stat.split(separator: ")").last?.hasPrefix(" Z") ?? true)
        }
        let deadline = ContinuousClock.now + .seconds(2)
        while alive(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!alive(), "the grandchild \(grandchild) outlived its group")
    }

    @Test func aDaemonHoldingThePipesDoesNotHoldTheCaller() async throws {
        // The shell exits at once; the background sleep keeps stdout open (as an ssh ControlMaster does).
        let started = ContinuousClock.now
        let result = try await Command.run(["sh", "-c", "sleep 5 & echo done"])
        #expect(result.stdout == "done\n")
        #expect(ContinuousClock.now - started < .seconds(4))
    }

    @Test func aBackgroundProcessRunsUntilStopped() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hangar-bg-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = try await Command.start(["sh", "-c", "echo ready; echo oops >&2; exec sleep 60"], log: log)
        #expect(await process.firstLine() == "ready")
        #expect(process.isRunning)
        #expect(await process.stop() == 128 + SIGTERM)
        #expect(!process.isRunning)
        #expect(process.output().contains("oops"))
        let quick = try await Command.start(["sh", "-c", "exit 4"], log: log)
        #expect(await quick.wait() == 4)
    }

    /// Thousands of short programs from many tasks at once, every output checked.
    @Test func thousandsOfConcurrentSpawns() async throws {
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var failures = 0
                    for index in 0..<125 {
                        if (worker + index) % 2 == 0 {
                            failures += try await Command.run(["true"]).status == 0 ? 0 : 1
                        } else {
                            let result = try await Command.run(["sh", "-c", "echo x; echo y >&2"])
                            failures += result.status == 0 && result.stdout == "x\n" && result.stderr == "y\n" ? 0 : 1
                        }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(failures == 0)
    }

    /// No part of Hangar, its benchmarks or its tests starts programs any other way: no code line
    /// names Foundation's process type. The spawn benchmark's baseline is the one file allowed to.
    @Test func foundationProcessIsNotUsed() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let allowed = "Benchmarks/ServerBenchmark/FoundationSpawn.swift"
        let word = try NSRegularExpression(pattern: "(?<![A-Za-z_])" + "Pro" + "cess(?![A-Za-z_])")
        var offenders: [String] = []
        var checked = 0
        for folder in ["Sources", "Tests", "Benchmarks"] {
            let files = FileManager.default.enumerator(atPath: "\(root)/\(folder)")?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") && "\(folder)/\(file)" != allowed {
                checked += 1
                let text = try String(contentsOfFile: "\(root)/\(folder)/\(file)", encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    guard !code.hasPrefix("//"), word.firstMatch(in: code, range: NSRange(code.startIndex..., in: code)) != nil else { continue }
                    offenders.append("\(folder)/\(file):\(number + 1)")
                }
            }
        }
        #expect(checked > 50)
        #expect(offenders.isEmpty, "Foundation's process type is used at \(offenders)")
    }
}
