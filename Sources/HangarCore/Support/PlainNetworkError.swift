/// A network library's error in plain words: what a person can act on (`connection refused`, `the
/// host name does not resolve`), not the type dump the library prints (`SingleConnectionFailure(…)`).
/// Read from the error's own description, the only place some libraries put it.
public func plainNetworkError(_ error: any Error) -> String {
    let text = "\(error)"
    let lower = text.lowercased()
    let known: [(String, String)] = [
        ("connection refused", "connection refused (nothing listens there)"),
        ("connectiontimeout", "no answer within the time allowed"), ("timed out", "no answer within the time allowed"),
        ("no route to host", "no route to the host"), ("network is unreachable", "the network is unreachable"),
        ("name or service not known", "the host name does not resolve"), ("nodename nor servname", "the host name does not resolve"),
        ("temporary failure in name resolution", "the host name does not resolve now"),
        ("connection reset", "the connection was reset"), ("remoteconnectionclosed", "the other side closed the connection"),
        ("certificate", "its TLS certificate was not accepted"),
    ]
    if let (_, plain) = known.first(where: { lower.contains($0.0) }) { return plain }
    return String(text.prefix(300))
}
