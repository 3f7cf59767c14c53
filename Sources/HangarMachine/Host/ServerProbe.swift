import Foundation

/// Says at once why nothing answers at an address, before an HTTP client would retry for its whole
/// timeout: the host name does not resolve, the connection is refused, or no answer in 3 s.
public enum ServerProbe {
    /// Why `host:port` does not take connections, or nil when something listens there.
    public static func problem(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, "\(port)", &hints, &found) == 0, let first = found else {
            return "the host name '\(host)' does not resolve"
        }
        defer { freeaddrinfo(found) }
        var last = "nothing answers"
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if fd >= 0 {
                // On Linux a connect gives up after the send timeout.
                var timeout = timeval(tv_sec: 3, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let connected = connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0
                let failure = errno
                close(fd)
                if connected { return nil }
                last = String(cString: strerror(failure)).lowercased()
            }
            next = address.pointee.ai_next
        }
        return last
    }

    /// Why the server of `url` (`http://host:port/…`) does not take connections, or nil when something
    /// listens there or the URL names no host. Asked before an HTTP request so that a server that is
    /// not there is said at once, not after the HTTP client's connection retries (10 s). The name
    /// lookup and the connect block for up to seconds, so they run on a thread of their own, not on
    /// one of the few threads async code runs on (a server's notifications ask this too).
    public static func problem(url: String) async -> String? {
        guard let url = URLComponents(string: url), let host = url.host else { return nil }
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        return await withCheckedContinuation { answer in
            DispatchQueue.global().async { answer.resume(returning: problem(host: host, port: port)) }
        }
    }
}
