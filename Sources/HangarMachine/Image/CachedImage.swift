public import HangarCore

import struct Foundation.Date

/// An image ready to boot: a local file and what is known about it.
public struct CachedImage: Sendable, Codable, Hashable {
    /// Absolute path of the (decompressed) file.
    public var path: String
    /// sha256 of the bytes as downloaded (nil for `file:` images, which are used in place).
    public var sha256: String?
    /// Where it came from.
    public var source: ImageSource
    /// For an OBS image: the build it resolved to.
    public var build: OBSBuild?

    public init(path: String, sha256: String?, source: ImageSource, build: OBSBuild? = nil) {
        self.path = path
        self.sha256 = sha256
        self.source = source
        self.build = build
    }
}

/// What the cache remembers about a URL, for revalidation (`sources/<sha256 of url>.json`).
struct SourceRecord: Codable {
    var url: String
    var sha256: String
    var etag: String?
    var lastModified: String?
    var size: Int64
    var fetched: Date
}
