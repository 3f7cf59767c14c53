/// The web UI's Mustache templates. Every page extends `layout`; the UI works without JavaScript
/// except for the run page's live log (an EventSource on the API's live log).
enum Templates {
    static let all: [String: String] = [
        "layout": layout, "dashboard": dashboard, "runs": runs, "run": run, "project": project, "machines": machines, "login": login,
        "runTable": runTable, "moment": moment, "error": error, "signatures": signatures, "unclassified": unclassified, "flaky": flaky,
        "group": GroupPage.template, "queues": QueuesPage.template,
    ]

    static let signatures = """
        {{<layout}}{{$content}}
        <h1>Signatures</h1>
        <p class="muted">Known failures: each failed run is matched against them the moment it ends. Add them as YAML files in the
        server's <code>--signatures</code> folder or with <code>PUT /api/v1/signatures/NAME</code>. A signature that explained no run
        for {{staleDays}} days is marked stale.</p>
        {{#hasProblems}}<div class="error-box" id="signature-problems"><strong>Signature files that are wrong</strong> — each is left out
        (a file that was good before keeps its last good version) until it is fixed:<ul>
        {{#problems}}<li><code>{{file}}</code>: {{#location}}{{location}}: {{/location}}{{message}}{{#hint}}<br><span class="muted">hint: {{hint}}</span>{{/hint}}
        {{#lastGoodKept}} <span class="muted">(its last good version is in use)</span>{{/lastGoodKept}}</li>{{/problems}}</ul></div>{{/hasProblems}}
        <div class="wide"><table id="signatures"><tr><th>Signature</th><th>Kind</th><th>Pattern</th><th class="optional">Scope</th><th>Runs</th>
        <th class="optional">Last {{chartDays}} days</th><th>Last hit</th></tr>
        {{#rows}}<tr><td><strong>{{name}}</strong>{{#issue}}<br><a href="{{issue}}">{{issue}}</a>{{/issue}}<br><span class="muted">{{source}}</span></td>
        <td><span class="state">{{kind}}</span></td><td><code>{{pattern}}</code></td><td class="optional">{{scope}}</td><td>{{hits}}</td>
        <td class="optional"><div class="chart">{{#chart}}<span class="bar" style="height:{{height}}px" title="{{day}}: {{count}}"></span>{{/chart}}</div></td>
        <td>{{#lastHit}}{{>moment}}{{/lastHit}}{{^lastHit}}never{{/lastHit}}{{#stale}} <span class="state stale">stale</span>{{/stale}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="7" class="muted">no signatures yet</td></tr>{{/rows}}</table></div>
        {{#chrome.canOperate}}<h2>Add a signature</h2>
        {{#error}}<div class="error-box" id="error">{{error}}</div>{{/error}}
        {{#trial}}<p id="trial" class="{{#warn}}error-box{{/warn}}">It would explain {{failed}} of the {{checkedFailed}} failed runs of the last 14 days
        and matches {{passed}} of the {{checkedPassed}} passing runs{{#warn}}: a good signature matches almost no passing run — make the
        pattern more precise, or save anyway{{/warn}}.{{#runs}} <a href="/runs/{{.}}">#{{.}}</a>{{/runs}}</p>{{/trial}}
        {{#draft}}<form method="post" action="/signatures">
        <label>Name <input type="text" name="name" value="{{name}}" placeholder="mirror-down" required></label>
        <label>Kind <select name="kind">{{#kinds}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/kinds}}</select></label>
        <label>Pattern (a regular expression over the normalised log line) <input type="text" name="pattern" value="{{pattern}}" required></label>
        <label>Issue <input type="text" name="issue" value="{{issue}}" placeholder="https://…"></label>
        <label>Only in project <input type="text" name="project" value="{{project}}"></label>
        <label>Only in job <input type="text" name="job" value="{{job}}"></label>
        {{#trial.warn}}<label><input type="checkbox" name="confirm" value="yes"> save although it matches passing runs</label>{{/trial.warn}}
        <button name="action" value="dry-run" id="dry-run">Dry run</button> <button name="action" value="save" id="save">Save</button></form>{{/draft}}
        {{/chrome.canOperate}}
        {{/content}}{{/layout}}
        """

    static let flaky = """
        {{<layout}}{{$content}}
        <h1>Flaky tests</h1>
        <p class="muted">Tests that both passed and failed in the last 14 days in runs of one job with the same parameters — the same commit
        and image —, the most flips between passing and failing first.</p>
        <div class="wide"><table id="flaky"><tr><th>Test</th><th>Project / job</th><th>Flips</th><th>Failed</th><th>Last flaked in</th></tr>
        {{#tests}}<tr><td>{{name}}</td><td><a href="/projects/{{project}}">{{project}}</a> / {{job}}</td><td>{{flips}}</td>
        <td>{{failures}} of {{results}}</td><td><a href="/runs/{{lastRun}}">#{{lastRun}}</a></td></tr>{{/tests}}
        {{^tests}}<tr><td colspan="5" class="muted">no flaky tests</td></tr>{{/tests}}</table></div>
        {{/content}}{{/layout}}
        """

    static let unclassified = """
        {{<layout}}{{$content}}
        <h1>Unclassified failures</h1>
        <p class="muted">Runs that ended badly and that no signature explains: a new failure, or a known one without a signature yet.</p>
        <h2>Classified per day</h2><div class="wide"><table id="rate"><tr><th>Day (UTC)</th><th>Failed runs</th><th>Explained by a signature</th><th>Rate</th></tr>
        {{#days}}<tr><td>{{day}}</td><td>{{failed}}</td><td>{{classified}}</td><td>{{rate}}</td></tr>{{/days}}
        {{^days}}<tr><td colspan="4" class="muted">no failed runs in the last 14 days</td></tr>{{/days}}</table></div>
        <h2>Failed runs no signature explains</h2>{{#list}}{{>runTable}}{{/list}}
        {{/content}}{{/layout}}
        """

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{chrome.title}} · Hangar</title>{{#chrome.refresh}}<meta http-equiv="refresh" content="{{chrome.refresh}}">{{/chrome.refresh}}
        <style>
        body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
        header{background:#1d2430;color:#fff;padding:.6em 1.2em;display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center}
        header a{color:#cfe0ff;text-decoration:none} header .me{margin-left:auto;color:#9aa7b8}
        main{padding:1em 1.2em;max-width:72em} h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em}
        table{border-collapse:collapse;width:100%;background:#fff} td,th{padding:.35em .6em;border-bottom:1px solid #e3e6ea;text-align:left}
        .wide{overflow-x:auto;max-width:100%} td{overflow-wrap:anywhere} time{white-space:nowrap}
        input,select{box-sizing:border-box;max-width:100%}
        .history{display:flex;gap:2px;margin:.3em 0} .cell{display:inline-block;width:.8em;height:.8em;border-radius:2px}
        @media (max-width:600px){main{padding:.6em} td,th{padding:.3em .35em} .optional{display:none} input[type=text],input[type=password]{min-width:0;width:100%}}
        .state{white-space:nowrap;overflow-wrap:normal;font-weight:600;padding:.1em .5em;border-radius:.3em;background:#e3e6ea}
        .passed{background:#d3f5dc;color:#14612b} .failed,.error,.timed-out{background:#fbd9d9;color:#8a1c1c}
        .running{background:#d9e8fb;color:#1c4a8a} .shadow{background:#2b2f36;color:#d8dde4} .queued,.cancelled,.skipped,.stale,.unavailable{background:#eee;color:#555}
        pre{background:#11151c;color:#dfe6ee;padding:.8em;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;font-size:13px}
        .error-box{background:#fbd9d9;color:#8a1c1c;padding:.6em .8em;white-space:pre-wrap;font-family:monospace}
        form.inline{display:inline} label{display:block;margin:.3em 0} input[type=text],input[type=password]{padding:.25em;min-width:20em}
        .ln{display:inline-block;min-width:3.2em;margin-right:1em;text-align:right;color:#6b7684;text-decoration:none;user-select:none}
        .logtext{background:#11151c;color:#dfe6ee;padding:.8em;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.35 monospace}
        #log{max-height:none} .line.hl,.line:target{background:#4a4212} .known{background:#fff3cd;padding:.2em .8em}
        details.task{background:none;color:inherit} details.task>summary{cursor:pointer} details.task>summary .state{font:600 11px system-ui,sans-serif}
        .at{display:none;color:#7f848e;margin-right:.8em} #show-times:checked~#log .at{display:inline} label.inline{display:inline}
        .logbar{margin:.4em 0} #found .logtext{padding:.2em .8em}
        \(ANSI.css)

        .chart{display:flex;align-items:flex-end;gap:1px;height:20px} .bar{width:4px;background:#c9a227}
        button{padding:.3em .9em;cursor:pointer} .muted{color:#6b7684} code{background:#e9ecf0;padding:0 .25em}
        </style></head>
        <body><header><strong>Hangar</strong><a href="/">Dashboard</a><a href="/runs">History</a><a href="/machines">Machines</a><a href="/queues">Gate</a><a href="/unclassified">Unclassified</a><a href="/signatures">Signatures</a><a href="/flaky">Flaky</a>
        <span class="me">{{#chrome.signedIn}}{{chrome.role}} · <a href="/logout">sign out</a>{{/chrome.signedIn}}{{^chrome.signedIn}}<a href="/login">sign in</a>{{/chrome.signedIn}}</span></header>
        <main>{{$content}}{{/content}}</main></body></html>
        """

    static let runTable = """
        <div class="wide"><table><tr><th>Run</th><th>Project / job</th><th>State</th><th class="optional">Queued</th><th>Took</th><th class="optional"></th></tr>
        {{#rows}}<tr><td><a href="/runs/{{id}}">#{{id}}</a></td><td><a href="/projects/{{project}}">{{project}}</a> / {{job}}{{#cell}} <span class="muted">{{cell}}</span>{{/cell}}</td>
        <td><span class="state {{state}}">{{state}}</span>{{#shadow}} <span class="state shadow" title="a pull request's changed hangar.yml: no statuses, no notifications">shadow</span>{{/shadow}}</td><td class="optional">{{#queued}}{{>moment}}{{/queued}}</td><td>{{took}}</td>
        <td class="muted optional">{{cause}}{{#reason}}{{#cause}} · {{/cause}}{{reason}}{{/reason}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="6" class="muted">none</td></tr>{{/rows}}</table></div>
        """

    /// A moment: relative, with the exact time on hover.
    static let moment = """
        <time datetime="{{iso}}" title="{{exact}}">{{ago}}</time>
        """

    static let dashboard = """
        {{<layout}}{{$content}}
        <h1>Dashboard</h1>
        <h2>Running</h2>{{#running}}{{>runTable}}{{/running}}
        <h2>Queued</h2>{{#queued}}{{>runTable}}{{/queued}}
        <h2>Recent</h2>{{#recent}}{{>runTable}}{{/recent}}
        <h2>Projects</h2><div class="wide"><table><tr><th>Project</th><th>Jobs</th><th></th></tr>
        {{#projects}}<tr><td><a href="/projects/{{name}}">{{name}}</a></td><td>{{#jobs}}{{name}} {{/jobs}}</td>
        <td>{{#error}}<span class="state failed">configuration error</span>{{/error}}</td></tr>{{/projects}}
        {{^projects}}<tr><td colspan="3" class="muted">no projects: add a folder with a hangar.yml to the projects folder</td></tr>{{/projects}}</table></div>
        {{/content}}{{/layout}}
        """

    static let runs = """
        {{<layout}}{{$content}}
        <h1>History</h1>
        <form method="get" action="/runs">
        <select name="project"><option value="">any project</option>{{#projects}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/projects}}</select>
        <select name="job"><option value="">any job</option>{{#jobs}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/jobs}}</select>
        <select name="state"><option value="">any state</option>{{#states}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/states}}</select>
        <button>Filter</button></form><br>
        {{#list}}{{>runTable}}{{/list}}
        <p>{{#newer}}<a href="/runs?{{newer}}">← newer runs</a> {{/newer}}{{#older}}<a href="/runs?{{older}}">older runs →</a>{{/older}}</p>
        {{/content}}{{/layout}}
        """

    static let run = """
        {{<layout}}{{$content}}
        {{#run}}<h1>Run #{{id}} · <a href="/projects/{{project}}">{{project}}</a> / {{job}} <span class="state {{state}}" id="state">{{state}}</span></h1>
        <p class="muted">{{#cause}}{{cause}} · {{/cause}}{{#queued}}queued {{>moment}}{{/queued}}{{#started}} · started {{>moment}}{{/started}}{{#finished}} · finished {{>moment}}{{/finished}}{{#took}} · took {{took}}{{/took}}
        · attempt {{attempt}} of {{maxAttempts}}{{#group}} · cell <a href="/groups/{{group}}" id="group">{{cell}}</a>{{/group}}{{#image}} · image <code id="image">{{image}}</code>{{/image}}{{#failure}} · <span id="failure">{{failure}}</span>{{/failure}}{{#reason}} · {{reason}}{{/reason}}</p>{{/run}}
        {{#hasMatches}}<h2>Known issue</h2><div class="known" id="known">{{#matches}}<p><span class="state">{{kind}}</span> <strong>{{signature}}</strong>{{#issue}} · <a href="{{issue}}">{{issue}}</a>{{/issue}}
        · matched <a href="{{href}}">line {{line}}</a>: <code>{{text}}</code></p>{{/matches}}</div>{{/hasMatches}}
        {{#retriedAs}}<p id="retried">Retried automatically as <a href="/runs/{{.}}">#{{.}}</a>.</p>{{/retriedAs}}
        {{#hasParameters}}<h2>Parameters</h2><div class="wide"><table>{{#parameters}}<tr><td><code>{{name}}</code></td><td>{{value}}</td></tr>{{/parameters}}</table></div>{{/hasParameters}}
        {{#hasMeasurements}}<h2>Measurements</h2><div class="wide"><table id="measurements">{{#measurements}}<tr><td><code>{{name}}</code></td><td>{{value}}</td></tr>{{/measurements}}</table></div>{{/hasMeasurements}}
        {{#chrome.canOperate}}<p>{{#active}}<form class="inline" method="post" action="/runs/{{run.id}}/cancel"><button id="cancel">Cancel</button></form>{{/active}}
        {{#run.ended}}<form class="inline" method="post" action="/runs/{{run.id}}/retrigger"><button id="again">Run again</button></form>{{/run.ended}}</p>{{/chrome.canOperate}}
        {{#results}}<h2>Tests</h2><p id="tests">{{summary}} · <a href="/api/v1/runs/{{run.id}}/results">JSON</a> ·
        <a href="/api/v1/runs/{{run.id}}/results?format=kcidb">KCIDB</a></p>
        {{#problems}}<div class="error-box">cannot read test results: {{.}}</div>{{/problems}}
        <div class="wide"><table><tr><th>Test</th><th>Status</th><th>Took</th></tr>
        {{#tests}}<tr><td>{{name}}{{#hasHistory}}<div class="history">{{#history}}<a class="cell {{look}}" href="/runs/{{run}}" title="#{{run}}: {{status}}"></a>{{/history}}</div>{{/hasHistory}}{{#output}}<pre>{{output}}</pre>{{/output}}</td><td><span class="state {{look}}">{{status}}</span></td><td>{{duration}}</td></tr>{{/tests}}
        </table></div>{{/results}}
        <h2>Tasks</h2><div class="wide"><table><tr><th>#</th><th>Task</th><th>State</th><th>Took</th><th></th></tr>
        {{#tasks}}<tr><td>{{number}}</td><td>{{title}}</td><td><span class="state {{state}}">{{state}}</span></td><td>{{took}}</td><td class="muted">{{error}}</td></tr>{{/tasks}}
        {{^tasks}}<tr><td colspan="5" class="muted">not started</td></tr>{{/tasks}}</table></div>
        {{#hasArtifacts}}<h2>Artifacts</h2><ul>{{#artifacts}}<li><a href="{{href}}">{{name}}</a> <span class="muted">{{size}} bytes</span></li>{{/artifacts}}</ul>{{/hasArtifacts}}
        {{#log}}<h2>Log</h2>
        <form method="get" action="/runs/{{run}}" class="logbar"><input type="search" name="q" value="{{search}}" placeholder="Search the log">
        <button>Search</button> <a href="/api/v1/runs/{{run}}/log" download="run-{{run}}.log">raw log</a>
        {{#partial}} · lines {{first}}–{{last}} of {{total}}{{#earlier}} · <a href="/runs/{{run}}?from={{.}}">earlier</a>{{/earlier}}{{#later}} · <a href="/runs/{{run}}?from={{.}}">later</a>{{/later}}{{/partial}}</form>
        {{#search}}<div id="found"><p class="muted">Lines with “{{search}}”:{{^hasFound}} none{{/hasFound}}</p>
        {{#found}}<div class="logtext"><a class="ln" href="/runs/{{run}}?from={{number}}#L{{number}}">{{number}}</a>{{{html}}}</div>{{/found}}</div>{{/search}}
        <input type="checkbox" id="show-times"><label for="show-times" class="inline">timestamps</label>
        <div id="log" class="logtext">{{{html}}}</div>{{/log}}
        {{#follows}}<p class="muted" id="live">following the log live…</p>
        <script>
        const log = document.getElementById("log");
        let next = {{log.last}};
        const source = new EventSource("/api/v1/runs/{{run.id}}/log/live?from={{log.last}}");
        source.onmessage = (event) => {
          next += 1;
          const line = document.createElement("span");
          line.className = "line"; line.id = "L" + next;
          const number = document.createElement("a");
          number.className = "ln"; number.href = "#L" + next; number.textContent = next;
          line.append(number, event.data);
          log.append(line, "\\n");
        };
        source.addEventListener("end", (event) => { source.close(); location.reload(); });
        </script>{{/follows}}
        <script>
        // #L12 or #L12-L20: highlight the lines, unfold their task, and load the part of the log they are in.
        function showLines() {
          const range = /^#L(\\d+)(?:-L(\\d+))?$/.exec(location.hash);
          document.querySelectorAll("#log .hl").forEach((line) => line.classList.remove("hl"));
          if (!range) return;
          const first = Number(range[1]), last = Number(range[2] || range[1]);
          if (!document.getElementById("L" + first)) {
            if (first <= {{log.total}} && !location.search.includes("from=")) location.search = "?from=" + Math.max(1, first - 20);
            return;
          }
          for (let number = first; number <= Math.min(last, first + 5000); number++) {
            const line = document.getElementById("L" + number);
            if (!line) break;
            line.classList.add("hl");
            const task = line.closest("details");
            if (task) task.open = true;
          }
          document.getElementById("L" + first).scrollIntoView({ block: "center" });
        }
        window.addEventListener("hashchange", showLines);
        showLines();
        </script>
        {{/content}}{{/layout}}
        """

    static let project = """
        {{<layout}}{{$content}}
        <h1>Project {{name}}</h1>
        {{#error}}<h2>Configuration error</h2><div class="error-box">{{error}}</div>
        <p class="muted">The last version that loaded stays active until the file is fixed.</p>{{/error}}
        {{#jobs}}<h2>Job {{name}} <img src="{{badge}}" alt="status of {{name}}" style="vertical-align:middle"></h2>
        <p class="muted">{{runsOn}}{{#latest}} · last ended: <a href="/runs/{{id}}">#{{id}}</a> <span class="state {{state}}">{{state}}</span>{{#finished}} {{>moment}}{{/finished}}{{/latest}}
        · <a href="/runs?project={{project}}&amp;job={{name}}">history</a>{{#latestGroup}} · <a href="/groups/{{.}}">latest group #{{.}}</a>{{/latestGroup}} · badge: <code>{{badge}}</code></p>
        {{#recent}}{{>runTable}}{{/recent}}
        {{#hasTrends}}<h3>Measurements</h3><div class="wide"><table class="trends">{{#trends}}<tr><td><code>{{name}}</code>{{#cell}} <span class="muted">{{cell}}</span>{{/cell}}</td>
        <td>{{{svg}}}</td><td>{{latest}}</td><td>{{#moved}}<span class="state failed">{{moved}}</span>{{/moved}}</td></tr>{{/trends}}</table></div>{{/hasTrends}}
        {{#chrome.canOperate}}<form method="post" action="/projects/{{project}}/jobs/{{name}}/trigger">
        {{#parameters}}<label><code>{{name}}</code>{{#required}} (required){{/required}}
        <input type="text" name="{{name}}" value="{{defaultValue}}"{{#required}} required{{/required}}> <span class="muted">{{description}}</span></label>{{/parameters}}
        <p><button>Run {{name}}</button></p></form>{{/chrome.canOperate}}{{/jobs}}
        {{^jobs}}<p class="muted">no jobs</p>{{/jobs}}
        {{/content}}{{/layout}}
        """

    static let machines = """
        {{<layout}}{{$content}}
        <h1>Machines</h1>
        <div class="wide"><table><tr><th>Machine</th><th>State</th><th>Image</th><th>Ports</th><th>Log in</th></tr>
        {{#machines}}<tr><td>{{name}} <span class="muted">{{id}}</span></td><td><span class="state {{state}}">{{state}}</span></td><td>{{image}}</td>
        <td>{{#ports}}<a href="http://127.0.0.1:{{host}}/">{{host}}</a>→{{guest}} {{/ports}}</td><td><code>{{ssh}}</code></td></tr>{{/machines}}
        {{^machines}}<tr><td colspan="5" class="muted">no machines running</td></tr>{{/machines}}</table></div>
        <h2>Kept machines</h2>
        <p class="muted">Machines runs kept up after they ended (<code>keep:</code>, <code>hangar remote up</code>), on their worker;
        <code>hangar remote ssh RUN</code> and <code>hangar remote forward RUN LOCAL:PORT</code> reach them through this server, and their forwarded ports open here
        (<code>/machines/RUN/NAME/ports/PORT/</code>: their owner's and admins').</p>
        <div class="wide"><table id="kept"><tr><th>Run</th><th>Machines</th><th>Owner</th><th>Worker</th><th>State</th><th>Until</th><th></th></tr>
        {{#kept}}<tr><td><a href="/runs/{{run}}">#{{run}}</a> <span class="muted">{{job}}</span></td><td>{{machines}}{{#webPorts}}<br><a class="port" href="{{href}}">{{text}}</a>{{/webPorts}}</td>
        <td>{{owner}}</td><td>{{worker}}</td>
        <td><span class="state {{state}}">{{state}}</span></td><td>{{until}}{{#reason}}<br><span class="muted">{{reason}}</span>{{/reason}}
        {{#tunnels}}<br><span class="muted tunnel">tunnel: {{.}}</span>{{/tunnels}}</td>
        <td>{{#up}}{{#chrome.canOperate}}<form method="post" action="/kept/{{run}}/extend" class="inline"><button>+1 h</button></form>
        <form method="post" action="/kept/{{run}}/destroy" class="inline"><button>Destroy</button></form>{{/chrome.canOperate}}{{/up}}</td></tr>{{/kept}}
        {{^kept}}<tr><td colspan="7" class="muted">no kept machines</td></tr>{{/kept}}</table></div>
        <h2>Workers</h2>
        <div class="wide"><table id="workers"><tr><th>Worker</th><th>State</th><th>Labels</th><th>Slots</th><th>Load</th><th>Version</th><th>Last seen</th><th>Runs</th></tr>
        {{#workers}}<tr><td>{{name}}</td><td><span class="state {{state}}">{{state}}</span></td><td>{{labels}}</td><td>{{slots}}</td><td>{{load}}</td>
        <td>{{version}}</td><td>{{#lastSeen}}{{>moment}}{{/lastSeen}}</td><td>{{#runs}}<a href="/runs/{{.}}">#{{.}}</a> {{/runs}}</td></tr>{{/workers}}
        {{^workers}}<tr><td colspan="8" class="muted">no workers have been seen</td></tr>{{/workers}}</table></div>
        {{#bus}}<h2>Message bus</h2><p id="bus">{{.}}</p>{{/bus}}
        {{/content}}{{/layout}}
        """

    static let login = """
        {{<layout}}{{$content}}
        <h1>Sign in</h1>
        {{#message}}<div class="error-box">{{message}}</div>{{/message}}
        <form method="post" action="/login"><input type="hidden" name="next" value="{{next}}">
        <label>Token <input type="password" name="token" autofocus></label>
        <p class="muted">Create one on the server with <code>hangar token create --role operator</code>.</p>
        <button>Sign in</button></form>
        {{/content}}{{/layout}}
        """

    /// An error as a page: what went wrong, and the way back.
    static let error = """
        {{<layout}}{{$content}}
        <h1>{{heading}}</h1>
        <div class="error-box">{{message}}</div>
        <p><a href="/">Dashboard</a> · <a href="/runs">History</a></p>
        {{/content}}{{/layout}}
        """
}
