import AsyncHTTPClient
public import Foundation
public import HangarCore
import NIOCore
import NIOHTTP1

/// Finds the newest image an Open Build Service package built, as kanku's OBSCheck does, over the
/// OBS API (documented at https://api.opensuse.org/apidocs/):
///
/// 1. `GET {api}/build/{project}/_result?package=…&repository=…&arch=…` must say the repository is
///    published and not dirty, and the package succeeded; otherwise the image is not ready yet
///    (`image.not-ready`: a run ends `skipped`, saying why, never `error`).
/// 2. `GET {api}/build/{project}/{repository}/{arch}/{package}` lists the binaries
///    (`<binarylist><binary filename size mtime/>`); the image is the one file of a kind a machine
///    boots (`OBSImage.kinds`, each optionally `.xz`; a Vagrant box only of the libvirt provider),
///    or of the kind `prefer:` names.
/// 3. It is downloaded from the published repository (`{download}/devel:/kanku:/images/REPO/FILE`:
///    each `:` becomes `:/`) and checked against the `FILE.sha256` published beside it; or, with
///    `download: none`, from `{api}/build/…/FILE` with the credentials.
///
/// Credentials (`credentialsVariable`, else osc's own configuration) go into an `Authorization`
/// header and nowhere else: no message, log or answer holds them.
public struct OBSResolver: Sendable {
    public let image: OBSImage
    /// `Basic …`, or nil for an anonymous API.
    let authorization: String?

    /// A resolver for `image`, with credentials from `environment` or osc's configuration.
    public init(_ image: OBSImage, environment: [String: String] = ProcessInfo.processInfo.environment) throws(HangarError) {
        self.image = image
        authorization = try OBSCredentials.authorization(for: image, environment: environment)
    }

    /// The newest image the package built, once its repository published it.
    public func resolve() async throws(HangarError) -> OBSBuild {
        let coordinates = "package=\(query(image.package))&repository=\(query(image.repository))&arch=\(query(image.arch))"
        let status = try await get("\(image.api)/build/\(path(image.project))/_result?\(coordinates)", what: "the build status")
        if let notReady = Self.notReady(status, image: image) {
            throw HangarError(.imageNotReady, "not ready yet: \(notReady)", hint: "the next build event or schedule tries again")
        }
        let list = try await get(
            "\(image.api)/build/\(path(image.project))/\(path(image.repository))/\(path(image.arch))/\(path(image.package))",
            what: "the list of built files"
        )
        let file = try Self.choose(list, image: image)
        let url: String
        var checksum: String?
        if let download = image.download {
            let folder = "\(download)/\(image.project.replacingOccurrences(of: ":", with: ":/"))/\(image.repository)"
            url = "\(folder)/\(file.filename)"
            checksum = "\(url).sha256"
        } else {
            url = "\(image.api)/build/\(path(image.project))/\(path(image.repository))/\(path(image.arch))/\(path(image.package))/\(file.filename)"
        }
        return OBSBuild(filename: file.filename, size: file.size, mtime: file.mtime, url: url, checksumURL: checksum, link: image.buildLink)
    }

    /// The sha256 published beside the image (`FILE.sha256`, maybe PGP-signed); nil when there is none.
    public func checksum(of build: OBSBuild) async throws(HangarError) -> String? {
        guard let url = build.checksumURL else { return nil }
        guard let text = try await fetch(url, what: "the image's checksum", missingIsNil: true) else { return nil }
        // "HASH  FILE" lines (`sha256sum`'s), inside a PGP-signed message or not.
        let sums = text.split(whereSeparator: \.isNewline).compactMap { line -> (hash: String, name: Substring)? in
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count == 2, fields[0].count == 64, fields[0].allSatisfy(\.isHexDigit) else { return nil }
            return (fields[0].lowercased(), fields[1].hasPrefix("*") ? fields[1].dropFirst() : fields[1])
        }
        return (sums.first { $0.name == build.filename } ?? (sums.count == 1 ? sums.first : nil))?.hash
    }

    /// The `Authorization` header for a download from the API (not for a published repository).
    public func downloadAuthorization(for build: OBSBuild) -> String? { build.checksumURL == nil ? authorization : nil }

    /// Why the repository's image is not ready, from `_result`; nil when it is.
    static func notReady(_ xml: String, image: OBSImage) -> String? {
        let elements = SimpleXML.elements(xml)
        guard let result = elements.first(where: { $0.name == "result" }) else {
            return "OBS reports no result for \(image.repository)/\(image.arch) of \(image.project)"
        }
        let state = result.attributes["state"] ?? result.attributes["code"] ?? "unknown"
        guard let status = elements.first(where: { $0.name == "status" && $0.attributes["package"] == image.package }) else {
            return "OBS reports no build of \(image.package) in \(image.project) \(image.repository)/\(image.arch)"
        }
        let build = status.attributes["code"] ?? "unknown"
        if build != "succeeded" { return "the last build of \(image.package) in \(image.project) is \(build)" }
        if result.attributes["dirty"] == "true" {
            return "repository \(image.repository) of \(image.project) is \(state) and dirty (being recalculated)"
        }
        if state != "published" { return "repository \(image.repository) of \(image.project) is \(state), not published yet" }
        return nil
    }

    /// The one bootable image in a binary list, by kind and `prefer:`.
    static func choose(_ xml: String, image: OBSImage) throws(HangarError) -> (filename: String, size: Int64, mtime: Int) {
        let binaries = SimpleXML.elements(xml).filter { $0.name == "binary" }.compactMap { element -> (String, Int64, Int)? in
            guard let name = element.attributes["filename"] else { return nil }
            return (name, Int64(element.attributes["size"] ?? "") ?? 0, Int(element.attributes["mtime"] ?? "") ?? 0)
        }
        guard !binaries.isEmpty else {
            throw HangarError(
                .imageObs,
                "OBS lists no built files for \(image.package) in \(image.project) \(image.repository)/\(image.arch)",
                hint: "check the coordinates under 'obs:', and that the package builds an image there"
            )
        }
        let images = binaries.compactMap { binary in kind(of: binary.0).map { (binary, $0) } }
        let wanted = image.prefer.map { kind in images.filter { $0.1 == kind } } ?? images
        guard wanted.count == 1, let (chosen, _) = wanted.first else {
            let names = images.map(\.0.0).joined(separator: ", ")
            if images.isEmpty {
                throw HangarError(
                    .imageObs,
                    "\(image.package) in \(image.project) built no image a machine boots (\(binaries.map(\.0).prefix(8).joined(separator: ", ")))",
                    hint: "Hangar boots \(OBSImage.kinds.joined(separator: ", ")) images (optionally .xz)"
                )
            }
            if wanted.isEmpty {
                throw HangarError(
                    .imageObs,
                    "\(image.package) in \(image.project) built no \(image.prefer ?? "") image, only \(names)",
                    hint: "change 'prefer:'"
                )
            }
            throw HangarError(
                .imageObs,
                "\(image.package) in \(image.project) built several images: \(names)",
                hint: "choose one kind with 'prefer:' (\(Set(wanted.map(\.1)).sorted().joined(separator: ", ")))"
            )
        }
        return chosen
    }

    /// The kind of image a file is, or nil for what is not an image (checksums, package lists, …).
    static func kind(of filename: String) -> String? {
        let name = filename.hasSuffix(".xz") ? String(filename.dropLast(3)) : filename
        if name.hasSuffix(".box") { return filename.contains("libvirt") && !filename.hasSuffix(".xz") ? "box" : nil }
        return OBSImage.kinds.first { name.hasSuffix(".\($0)") && $0 != "box" }
    }

    private func get(_ url: String, what: String) async throws(HangarError) -> String {
        guard let text = try await fetch(url, what: what, missingIsNil: false) else { return "" }
        guard text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<"), !text.lowercased().contains("<html") else {
            throw HangarError(
                .imageObs,
                "OBS at \(image.api) answered \(what) of \(image.project) with a web page or text, not XML",
                hint: "'api:' must be the API's address (such as \(OBSImage.defaultAPI)), not the web interface's"
            )
        }
        return text
    }

    private func fetch(_ url: String, what: String, missingIsNil: Bool) async throws(HangarError) -> String? {
        var request = HTTPClientRequest(url: url)
        if let authorization, url.hasPrefix(image.api) { request.headers.add(name: "Authorization", value: authorization) }
        request.headers.add(name: "User-Agent", value: "hangar")
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            body = try await response.body.collect(upTo: 32 << 20)
        } catch {
            throw HangarError(
                .imageUnreachable,
                "cannot reach OBS at \(image.api) for \(what) of \(image.project): \(error)",
                hint: "check 'api:' and the network"
            )
        }
        switch response.status.code {
        case 200: return String(buffer: body)
        case 404 where missingIsNil: return nil
        case 401, 403:
            throw HangarError(
                .imageObs,
                "OBS at \(image.api) refused \(what) of \(image.project) (\(response.status.code)): \(authorization == nil ? "it needs a login" : "the login was refused")",
                hint:
                    "for a private project, give credentials with 'credentials-env:' or osc's configuration (~/.config/osc/oscrc) on the host that runs the job"
            )
        case 404:
            throw HangarError(
                .imageObs,
                "OBS at \(image.api) knows no \(image.project) \(image.package) in \(image.repository)/\(image.arch) (404 for \(what))",
                hint: "check project, package, repository and arch under 'obs:'"
            )
        default:
            throw HangarError(.imageObs, "OBS at \(image.api) answered \(response.status.code) for \(what) of \(image.project)")
        }
    }

    private func path(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
    private func query(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
}
