import Foundation
import HangarAPI
import HangarCore
import Hummingbird

/// An error answer with a code a program can act on (`run.stale`, `log.gap`, `worker.protocol`),
/// besides the message people read: `{"error": {"message": …, "code": …}}`.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: HangarError.Code
    var message: String

    /// The answer for `error` from the worker protocol: a refusal is 409 (nothing was applied), a
    /// log gap 400, an unknown run 404; anything else is not the worker's fault and stays as it is.
    static func worker(_ error: any Error) -> any Error {
        guard let error = error as? HangarError else { return error }
        switch error.code {
        case .runStale, .workerProtocol, .workerNameTaken, .workerReplaced:
            return APIError(status: .conflict, code: error.code, message: error.message)
        case .logGap, .runReport: return APIError(status: .badRequest, code: error.code, message: error.description)
        case .runUnknown: return APIError(status: .notFound, code: error.code, message: error.message)
        case .serverStopping: return APIError(status: .serviceUnavailable, code: error.code, message: error.message)
        default: return error
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(API.ErrorBody(message: message, code: code))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
