import Foundation
import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// The gate's status page (Zuul's): each gated project's queue, head first; each change with its
/// state, what it is tested on top of, its runs and when it should be done. It reloads itself every 5 s.
struct QueuesPage {
    struct Item {
        var change: String
        var commit: String
        var state: String
        var base: String
        var runs: [API.QueueRun]
        var eta: String?
    }
    struct Queue {
        var project: String
        var pipeline: String
        var branch: String
        var window: Int
        var items: [Item]
        var empty: Bool
    }

    var chrome: Chrome
    var queues: [Queue]
    var none: Bool

    init(_ context: ServerContext, queues: [API.Queue], now: Double) {
        chrome = Chrome("Gate", context, refresh: 5)
        self.queues = queues.map { queue in
            Queue(
                project: queue.project,
                pipeline: queue.pipeline,
                branch: queue.branch,
                window: queue.window,
                items: queue.items.map { item in
                    Item(
                        change: item.change,
                        commit: String(item.commit.prefix(10)),
                        state: item.state,
                        base: item.base.isEmpty ? "the branch" : item.base.joined(separator: " + "),
                        runs: item.runs,
                        eta: item.eta.map { "in \(Int(max(0, $0 - now) / 60)) min" }
                    )
                },
                empty: queue.items.isEmpty
            )
        }
        none = queues.isEmpty
    }

    static let template = """
        {{<layout}}{{$content}}
        <h1>Gate</h1>
        {{#none}}<p class="muted">No project has a gate: a pipeline with <code>on: approved</code> in a git project's hangar.yml makes one.</p>{{/none}}
        {{#queues}}<h2><a href="/projects/{{project}}">{{project}}</a> · {{pipeline}} → {{branch}} <span class="muted">(window {{window}})</span></h2>
        {{#empty}}<p class="muted">Nothing is queued.</p>{{/empty}}
        {{^empty}}<div class="wide"><table class="queue"><tr><th>Change</th><th>State</th><th>Tested on</th><th>Runs</th><th>Done</th></tr>
        {{#items}}<tr><td>{{change}} <span class="muted">{{commit}}</span></td><td><span class="state {{state}}">{{state}}</span></td><td>{{base}}</td>
        <td>{{#runs}}<a class="state {{state}}" href="/runs/{{id}}" title="run #{{id}}">{{job}}</a> {{/runs}}</td><td>{{eta}}</td></tr>{{/items}}
        </table></div>{{/empty}}{{/queues}}
        {{/content}}{{/layout}}
        """
}

extension WebUI {
    func addQueuePages(to router: Router<ServerContext>) {
        router.page(.get, "queues", table: table) { _, context in
            try await render("queues", QueuesPage(context, queues: try await GateRoutes.queues(store, catalog), now: store.now()))
        }
    }
}
