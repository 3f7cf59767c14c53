import Foundation
import HangarCore
import HangarMachine

/// A project whose hangar.yml lives in a git repository: `<projects>/NAME/source.yml` says
/// `git: URL` and `branch: BRANCH` (default `main`).
///
/// The server keeps a clone in `<state>/sources/NAME`, fetched at most once a minute, whose branch
/// head is what the project page shows and what a manual trigger pins (`HANGAR_COMMIT`). Each run
/// gets its own checkout of its commit in its run folder, and its hangar.yml is read from there:
/// the file at the commit being tested.
struct GitSource: Sendable, Equatable {
    var url: String
    var branch: String
    /// The server's clone.
    var clone: String

    /// Reads `source.yml`.
    static func load(_ file: String, clone: String) throws(HangarError) -> GitSource {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw HangarError(.sourceRead, "cannot read \(file)") }
        let root = try YAMLValue.parse(text, file: (file as NSString).lastPathComponent)
        let fields = Dictionary(try root.entries(allowed: ["git", "branch"]).map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let url = try fields["git"]?.string() else { throw root.error("source.yml needs 'git:' (the repository's URL)") }
        return GitSource(url: url, branch: try fields["branch"]?.string() ?? "main", clone: clone)
    }

    /// Clones or fetches, then checks out the branch head; returns its commit.
    func update() async throws(HangarError) -> String {
        try await exclusively { () throws(HangarError) in
            if FileManager.default.fileExists(atPath: "\(clone)/.git") {
                try await git(["-C", clone, "fetch", "--quiet", "origin"])
            } else {
                try? FileManager.default.removeItem(atPath: clone)
                try await git(["clone", "--quiet", "--no-checkout", url, clone])
            }
            try await git(["-C", clone, "checkout", "--quiet", "--detach", "origin/\(branch)"])
            return try await git(["-C", clone, "rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// A checkout of `commit` at `folder` (sharing the clone's objects); fetches once if the commit is
    /// new: the branches, or `ref` (a pull request's head, which no branch holds). What a run's
    /// earlier attempt left there (a server killed mid-run) is replaced.
    func checkout(_ commit: String, ref: String? = nil, at folder: String) async throws(HangarError) {
        let refs = ref.map { $0.hasPrefix("refs/heads/") || $0.hasPrefix("refs/hangar/") ? [] : [$0] } ?? []
        try await exclusively { () throws(HangarError) in try await fetch(commit, refs: refs) }
        if FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.removeItem(atPath: folder)
            } catch {
                throw HangarError(.sourceGit, "cannot remove the checkout an earlier attempt left at \(folder): \(error)")
            }
        }
        try await git(["clone", "--quiet", "--shared", "--no-checkout", clone, folder])
        try await git(["-C", folder, "checkout", "--quiet", "--detach", commit])
    }

    /// Runs `body` while no other task or process changes the clone (a fetch, the gate's merges):
    /// git refuses two writers of one repository.
    func exclusively<T>(_ body: () async throws(HangarError) -> T) async throws(HangarError) -> T {
        let lock: FileLock
        do {
            try FileManager.default.createDirectory(atPath: (clone as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            lock = try await FileLock(path: "\(clone).lock")
        } catch {
            throw HangarError(.sourceGit, "cannot lock the clone \(clone): \(error)")
        }
        defer { withExtendedLifetime(lock) {} }
        return try await body()
    }

    /// Whether the clone has `commit`.
    func has(_ commit: String) async -> Bool { (try? await git(["-C", clone, "cat-file", "-e", "\(commit)^{commit}"])) != nil }

    /// Fetches `refs` from origin (all of its branches when none) unless the clone has `commit`.
    func fetch(_ commit: String, refs: [String] = []) async throws(HangarError) {
        guard await !has(commit) else { return }
        try await git(["-C", clone, "fetch", "--quiet", "origin"] + refs)
    }

    @discardableResult
    func git(_ arguments: [String], environment: [String: String] = [:]) async throws(HangarError) -> String {
        let result = try await Command.run(["git"] + arguments, environment: environment.merging(["GIT_TERMINAL_PROMPT": "0"]) { $1 })
        guard result.status == 0 else {
            // The subcommand: the first word that is neither an option nor -C's folder.
            let words = arguments.enumerated().filter { !$0.element.hasPrefix("-") && ($0.offset == 0 || arguments[$0.offset - 1] != "-C") }
            throw HangarError(
                .sourceGit,
                "git \(words.first?.element ?? "") failed for \(url): "
                    + result.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                hint: "check source.yml's 'git:' and 'branch:', and the commit"
            )
        }
        return result.stdout
    }
}

extension GitSource {
    /// hangar.yml as pull request head `commit` (fetched by `ref`) has it, when the request changed
    /// it (against where it left the branch); nil when it did not.
    func changedProjectFile(at commit: String, ref: String) async throws(HangarError) -> String? {
        try await exclusively { () throws(HangarError) in
            try await fetch(commit, refs: [ref])
            let diff = try await Command.run(
                ["git", "-C", clone, "diff", "--quiet", "origin/\(branch)...\(commit)", "--", "hangar.yml"],
                environment: ["GIT_TERMINAL_PROMPT": "0"]
            )
            switch diff.status {
            case 0: return nil
            case 1: return try await git(["-C", clone, "show", "\(commit):hangar.yml"])
            default: throw HangarError(.sourceGit, "git diff failed for \(url): \(diff.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }
}
