import HangarAPI
import HangarCore
import HangarStore
import Hummingbird

/// A matrix job's group as a grid, as Cockpit's and openQA's overviews show a change's runs: a row
/// per value of the matrix's first parameter, a column per combination of the others (a cell's
/// name is its values' names joined by `/`), each cell its latest run; below, every run of the
/// group, its reruns and retries too. It reloads itself every 5 s until the group has ended.
struct GroupPage {
    struct Cell {
        var name: String
        var run: Int?
        var state: String
    }
    struct Row {
        var name: String
        var cells: [Cell]
    }

    var chrome: Chrome
    var id: Int
    var project: String
    var job: String
    var state: String
    var columns: [String]
    var rows: [Row]
    /// True when a cell's latest run ended badly: the page offers to rerun those.
    var rerunnable: Bool
    var list: RunList

    init(_ context: ServerContext, id: Int, runs: [StoredRun], latest: [StoredRun], now: Double) {
        let state = RunState.combined(latest.map(\.state))
        chrome = Chrome("Group #\(id)", context, refresh: state.isFinished ? nil : 5)
        self.id = id
        project = runs[0].project
        job = runs[0].job
        self.state = state.rawValue
        let split = latest.map { run -> (row: String, column: String, run: StoredRun) in
            let parts = (run.cell ?? "").split(separator: "/", maxSplits: 1).map(String.init)
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "", run)
        }
        let columns = split.map(\.column).uniqued()
        self.columns = columns
        rows = split.map(\.row).uniqued().map { row in
            Row(
                name: row,
                cells: columns.map { column in
                    let run = split.first { $0.row == row && $0.column == column }?.run
                    return Cell(name: run?.cell ?? "", run: run?.id, state: run?.state.rawValue ?? "")
                }
            )
        }
        rerunnable = latest.contains(where: \.state.endedWithoutPassing)
        list = RunList(runs, now: now)
    }

    static let template = """
        {{<layout}}{{$content}}
        <h1>Group #{{id}} · <a href="/projects/{{project}}">{{project}}</a> / {{job}} <span class="state {{state}}" id="state">{{state}}</span></h1>
        <div class="wide"><table id="grid"><tr><th></th>{{#columns}}<th>{{.}}</th>{{/columns}}</tr>
        {{#rows}}<tr><th>{{name}}</th>{{#cells}}<td>{{#run}}<a class="state {{state}}" href="/runs/{{run}}" title="{{name}}">{{state}}</a>{{/run}}</td>{{/cells}}</tr>{{/rows}}
        </table></div>
        {{#chrome.canOperate}}{{#rerunnable}}<p><form class="inline" method="post" action="/groups/{{id}}/rerun"><button id="rerun">Rerun the failed cells</button></form></p>{{/rerunnable}}{{/chrome.canOperate}}
        <h2>Runs</h2>{{#list}}{{>runTable}}{{/list}}
        {{/content}}{{/layout}}
        """
}

extension WebUI {
    func addGroupPages(to router: Router<ServerContext>) {
        router.page(.get, "groups/:id", table: table) { request, context in
            let id = try Self.groupID(request, context)
            let (runs, latest) = try await control.group(id)
            return try await render("group", GroupPage(context, id: id, runs: runs, latest: latest, now: store.now()))
        }
        router.page(.post, "groups/:id/rerun", table: table) { request, context in
            let id = try Self.groupID(request, context)
            _ = try await control.rerunFailedCells(of: id, by: context.caller ?? "the web UI")
            return Self.redirect("/groups/\(id)")
        }
    }

    private static func groupID(_ request: Request, _ context: ServerContext) throws -> Int {
        guard let id = try Inputs([Contract.groupID], request, context).integer(Contract.groupID.name) else {
            throw HTTPError(.badRequest, message: "no group id")
        }
        return id
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
