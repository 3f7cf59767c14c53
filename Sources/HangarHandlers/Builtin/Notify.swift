import Foundation
public import HangarCore
import HangarMachine

/// `notify`: posts a message to a webhook, from the coordinator (`Placement.coordinator`): workers
/// need no route to it, and a run that repeats a task on another worker does not post twice. The
/// body is `{"text": message}`, which Slack, Mattermost and Matrix hook receivers take as it is.
/// `${NAME}` in the URL and the message is a run parameter (`HANGAR_RUN_ID` in server mode).
public struct Notify: Handler {
    public static let name = "notify"
    public static let summary = "Post a message to a webhook, from the coordinator."
    public static let options = [
        OptionDoc("url", "text", default: nil, "The webhook's URL; ${NAME} is a run parameter."),
        OptionDoc("message", "text", default: nil, "The text posted as {\"text\": ...}; ${NAME} is a run parameter."),
    ]
    public static var needsMachine: Bool { false }
    public static var placement: Placement { .coordinator }

    let url: String
    let message: String

    public init(options: OptionReader) throws(HangarError) {
        url = try options.required("url")
        message = try options.required("message")
    }

    public func execute(_ context: TaskContext) async throws(HangarError) {
        let url = try url.expandingParameters(context.parameters)
        let text = try message.expandingParameters(context.parameters)
        guard let body = try? JSONEncoder().encode(["text": text]) else { throw HangarError(.notifyBody, "cannot write the message as JSON") }
        try await Webhook.post(String(decoding: body, as: UTF8.self), to: url)
        context.emit(.output("posted to \(url)", isError: false))
    }
}
