/// An image built by the Open Build Service (a KIWI image build), named by its coordinates: the
/// newest one it built is found when the machine boots (`OBSResolver`), as kanku's OBSCheck does.
///
/// ```yaml
/// image:
///   obs:
///     project: devel:kanku:images
///     package: openSUSE-Leap-15.6-JeOS
///     repository: images_leap_15_6
///     arch: x86_64
///     # api: https://api.opensuse.org/public
///     # download: https://download.opensuse.org/repositories   (none: fetch from the API)
///     # prefer: qcow2          (when several kinds of image were built)
///     # credentials-env: OBS_CREDENTIALS   (user:password; else osc's own configuration)
/// ```
public struct OBSImage: Sendable, Hashable, Codable {
    public var project: String
    public var package: String
    public var repository: String
    public var arch: String
    /// The API's base URL (default: openSUSE's public one, which needs no login).
    public var api: String
    /// Where published repositories are downloaded from; nil: from the API (private projects).
    public var download: String?
    /// The kind of image to take when several were built (`qcow2`, `raw`, `vmdk`, `vdi`, `iso`, `box`).
    public var prefer: String?
    /// The server's environment variable holding `user:password` for the API; nil: osc's
    /// configuration (`~/.config/osc/oscrc`), else none.
    public var credentialsVariable: String?

    public static let defaultAPI = "https://api.opensuse.org/public"
    public static let defaultDownload = "https://download.opensuse.org/repositories"
    /// The kinds of image a machine boots, in the order taken when `prefer:` does not choose.
    public static let kinds = ["qcow2", "raw", "vmdk", "vdi", "iso", "box"]

    public init(
        project: String,
        package: String,
        repository: String,
        arch: String,
        api: String = OBSImage.defaultAPI,
        download: String? = OBSImage.defaultDownload,
        prefer: String? = nil,
        credentialsVariable: String? = nil
    ) {
        self.project = project
        self.package = package
        self.repository = repository
        self.arch = arch
        self.api = api
        self.download = download
        self.prefer = prefer
        self.credentialsVariable = credentialsVariable
    }

    /// `obs:PROJECT/PACKAGE (REPOSITORY/ARCH)`, for messages and the run page.
    public var displayName: String { "obs:\(project)/\(package) (\(repository)/\(arch))" }

    /// The web page of the package's build (`https://build.opensuse.org/package/show/P/PKG`) for
    /// openSUSE's API; the API's own package page otherwise.
    public var buildLink: String {
        let web = api.hasPrefix("https://api.opensuse.org") ? "https://build.opensuse.org" : api
        return "\(web)/package/show/\(project)/\(package)"
    }
}

/// The image an OBS build resolved to: the newest one its repository published.
public struct OBSBuild: Sendable, Hashable, Codable {
    /// The file's name in the binary list (`…-Build1.1.qcow2`).
    public var filename: String
    public var size: Int64
    /// When OBS built it (seconds since 1970).
    public var mtime: Int
    /// Where it is downloaded from.
    public var url: String
    /// The published `FILE.sha256` beside it, if downloads come from a published repository.
    public var checksumURL: String?
    /// The package's build page.
    public var link: String

    public init(filename: String, size: Int64, mtime: Int, url: String, checksumURL: String?, link: String) {
        self.filename = filename
        self.size = size
        self.mtime = mtime
        self.url = url
        self.checksumURL = checksumURL
        self.link = link
    }

    /// What `when: image-changed` compares, and what a run records: the file, its size and time.
    public var fingerprint: String { "\(filename) \(size)@\(mtime)" }
}
