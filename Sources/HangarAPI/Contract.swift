public import HangarCore

/// Every operation of the server but its web pages: the REST API, the probes and the webhooks.
public enum Contract {
    // The parameters, shared by the operations (and the web pages) that take them.
    public static let runID = Endpoint.Parameter("id", in: .path, .integer(Limits.ids), "The run's id.")
    public static let project = Endpoint.Parameter("project", in: .path, .string(maxLength: Limits.nameLength), "The project's name.")
    public static let job = Endpoint.Parameter("job", in: .path, .string(maxLength: Limits.nameLength), "The job's name.")
    public static let from = Endpoint.Parameter("from", in: .query, .integer(Limits.lines), "The first line to send (0-based); default 0.")
    public static let artifactPath = Endpoint.Parameter("path", in: .path, .string(maxLength: Limits.artifactPathLength), "The file's path.")
    public static let lastEventID = Endpoint.Parameter(
        "Last-Event-ID",
        in: .header,
        .integer(Limits.lines),
        "The last line a reconnecting client received; it resumes after it."
    )

    public static let health = Endpoint(
        "health",
        .get,
        "/healthz",
        "Liveness: the process answers.",
        access: .open,
        responses: [.init(200, "`ok`", .text)]
    )
    public static let ready = Endpoint(
        "ready",
        .get,
        "/readyz",
        "Readiness: the database answers.",
        access: .open,
        responses: [.init(200, "`ready`", .text), .init(503, "The database does not answer.", .text)]
    )
    public static let metrics = Endpoint(
        "metrics",
        .get,
        "/metrics",
        "Prometheus metrics (text exposition format).",
        access: .open,
        responses: [.init(200, "The metrics.", .text)]
    )
    public static let document = Endpoint(
        "openapi",
        .get,
        "/api/v1/openapi.json",
        "This document.",
        access: .open,
        responses: [.init(200, "The OpenAPI document.", .json(.anyObject))]
    )

    public static let listRuns = Endpoint(
        "listRuns",
        .get,
        "/api/v1/runs",
        "Runs, newest first; page with `before` (the last id seen).",
        access: .role(.viewer),
        parameters: [
            .init("state", in: .query, .string(choices: RunState.allCases.map(\.rawValue)), "Only runs in this state."),
            .init("project", in: .query, .string(maxLength: Limits.nameLength), "Only this project's runs."),
            .init("job", in: .query, .string(maxLength: Limits.nameLength), "Only this job's runs."),
            .init("trigger", in: .query, .string(choices: RunTrigger.allCases.map(\.rawValue)), "Only runs started this way."),
            .init("before", in: .query, .integer(Limits.ids), "Only runs with a smaller id (the last id of the previous page)."),
            .init("after", in: .query, .integer(Limits.ids), "Only runs with a larger id (the first id of the next page): the page of newer runs."),
            .init("limit", in: .query, .integer(Limits.pageSize), "How many; default 50."),
        ],
        responses: [.init(200, "The runs.", .json(.array(API.Run.reference)))]
    )
    public static let trigger = Endpoint(
        "triggerRun",
        .post,
        "/api/v1/projects/{project}/jobs/{job}/runs",
        "Queue a run. 400 names an unknown or a missing parameter; 404 an unknown project or job.",
        access: .role(.operator),
        parameters: [project, job],
        body: (API.TriggerRequest.reference, false),
        responses: [.init(201, "The queued run.", .json(API.Run.reference))]
    )
    public static let getRun = Endpoint(
        "getRun",
        .get,
        "/api/v1/runs/{id}",
        "A run with its tasks.",
        access: .role(.viewer),
        parameters: [runID],
        responses: [.init(200, "The run.", .json(API.RunDetail.reference))]
    )
    public static let groupID = Endpoint.Parameter("id", in: .path, .integer(Limits.ids), "The group's id (its first run's).")
    public static let getGroup = Endpoint(
        "getGroup",
        .get,
        "/api/v1/groups/{id}",
        "The runs one trigger of a matrix job queued, one per cell, with their worst outcome so far.",
        access: .role(.viewer),
        parameters: [groupID],
        responses: [.init(200, "The group.", .json(API.Group.reference))]
    )
    public static let rerunGroup = Endpoint(
        "rerunGroup",
        .post,
        "/api/v1/groups/{id}/rerun",
        "Queue again, in the group, every cell whose latest run failed, erred, timed out or was cancelled.",
        access: .role(.operator),
        parameters: [groupID],
        responses: [
            .init(201, "The group with its new runs.", .json(API.Group.reference)),
            .init(409, "No cell ended badly.", .json(API.ErrorBody.reference)),
        ]
    )
    public static let cancel = Endpoint(
        "cancelRun",
        .post,
        "/api/v1/runs/{id}/cancel",
        "Cancel a queued or running run; a running one still destroys its machines.",
        access: .role(.operator),
        parameters: [runID],
        responses: [
            .init(202, "Cancelling.", .json(API.Run.reference)),
            .init(409, "The run has already ended.", .json(API.ErrorBody.reference)),
        ]
    )
    public static let retrigger = Endpoint(
        "retriggerRun",
        .post,
        "/api/v1/runs/{id}/retrigger",
        "Queue the same job with the same parameters.",
        access: .role(.operator),
        parameters: [runID],
        responses: [.init(201, "The new run.", .json(API.Run.reference))]
    )
    public static let log = Endpoint(
        "getLog",
        .get,
        "/api/v1/runs/{id}/log",
        "The whole log as text, from line `from` on (sent as it is read, so a log of any length can be downloaded).",
        access: .role(.viewer),
        parameters: [runID, from],
        responses: [.init(200, "The lines, each ending in a newline.", .text)]
    )
    public static let liveLog = Endpoint(
        "followLog",
        .get,
        "/api/v1/runs/{id}/log/live",
        "The log as Server-Sent Events: each line an event whose id is its line number, then `event: end` with the run's state once it has ended and every line was sent.",
        access: .role(.viewer),
        parameters: [runID, from, lastEventID],
        responses: [.init(200, "The event stream.", .events)]
    )
    public static let artifacts = Endpoint(
        "listArtifacts",
        .get,
        "/api/v1/runs/{id}/artifacts",
        "The files the run collected.",
        access: .role(.viewer),
        parameters: [runID],
        responses: [.init(200, "The files.", .json(.array(API.Artifact.reference)))]
    )
    public static let artifact = Endpoint(
        "getArtifact",
        .get,
        "/api/v1/runs/{id}/artifacts/{path}",
        "One collected file. `path` is its path under the artifacts folder (`/` between folders, never `..`).",
        access: .role(.viewer),
        parameters: [runID, artifactPath],
        responses: [.init(200, "The file: UTF-8 text as text/plain, so a browser shows it; anything else as bytes.", .file)]
    )
    public static let results = Endpoint(
        "getResults",
        .get,
        "/api/v1/runs/{id}/results",
        "The run's test results, as its `collect` tasks with `format: junit` or `tap` read them: tests per status, the tests with the failing ones first, and the results files that could not be read. `format=kcidb` gives them in KCIDB's submission shape.",
        access: .role(.viewer),
        parameters: [runID, .init("format", in: .query, .string(choices: ["hangar", "kcidb"]), "hangar (the default) or kcidb.")],
        responses: [
            .init(
                200,
                "The results.",
                .json(
                    .oneOf(
                        [
                            API.Results.reference,
                            .object(
                                ["version": .anyObject, "checkouts": .array(.anyObject), "builds": .array(.anyObject), "tests": .array(.anyObject)],
                                required: ["version", "checkouts", "builds", "tests"]
                            ),
                        ],
                        "the results, or with format=kcidb a KCIDB submission"
                    )
                )
            )
        ]
    )
    public static let notifications = Endpoint(
        "listNotifications",
        .get,
        "/api/v1/runs/{id}/notifications",
        "What the run's end told its project's `notify:` webhook and e-mail addresses, and how delivery went.",
        access: .role(.viewer),
        parameters: [runID],
        responses: [.init(200, "The notifications, in the order they were queued.", .json(.array(API.Notification.reference)))]
    )
    public static let flakyTests = Endpoint(
        "listFlakyTests",
        .get,
        "/api/v1/tests/flaky",
        "Tests that both passed and failed in runs of one job with the same parameters (the same commit and image), the most flips between passing and failing first.",
        access: .role(.viewer),
        parameters: [.init("days", in: .query, .integer(1...365), "How many days back; default 14.")],
        responses: [.init(200, "The flaky tests.", .json(.array(API.FlakyTest.reference)))]
    )
    public static let signatureName = Endpoint.Parameter(
        "name",
        in: .path,
        .string(maxLength: 100, pattern: "^[A-Za-z0-9_-][A-Za-z0-9._-]*$"),
        "The signature's name: letters, digits, '.', '_' and '-'."
    )
    public static let signatures = Endpoint(
        "listSignatures",
        .get,
        "/api/v1/signatures",
        "Known-issue signatures, with how many failed runs each explains and when it last matched, and the files of the server's signatures folder that are wrong (with file:line:column; a wrong file's last good version stays in use until it is fixed).",
        access: .role(.viewer),
        responses: [.init(200, "The signatures and the problems.", .json(API.Signatures.reference))]
    )
    public static let saveSignature = Endpoint(
        "saveSignature",
        .put,
        "/api/v1/signatures/{name}",
        "Add or replace a signature, then classify the failed runs of the last 14 days against it. 400 names a pattern that does not compile, with the character; 409 for a signature from the server's signatures folder (change its file).",
        access: .role(.operator),
        parameters: [signatureName],
        body: (API.SignatureRequest.reference, true),
        responses: [
            .init(200, "Saved, with the runs it matches now.", .json(API.SignatureSaved.reference)),
            .init(409, "The signature comes from a file.", .json(API.ErrorBody.reference)),
        ]
    )
    public static let deleteSignature = Endpoint(
        "deleteSignature",
        .delete,
        "/api/v1/signatures/{name}",
        "Remove a signature; the runs it explained lose that match. 409 for a signature from the server's signatures folder.",
        access: .role(.operator),
        parameters: [signatureName],
        responses: [.init(204, "Removed."), .init(409, "The signature comes from a file.", .json(API.ErrorBody.reference))]
    )
    public static let dryRunSignature = Endpoint(
        "dryRunSignature",
        .post,
        "/api/v1/signatures/{name}/dry-run",
        "Try a draft signature over the runs of the last 14 days that ended, storing nothing: the failed runs it would explain and the passing runs it matches. 400 names a pattern that does not compile.",
        access: .role(.viewer),
        parameters: [signatureName],
        body: (API.SignatureRequest.reference, true),
        responses: [.init(200, "What it would match.", .json(API.DryRun.reference))]
    )
    public static let projects = Endpoint(
        "listProjects",
        .get,
        "/api/v1/projects",
        "Projects with their jobs, parameters and configuration errors.",
        access: .role(.viewer),
        responses: [.init(200, "The projects.", .json(.array(API.Project.reference)))]
    )
    public static let getProject = Endpoint(
        "getProject",
        .get,
        "/api/v1/projects/{project}",
        "One project.",
        access: .role(.viewer),
        parameters: [project],
        responses: [.init(200, "The project.", .json(API.Project.reference))]
    )
    public static let machines = Endpoint(
        "listMachines",
        .get,
        "/api/v1/machines",
        "Machines on the server's host, with forwarded ports and the ssh command.",
        access: .role(.viewer),
        responses: [.init(200, "The machines.", .json(.array(API.Machine.reference)))]
    )
    public static let kept = Endpoint(
        "listKept",
        .get,
        "/api/v1/kept",
        "Machines that runs kept up after they ended (`keep:`), with their worker, owner and expiry; the destroyed ones of the last day too.",
        access: .role(.viewer),
        responses: [.init(200, "The kept machines, by run.", .json(.array(API.Kept.reference)))]
    )
    public static let queues = Endpoint(
        "listQueues",
        .get,
        "/api/v1/queues",
        "The gate's queues (`on: approved` pipelines), one per gated project: each change head first, with its state, the changes it is tested on top of, its testing's runs and an ETA from its jobs' past durations.",
        access: .role(.viewer),
        responses: [.init(200, "The queues.", .json(.array(API.Queue.reference)))]
    )
    public static let extendKept = Endpoint(
        "extendKept",
        .post,
        "/api/v1/kept/{id}/extend",
        "Keep run `id`'s machines `seconds` from now (a week at most). Operators extend their own (403 for another's; 404 when the run kept none); admins any.",
        access: .role(.operator),
        parameters: [runID],
        body: (API.ExtendRequest.reference, true),
        responses: [
            .init(200, "Extended.", .json(API.Kept.reference)),
            .init(409, "They were destroyed.", .json(API.ErrorBody.reference)),
        ]
    )
    public static let destroyKept = Endpoint(
        "destroyKept",
        .delete,
        "/api/v1/kept/{id}",
        "Destroy run `id`'s kept machines now (their worker does at its next heartbeat). Operators destroy their own (403 for another's; 404 when the run kept none); admins any.",
        access: .role(.operator),
        parameters: [runID],
        responses: [
            .init(200, "Destroyed.", .json(API.Kept.reference)),
            .init(409, "They were destroyed before.", .json(API.ErrorBody.reference)),
        ]
    )
    public static let machineName = Endpoint.Parameter("name", in: .path, .string(maxLength: Limits.nameLength), "The machine's name in hangar.yml.")
    public static let guestPort = Endpoint.Parameter("port", in: .path, .integer(1...65535), "A port in the guest: 22, or one the machine forwards.")
    public static let tunnel = Endpoint(
        "openTunnel",
        .get,
        "/api/v1/runs/{id}/machines/{name}/ports/{port}/tunnel",
        "A WebSocket (ask with `Upgrade: websocket`) carrying a TCP connection to `port` in run `id`'s kept machine `name`, through the coordinator and the machine's worker (which dials back: it needs no inbound port): binary frames both ways; closing either end closes it. Operators open tunnels to their own kept machines (403 for another's), admins to any; each one is recorded. 404: the run keeps no such machine; 409: they were destroyed; 400: a port the machine does not forward.",
        access: .role(.operator),
        parameters: [runID, machineName, guestPort],
        responses: [.init(101, "Switching to the WebSocket."), .init(409, "The machines were destroyed.", .json(API.ErrorBody.reference))]
    )
    public static let tunnelID = Endpoint.Parameter(
        "tunnel",
        in: .path,
        .string(maxLength: 100, pattern: "^[A-Za-z0-9-]+$"),
        "The tunnel's id, from a heartbeat's answer."
    )
    public static let dialTunnel = Endpoint(
        "dialTunnel",
        .get,
        "/api/v1/workers/tunnels/{tunnel}",
        "A worker's end of a tunnel its heartbeat's answer asked it to open (a WebSocket, like `openTunnel`'s).",
        access: .role(.worker),
        parameters: [tunnelID, workerName],
        responses: [.init(101, "Switching to the WebSocket.")]
    )
    public static let tokens = Endpoint(
        "listTokens",
        .get,
        "/api/v1/tokens",
        "Tokens (never their secrets).",
        access: .role(.admin),
        responses: [.init(200, "The tokens.", .json(.array(API.Token.reference)))]
    )
    public static let createToken = Endpoint(
        "createToken",
        .post,
        "/api/v1/tokens",
        "Create a token; its secret is in this answer only.",
        access: .role(.admin),
        body: (API.TokenRequest.reference, true),
        responses: [.init(201, "The token with its secret.", .json(API.NewToken.reference))]
    )
    public static let webhook = Endpoint(
        "webhook",
        .post,
        "/hooks/{forge}/{project}",
        "A forge's push or pull/merge request, verified with the project's webhook secret (GitHub and Gitea: HMAC signature; GitLab: token), as JSON or (GitHub) form-encoded. Only a delivery that queued runs is remembered: its resend starts nothing; a delivery without an id (older GitLab) is told apart by its event, ref and commit within an hour.",
        access: .webhook,
        parameters: [.init("forge", in: .path, .string(choices: ["github", "gitlab", "gitea"]), "The forge."), project],
        rawBody: .init(
            limit: Limits.webhookBytes,
            media: ["application/json": .anyObject, "application/x-www-form-urlencoded": .object(["payload": .string()], required: ["payload"])]
        ),
        responses: [
            .init(200, "Nothing to run, or a delivery seen before.", .json(API.WebhookAnswer.reference)),
            .init(201, "Runs were queued.", .json(API.WebhookAnswer.reference)),
            .init(401, "The delivery is not signed with the project's secret.", .json(API.ErrorBody.reference)),
            .init(
                422,
                "The delivery is for another repository than the project's `forge.repository`: nothing was started.",
                .json(API.ErrorBody.reference)
            ),
            .init(503, "The server has no webhook secret for the project.", .json(API.ErrorBody.reference)),
        ]
    )

    // The worker protocol: `hangar worker` (and the embedded worker, in-process) takes runs and
    // reports on them. Every request names the worker in the `Hangar-Worker` header; writes for an
    // attempt the worker no longer holds are refused with 409 and never applied.
    public static let workerName = Endpoint.Parameter(
        "Hangar-Worker",
        in: .header,
        .string(maxLength: Limits.nameLength, pattern: "^[A-Za-z0-9._:-]+$"),
        required: true,
        "The worker's name (it holds its runs under it)."
    )
    public static let attempt = Endpoint.Parameter("attempt", in: .path, .integer(1...Limits.largestNumber), "The attempt the worker holds.")
    static let stale = Endpoint.Response(
        409,
        "The worker does not hold this attempt (any more): nothing was applied.",
        .json(API.ErrorBody.reference)
    )
    static let mismatch = Endpoint.Response(
        409,
        "The worker speaks a protocol this server does not (`worker.protocol`), or another worker took its name (`worker.replaced`).",
        .json(API.ErrorBody.reference)
    )

    public static let registerWorker = Endpoint(
        "registerWorker",
        .post,
        "/api/v1/workers/register",
        "A worker says what it is. 409 when it speaks a protocol this server does not, or when another instance that is online holds its name (`worker.name-taken`): a name is one worker's.",
        access: .role(.worker),
        body: (API.WorkerStatus.reference, true),
        responses: [.init(200, "Registered.", .json(API.WorkerStatus.reference)), mismatch]
    )
    public static let leaveWorker = Endpoint(
        "leaveWorker",
        .post,
        "/api/v1/workers/leave",
        "A worker stops gracefully: it is offline at once.",
        access: .role(.worker),
        body: (API.WorkerStatus.reference, true),
        responses: [.init(204, "Offline."), mismatch]
    )
    public static let claim = Endpoint(
        "claimRun",
        .post,
        "/api/v1/workers/claim",
        "Waits up to `wait` seconds for a run this worker can take, and hands it over.",
        access: .role(.worker),
        parameters: [.init("wait", in: .query, .integer(Limits.claimWait), "Seconds to wait for a run; default 30.")],
        body: (API.WorkerStatus.reference, true),
        responses: [
            .init(200, "A run, held by this worker now.", .json(API.Assignment.reference)), .init(204, "No run came."), mismatch,
            .init(503, "The coordinator is stopping (`server.stopping`): ask again later.", .json(API.ErrorBody.reference)),
        ]
    )
    public static let heartbeat = Endpoint(
        "workerHeartbeat",
        .post,
        "/api/v1/workers/heartbeat",
        "Renews the leases of the runs the worker holds; brings back cancels, lost runs, and the kept machines to destroy.",
        access: .role(.worker),
        body: (API.Heartbeat.reference, true),
        responses: [.init(200, "What to stop.", .json(API.HeartbeatAnswer.reference)), mismatch]
    )
    public static let heldRuns = Endpoint(
        "heldRuns",
        .get,
        "/api/v1/workers/held",
        "The runs the worker holds (it asks after a restart, to reconcile).",
        access: .role(.worker),
        parameters: [workerName],
        responses: [.init(200, "The runs.", .json(.array(API.HeldRun.reference)))]
    )
    public static let workers = Endpoint(
        "listWorkers",
        .get,
        "/api/v1/workers",
        "Workers: labels, slots in use, load, version, last heartbeat, runs held.",
        access: .role(.viewer),
        responses: [.init(200, "The workers.", .json(.array(API.Worker.reference)))]
    )
    public static let attemptReport = Endpoint(
        "reportAttempt",
        .post,
        "/api/v1/runs/{id}/attempts/{attempt}/report",
        "Log lines and task events, in order, the first line being line `offset`; what is already stored is skipped.",
        access: .role(.worker),
        parameters: [runID, attempt, workerName],
        body: (API.Report.reference, true),
        responses: [.init(200, "How many lines the log has.", .json(API.LogCount.reference)), stale]
    )
    public static let attemptArtifact = Endpoint(
        "uploadArtifact",
        .put,
        "/api/v1/runs/{id}/attempts/{attempt}/artifacts/{path}",
        "One collected file, as bytes.",
        access: .role(.worker),
        parameters: [runID, attempt, workerName, artifactPath],
        rawBody: .bytes(Limits.artifactBytes),
        responses: [.init(204, "Stored."), stale]
    )
    public static let attemptFinish = Endpoint(
        "finishAttempt",
        .post,
        "/api/v1/runs/{id}/attempts/{attempt}/finish",
        "How the attempt ended. Sent again, it changes nothing.",
        access: .role(.worker),
        parameters: [runID, attempt, workerName],
        body: (API.Outcome.reference, true),
        responses: [.init(200, "The run as it ended.", .json(API.Run.reference)), stale]
    )
    public static let position = Endpoint.Parameter("position", in: .path, .integer(0...10_000), "The task's position in the job (0 for the first).")
    public static let runTask = Endpoint(
        "runPlacedTask",
        .post,
        "/api/v1/runs/{id}/attempts/{attempt}/tasks/{position}",
        "The holder of the attempt has a task run where its handler is placed: on the coordinator, or on every online worker (each gets its part with its next heartbeat). Answers when it ended, with what it printed; asked again, it answers the same and runs nothing twice.",
        access: .role(.worker),
        parameters: [runID, attempt, position, workerName],
        responses: [.init(200, "How it ended.", .json(API.TaskResult.reference)), stale]
    )
    public static let taskResult = Endpoint(
        "reportPlacedTask",
        .post,
        "/api/v1/runs/{id}/attempts/{attempt}/tasks/{position}/result",
        "A worker says how its part of an every-worker task ended. Sent again, it changes nothing.",
        access: .role(.worker),
        parameters: [runID, attempt, position, workerName],
        body: (API.TaskResult.reference, true),
        responses: [.init(204, "Stored."), .init(409, "This worker was not running that task (any more).", .json(API.ErrorBody.reference))]
    )
    public static let attemptRelease = Endpoint(
        "releaseAttempt",
        .post,
        "/api/v1/runs/{id}/attempts/{attempt}/release",
        "The worker gives the run up (it restarted mid-run): it is queued again as its next attempt, or ends error.",
        access: .role(.worker),
        parameters: [runID, attempt, workerName],
        responses: [.init(200, "The run, queued again or ended.", .json(API.Run.reference)), stale]
    )

    public static let proxyImage = Endpoint(
        "proxyImage",
        .get,
        "/api/v1/images",
        "An image a run this worker holds boots, fetched by the coordinator into its own cache and sent on (`hangar serve --image-proxy`), so workers need no other network. `ETag` is the image's sha256; `If-None-Match` with it gets 304. 403 for a URL none of the worker's runs names; 404 when the coordinator does not proxy images.",
        access: .role(.worker),
        parameters: [
            workerName,
            .init("url", in: .query, .string(maxLength: Limits.urlLength), required: true, "The image's URL, as the run's machine names it."),
            .init("If-None-Match", in: .header, .string(maxLength: 200), "The ETag of the copy the worker has."),
        ],
        responses: [
            .init(200, "The image's bytes.", .bytes),
            .init(304, "The worker's copy is current."),
            .init(404, "This coordinator does not proxy images (it runs without --image-proxy).", .json(API.ErrorBody.reference)),
        ]
    )

    /// All of them, in the document's order.
    public static let endpoints: [Endpoint] = [
        health, ready, metrics, document, listRuns, trigger, getRun, getGroup, rerunGroup, cancel, retrigger, log, liveLog, artifacts, artifact,
        results,
        projects,
        getProject, notifications, flakyTests, signatures, saveSignature, deleteSignature, dryRunSignature, machines, kept, queues,
        extendKept, destroyKept, tunnel, dialTunnel, tokens, createToken, webhook,
        registerWorker, leaveWorker, claim,
        heartbeat, heldRuns,
        workers, attemptReport,
        attemptArtifact, attemptFinish, attemptRelease, runTask, taskResult, proxyImage,
    ]

    /// The schemas the operations refer to, by name.
    public static let schemas: [any Documented.Type] = [
        API.Run.self, API.Group.self, API.RunDetail.self, API.TaskRecord.self, API.Project.self, API.Project.Job.self, API.Project.Parameter.self,
        API.Machine.self, API.Machine.Port.self, API.Artifact.self, API.Token.self, API.TokenRequest.self, API.NewToken.self,
        API.TriggerRequest.self, API.ErrorBody.self, API.WebhookAnswer.self, API.WorkerStatus.self, API.Worker.self, API.Assignment.self,
        API.HeldRun.self, API.Heartbeat.self, API.HeartbeatAnswer.self, API.TaskOrder.self, API.TaskResult.self, API.Report.self, API.LogCount.self,
        API.TaskEvent.self, API.Outcome.self,
        API.Results.self, TestCase.self, Measure.self, API.SignatureInfo.self, API.Signatures.self, API.SignatureProblem.self,
        API.SignatureRequest.self,
        API.SignatureSaved.self, Signature.self,
        Signature.Scope.self, SignatureMatch.self, API.Notification.self, API.DryRun.self, API.FlakyTest.self, API.KeptMachine.self,
        API.Kept.self, API.ExtendRequest.self, API.TunnelOrder.self, API.Tunnel.self, API.Queue.self, API.QueueItem.self, API.QueueRun.self,
    ]
}
