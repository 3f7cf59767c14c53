import Foundation
import HangarCore
public import HummingbirdWSClient
public import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization

/// Bytes between a WebSocket and a byte stream (a TCP connection to a guest's forwarded port, a
/// local client of `hangar remote forward`, the standard input and output of `hangar remote
/// tunnel`), both ways. Memory stays bounded: each side is read only as fast as the other takes
/// what was read (NIO's and the WebSocket's back-pressure), so a stalled reader stalls its writer
/// instead of filling a buffer.
///
/// TCP's half-close crosses the tunnel: a side whose bytes ended sends an empty binary frame, and
/// the other end shuts its socket's output down once what it wrote is out. An end closes its
/// WebSocket when its bytes ended both ways; a WebSocket that closes or breaks ends the tunnel at
/// once on that side (the coordinator closes the other, saying why when the first was cut before
/// its bytes ended, in a text frame before the close: the only text a tunnel carries). An end keeps
/// reading its WebSocket to its close, so a close never resets a connection that still holds bytes.
public enum Tunnel {
    /// The largest WebSocket frame a tunnel sends or takes: 1 MiB.
    public static let maxFrameSize = 1 << 20

    /// A byte stream as NIO's async channel.
    public typealias Stream = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// A WebSocket's two halves.
    public typealias Socket = (inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter)

    /// How a direction of a tunnel ended.
    enum Ended: Sendable {
        /// The stream's bytes ended, and the WebSocket was told.
        case sent
        /// The WebSocket closed: after its side's bytes ended (`clean`), or cut before.
        case closed(clean: Bool)
    }

    /// Splices the WebSocket (`inbound`, `outbound`) with `stream`; `said` gets what the coordinator
    /// says when it cuts the tunnel.
    public static func splice(
        _ inbound: WebSocketInboundStream,
        _ outbound: WebSocketOutboundWriter,
        with stream: Stream,
        said: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        let ends = BothEnds()
        try await stream.executeThenClose { bytesIn, bytesOut in
            try await withThrowingTaskGroup(of: Ended.self) { group in
                group.addTask {
                    for try await buffer in bytesIn { try await outbound.writeBinaryMessage(buffer) }
                    try await outbound.write(.binary(ByteBuffer()))
                    if ends.oneEnded() { try? await outbound.close(.normalClosure, reason: nil) }
                    return .sent
                }
                group.addTask {
                    var ended = false
                    for try await frame in inbound where !ended {
                        if frame.opcode == .text {
                            said(String(buffer: frame.data))
                            continue
                        }
                        guard frame.data.readableBytes > 0 else {
                            ended = true
                            // What was written goes out before the output closes: a close drops
                            // writes still pending (a half-close too, once the input ended: it
                            // becomes a full one). An empty write completes after every one before it.
                            try? await stream.channel.writeAndFlush(ByteBuffer())
                            try? await stream.channel.close(mode: .output)
                            if ends.oneEnded() { try? await outbound.close(.normalClosure, reason: nil) }
                            continue
                        }
                        try await bytesOut.write(frame.data)
                    }
                    return .closed(clean: ended)
                }
                // The WebSocket's end is the tunnel's: nothing can cross it any more.
                while let ended = try await group.next() {
                    if case .closed = ended { break }
                }
                group.cancelAll()
            }
        }
    }

    /// Splices two WebSockets (the coordinator between a user's client and a worker), empty frames
    /// included. When one closes, the other is closed too — saying why (`aCut`, `bCut`) when the
    /// first was cut before its bytes ended — and read to its close.
    public static func splice(
        _ a: Socket,
        with b: Socket,
        aCut: String,
        bCut: String,
        clock: any Clock<Duration> = ContinuousClock()
    ) async throws {
        // Which side's WebSocket closed, and whether its bytes had ended; nil: the wait for the
        // second side's close ran out.
        try await withThrowingTaskGroup(of: (side: Int, clean: Bool)?.self) { group in
            group.addTask { (0, try await pump(a.inbound, to: b.outbound)) }
            group.addTask { (1, try await pump(b.inbound, to: a.outbound)) }
            guard let first = try await group.next(), let first else { return }
            let (other, reason) = first.side == 0 ? (b.outbound, aCut) : (a.outbound, bCut)
            if !first.clean { try? await other.write(.text(reason)) }
            try? await other.close(.normalClosure, reason: first.clean ? nil : reason)
            // The other side answers the close once it has written out what it got.
            group.addTask {
                try await clock.sleep(for: closeWait)
                return nil
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// How long the coordinator waits for a side to answer its close.
    static let closeWait: Duration = .seconds(30)

    /// Frames from `inbound` to `outbound`, to its close; true when its bytes ended first.
    private static func pump(_ inbound: WebSocketInboundStream, to outbound: WebSocketOutboundWriter) async throws -> Bool {
        var ended = false
        for try await frame in inbound where !ended {
            try await outbound.write(.binary(frame.data))
            ended = frame.data.readableBytes == 0
        }
        return ended
    }

    /// A TCP connection to `port` on this host's loopback.
    public static func connect(port: Int) async throws -> Stream {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port, channelInitializer: configure)
    }

    /// This process's standard input and output as one stream; they must be pipes, sockets or a
    /// terminal (as ssh's ProxyCommand gets), not files.
    public static func standardStreams() async throws -> Stream {
        for descriptor in [Int32(0), 1] {
            var status = stat()
            guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG,
                (status.st_mode & S_IFMT) != S_IFCHR || isatty(descriptor) == 1
            else {
                throw HangarError(
                    .workerTunnel,
                    "a tunnel's standard input and output must be pipes or a terminal, such as ssh's ProxyCommand gives it, not a file or /dev/null",
                    kind: .usage
                )
            }
        }
        return try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton).takingOwnershipOfDescriptors(
            input: 0,
            output: 1,
            channelInitializer: configure
        )
    }

    /// Options every tunnel socket takes: the peer's half-close ends its input only.
    public static func configure(_ channel: any Channel) -> EventLoopFuture<Stream> {
        channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).flatMapThrowing {
            try Stream(wrappingChannelSynchronously: channel)
        }
    }
}

/// Counts the directions of a tunnel that ended; the second closes its WebSocket.
final class BothEnds: Sendable {
    private let count = Mutex(0)

    /// One direction ended; true when it is the second.
    func oneEnded() -> Bool {
        count.withLock {
            $0 += 1
            return $0 == 2
        }
    }
}
