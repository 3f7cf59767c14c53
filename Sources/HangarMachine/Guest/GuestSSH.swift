public import Foundation
public import HangarCore

/// Talks to a machine's guest with the system OpenSSH client: a per-machine key, known_hosts and
/// ControlMaster, so any guest sshd works and every command after the first reuses one connection.
public struct GuestSSH: Sendable {
    /// The machine.
    public let record: MachineRecord
    /// What runs ssh (and the tar beside it).
    let processes: any ProcessRunner

    /// A client for `record`'s guest; `processes` runs its ssh (a scripted runner in tests).
    public init(_ record: MachineRecord, processes: any ProcessRunner = HostProcesses()) {
        self.record = record
        self.processes = processes
    }

    /// `ssh` and its options, up to and including the destination.
    public func baseArguments(tty: Bool = false, master: Bool = true) -> [String] {
        [
            "ssh", "-F", "/dev/null", "-i", record.identity, "-p", "\(record.sshPort)",
            "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new",
            "-o", "UserKnownHostsFile=\(record.folder)/known_hosts", "-o", "BatchMode=yes",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=3", "-o", "ServerAliveInterval=15",
            "-o", "ControlMaster=\(master ? "auto" : "no")", "-o", "ControlPath=\(record.folder)/ssh.ctl",
            "-o", "ControlPersist=120",
        ] + (tty ? ["-t"] : []) + ["\(record.sshUser)@127.0.0.1"]
    }

    /// The ssh command line a person can paste.
    public var commandLine: String {
        ShellQuote.join(Array(baseArguments().prefix(7)) + ["-o", "UserKnownHostsFile=\(record.folder)/known_hosts", "\(record.sshUser)@127.0.0.1"])
    }

    /// Runs a shell command in the guest.
    public func run(_ command: String, output: Command.Output = .capture, input: Data? = nil) async throws(HangarError) -> CommandResult {
        try await processes.run(baseArguments() + ["--", command], input: input, output: output)
    }

    /// Polls until a command succeeds over SSH: 100 ms apart at first, backing off to 500 ms.
    ///
    /// Fails as soon as QEMU exits, or when `timeout` passes, with the serial console's last lines;
    /// with a `watchdog`, also once that long has passed with nothing at all on the serial console
    /// (`machine.silent`: a stuck boot, worth one more try rather than the whole timeout). With
    /// `master`, the connection that answers stays open for the commands that follow (a restored
    /// guest answers its first try: it saves them a second handshake, about a second under TCG).
    public func waitUntilReachable(
        timeout: Duration,
        watchdog: Duration? = nil,
        master: Bool = false,
        qemuRunning: @Sendable () -> Bool
    ) async throws(HangarError) {
        let start = ContinuousClock.now
        let deadline = start + timeout
        let answered = try await Poll.until(every: .milliseconds(100), backingOffTo: .milliseconds(500)) { () throws(HangarError) -> Bool in
            let attempt = await withTimeLimit(.seconds(5)) {
                try? await processes.run(baseArguments(master: master) + ["--", "true"])
            }
            if case .finished(let result?) = attempt, result.status == 0 { return true }
            guard qemuRunning() else {
                let log = (try? String(contentsOfFile: record.qemuLog, encoding: .utf8)) ?? ""
                throw HangarError(
                    .machineExited,
                    "QEMU exited while the machine was booting: \(log.trimmingCharacters(in: .whitespacesAndNewlines))"
                        + SerialLog.tail(record.serialLog)
                )
            }
            if let panic = SerialLog.panic(record.serialLog) {
                throw HangarError(.machinePanic, "the guest's kernel panicked: \(panic)" + SerialLog.tail(record.serialLog))
            }
            if let watchdog, ContinuousClock.now - start >= watchdog, SerialLog.isEmpty(record.serialLog) {
                throw HangarError(
                    .machineSilent,
                    "the serial console printed nothing in \(DurationText.format(watchdog)) and the guest does not answer SSH",
                    hint: "if the image prints nothing on its serial console (ttyS0), set 'boot-watchdog: 0' on the machine"
                )
            }
            guard ContinuousClock.now < deadline else {
                throw HangarError(
                    .machineSshTimeout,
                    "the guest did not answer SSH on port \(record.sshPort) within \(DurationText.format(timeout))"
                        + SerialLog.tail(record.serialLog),
                    hint: "raise 'boot-timeout:' if the image is slow to boot; check that it runs sshd and accepts user '\(record.sshUser)'"
                )
            }
            return false
        }
        if !answered { throw HangarError(.runCancelled, "cancelled while waiting for SSH") }
    }

    /// Copies a host file or folder into the guest folder `destination` (tar over SSH: no scp or sftp needed).
    public func copyIn(_ source: String, to destination: String) async throws(HangarError) {
        let parent = (source as NSString).deletingLastPathComponent
        let name = (source as NSString).lastPathComponent
        let remote = "mkdir -p \(ShellQuote.quote(destination)) && tar -C \(ShellQuote.quote(destination)) -xf -"
        let pipeline = "tar -C \(ShellQuote.quote(parent)) -cf - \(ShellQuote.quote(name)) | \(ShellQuote.join(baseArguments() + ["--", remote]))"
        try await checked(["sh", "-c", pipeline], what: "copy \(source) into the guest")
    }

    /// Copies a guest file or folder into the host folder `destination`.
    public func copyOut(_ source: String, to destination: String) async throws(HangarError) {
        try? FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let parent = (source as NSString).deletingLastPathComponent
        let name = (source as NSString).lastPathComponent
        let remote = "tar -C \(ShellQuote.quote(parent.isEmpty ? "/" : parent)) -cf - \(ShellQuote.quote(name))"
        let pipeline = "\(ShellQuote.join(baseArguments() + ["--", remote])) | tar -C \(ShellQuote.quote(destination)) -xf -"
        try await checked(["bash", "-o", "pipefail", "-c", pipeline], what: "copy \(source) out of the guest")
    }

    /// Stops the ControlMaster process, if one runs.
    public func closeMaster() async {
        _ = try? await processes.run(["ssh", "-o", "ControlPath=\(record.folder)/ssh.ctl", "-O", "exit", "hangar-machine"])
    }

    private func checked(_ arguments: [String], what: String) async throws(HangarError) {
        let result = try await processes.run(arguments)
        guard result.status == 0 else {
            throw HangarError(.guestCopy, "cannot \(what): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}

/// Reading the serial console log.
public enum SerialLog {
    /// True when the guest has printed nothing yet.
    public static func isEmpty(_ path: String) -> Bool {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) == 0
    }

    /// The kernel's panic line, once the guest printed one (`Kernel panic - not syncing: …`): it
    /// will not answer SSH, so there is no point waiting for it.
    public static func panic(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let start = text.range(of: "Kernel panic - not syncing: ") else {
            return nil
        }
        return String(text[start.upperBound...].prefix { $0 != "\n" && $0 != "\r" })
    }

    /// The last lines of the log as a message suffix, without terminal escape sequences.
    public static func tail(_ path: String, lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return "\n(the serial console printed nothing)" }
        let clean = text.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
        let last = clean.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines)
        return "\nlast serial console lines:\n" + last.map { "  | \($0)" }.joined(separator: "\n")
    }
}
