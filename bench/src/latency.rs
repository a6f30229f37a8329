//! Cold starts and warm latency of the function binaries against DynamoDB, and the floor they
//! are compared with.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use items_apigateway::Route;
use lambda_emulator::cpu_model::Throttling;
use serde::Serialize;
use serde_json::Value;

use crate::events::{ApiCall, EventFactory, Listing};
use crate::function::{FunctionProcess, Launch};
use crate::stats::Summary;
use crate::BoxError;

/// The items the requests work on: a fixed set to read and update, and the items created by
/// the create function, which the delete function then deletes.
pub(crate) struct Workload {
    events: EventFactory,
    seeds: Vec<String>,
    deletable: Vec<String>,
    floor_deletable: Vec<String>,
    counter: u64,
}

impl Workload {
    /// A workload reading and updating `seeds`.
    pub(crate) fn new(events: EventFactory, seeds: Vec<String>) -> Self {
        Self {
            events,
            seeds,
            deletable: Vec::new(),
            floor_deletable: Vec::new(),
            counter: 0,
        }
    }

    /// The events the requests are made of.
    pub(crate) fn events(&self) -> &EventFactory {
        &self.events
    }

    /// The next request for a route of `kind`.
    pub(crate) fn next_call(&mut self, kind: Route) -> Result<ApiCall, BoxError> {
        self.counter += 1;
        let seed = || {
            self.seeds
                .get(self.counter as usize % self.seeds.len().max(1))
                .cloned()
                .ok_or("no seed items")
        };
        Ok(match kind {
            Route::ListItems => ApiCall::List(Listing::DEFAULT),
            Route::GetItem => ApiCall::Get(seed()?),
            Route::UpdateItem => ApiCall::Update(seed()?, self.counter),
            Route::PatchItem => ApiCall::Patch(seed()?, self.counter),
            Route::CreateItem => ApiCall::Create(self.counter),
            Route::DeleteItem => ApiCall::Delete(
                self.deletable
                    .pop()
                    .ok_or("no created item left to delete: run the create function first")?,
            ),
        })
    }

    /// Sends `call` to `process`, checks the status, and remembers created items.
    pub(crate) async fn send(
        &mut self,
        process: &mut FunctionProcess,
        call: &ApiCall,
    ) -> Result<crate::function::Answer, BoxError> {
        let answer = process.invoke(self.events.event(call)?).await?;
        call.check_status(&answer.response)?;
        if let ApiCall::Create(_) = call {
            self.deletable.push(created_id(&answer.response)?);
        }
        Ok(answer)
    }
}

fn created_id(response: &Value) -> Result<String, BoxError> {
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or_default())?;
    body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("a created item without an id: {body}").into())
}

/// Creates `count` items through the create function, for the other routes to work on.
pub(crate) async fn seed(
    launch: &Launch,
    events: &EventFactory,
    count: u64,
) -> Result<Vec<String>, BoxError> {
    let mut process = FunctionProcess::start(launch).await?;
    let mut ids = Vec::new();
    for n in 0..count {
        let call = ApiCall::Create(n);
        let answer = match events.event(&call) {
            Ok(event) => process.invoke(event).await,
            Err(error) => Err(error),
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        };
        match created_id(&answer.response) {
            Ok(id) => ids.push(id),
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        }
    }
    process.stop().await;
    Ok(ids)
}

/// Cold starts of one function over fresh processes.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ColdStarts {
    /// Process start to first poll for an event.
    pub init: Summary,
    /// Process start to the first response back.
    pub first_response: Summary,
    /// The init-time store warm-up, as the function logged it (`warm_up_ms`), when it made one.
    pub warm_up: Option<Summary>,
    /// Each process's init less its own warm-up.
    pub init_less_warm_up: Option<Summary>,
}

/// The `warm_up_ms` of the function's `store warm-up` log line, if it logged one.
fn logged_warm_up(lines: &[String]) -> Option<Duration> {
    lines.iter().find_map(|line| {
        let entry: Value = serde_json::from_str(line).ok()?;
        if entry["message"] != "store warm-up" {
            return None;
        }
        Some(Duration::from_secs_f64(
            entry["warm_up_ms"].as_f64()? / 1000.0,
        ))
    })
}

/// One cold start: a fresh process of a function answering one request.
pub(crate) struct ColdRun {
    /// Process start to first poll for an event.
    pub init: Duration,
    /// Process start to the first response back.
    pub first_response: Duration,
    /// The last lines the process logged.
    pub lines: Vec<String>,
}

/// Starts a fresh process of `launch`, sends it the next `kind` call and stops it.
pub(crate) async fn cold_run(
    launch: &Launch,
    kind: Route,
    workload: &mut Workload,
) -> Result<ColdRun, BoxError> {
    let call = workload.next_call(kind)?;
    let mut process = FunctionProcess::start(launch).await?;
    let answer = workload.send(&mut process, &call).await;
    let init = process.init_duration();
    let started = process.started();
    let lines = process.stop().await;
    let answer = answer?;
    Ok(ColdRun {
        init: init.ok_or("the process answered without polling")?,
        first_response: answer.arrived_at.duration_since(started),
        lines,
    })
}

/// Starts `runs` fresh processes of a function, each answering one request.
pub(crate) async fn cold_starts(
    launch: &Launch,
    kind: Route,
    workload: &mut Workload,
    runs: usize,
) -> Result<ColdStarts, BoxError> {
    let mut inits = Vec::with_capacity(runs);
    let mut first_responses = Vec::with_capacity(runs);
    let mut warm_ups = Vec::with_capacity(runs);
    let mut inits_less_warm_up = Vec::with_capacity(runs);
    for _ in 0..runs {
        let run = cold_run(launch, kind, workload).await?;
        inits.push(run.init);
        first_responses.push(run.first_response);
        if let Some(warm_up) = logged_warm_up(&run.lines) {
            warm_ups.push(warm_up);
            inits_less_warm_up.push(run.init.saturating_sub(warm_up));
        }
    }
    Ok(ColdStarts {
        init: Summary::of(&inits).ok_or("no cold starts measured")?,
        first_response: Summary::of(&first_responses).ok_or("no cold starts measured")?,
        warm_up: Summary::of(&warm_ups),
        init_less_warm_up: Summary::of(&inits_less_warm_up),
    })
}

/// A function's init, step by step: each step's median as the function itself logs it (the
/// `init step` lines `items_apigateway::lambda::run` writes at debug level), over fresh
/// processes of a route's function, and the median of their whole init (process start to
/// first poll).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct InitSteps {
    /// Each step and its median, in ms, in the order they run.
    pub steps: Vec<(String, f64)>,
    /// What two of those steps replace (the SDK's default chains, the platform's root store),
    /// timed in as many `init-alternatives` processes; not part of a function's init.
    pub replaced: Vec<(String, f64)>,
    /// The whole init of the function's processes.
    pub init: Summary,
}

/// Named steps, each with its time in every run.
type StepSamples = Vec<(String, Vec<Duration>)>;

/// Adds one run's steps to `samples`, step by step in order.
fn add_steps(samples: &mut StepSamples, logged: &[(String, f64)]) {
    for (index, (name, ms)) in logged.iter().enumerate() {
        if samples.len() <= index {
            samples.push((name.clone(), Vec::new()));
        }
        samples[index].1.push(Duration::from_secs_f64(ms / 1000.0));
    }
}

/// Each step's median.
fn medians(samples: StepSamples) -> Vec<(String, f64)> {
    samples
        .into_iter()
        .filter_map(|(name, samples)| Some((name, Summary::of(&samples)?.p50_ms)))
        .collect()
}

/// The `init step` lines among a function's log lines, as `(step, ms)`.
fn logged_init_steps(lines: &[String]) -> Vec<(String, f64)> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["message"] == "init step")
        .filter_map(|entry| Some((entry["step"].as_str()?.to_owned(), entry["ms"].as_f64()?)))
        .collect()
}

/// The `replaced_steps` line `init-alternatives` prints, as `(step, ms)`.
fn logged_alternatives(lines: &[String]) -> Option<Vec<(String, f64)>> {
    let logged = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| entry.get("replaced_steps").is_some())?;
    logged["replaced_steps"]
        .as_array()?
        .iter()
        .map(|step| Some((step[0].as_str()?.to_owned(), step[1].as_f64()?)))
        .collect()
}

/// The variable that turns on the init's step lines in a function, and nothing else at debug.
pub(crate) const INIT_STEP_LOGS: (&str, &str) = ("RUST_LOG", "info,items_apigateway::lambda=debug");

/// Starts `runs` fresh processes of `function` (`GET /items/{id}`'s, with [`INIT_STEP_LOGS`])
/// and of `alternatives`, each answering one request, and collects the steps each logs.
pub(crate) async fn init_steps(
    function: &Launch,
    alternatives: &Launch,
    workload: &mut Workload,
    runs: usize,
) -> Result<InitSteps, BoxError> {
    let mut function = function.clone();
    function
        .environment
        .push((INIT_STEP_LOGS.0.to_owned(), INIT_STEP_LOGS.1.to_owned()));
    let mut inits = Vec::with_capacity(runs);
    let (mut steps, mut replaced) = (StepSamples::new(), StepSamples::new());
    for _ in 0..runs {
        let run = cold_run(&function, Route::GetItem, workload).await?;
        let logged = logged_init_steps(&run.lines);
        if logged.is_empty() {
            return Err(format!("{} logged no init steps", function.name).into());
        }
        add_steps(&mut steps, &logged);
        inits.push(run.init);
        let run = cold_run(alternatives, Route::GetItem, workload).await?;
        let logged =
            logged_alternatives(&run.lines).ok_or("init-alternatives printed no replaced steps")?;
        add_steps(&mut replaced, &logged);
    }
    Ok(InitSteps {
        steps: medians(steps),
        replaced: medians(replaced),
        init: Summary::of(&inits).ok_or("no init runs")?,
    })
}

/// Warm requests through a route's function processes, one per execution environment.
#[derive(Debug, Clone)]
pub(crate) struct WarmRun {
    /// The function's Duration per request (event handed out to response received).
    pub duration: Summary,
    /// From posting the event to the Runtime API to the response arriving at the bench.
    pub round_trip: Summary,
    /// The mean Duration as Lambda bills it, each request rounded up to the millisecond.
    pub billed_ms_mean: f64,
    /// CPU time the processes used per measured request, in microseconds.
    pub cpu_per_request_us: Option<f64>,
    /// How their CPU quota held them back over the measured requests (under the CPU model).
    pub quota_pauses: Option<QuotaPauses>,
    /// The largest of the processes' peak resident sets after every request, in KiB.
    pub peak_rss_kib: Option<u64>,
}

/// A route's floor, measured request by request beside its function.
#[derive(Debug, Clone)]
pub(crate) struct FloorRun {
    /// The raw store call, timed inside the floor function.
    pub store_call: Summary,
    /// The floor function's Duration: the raw call plus what the Runtime API and lambda_runtime
    /// add around it.
    pub duration: Summary,
    /// CPU time the floor processes used per measured request, in microseconds.
    pub cpu_per_request_us: Option<f64>,
    /// How its CPU quota held it back over the measured requests (under the CPU model).
    pub quota_pauses: Option<QuotaPauses>,
}

/// How a process's CPU quota held it back over the measured requests, from its CPU group's
/// counters: what turns extra CPU per request into Duration under the CPU model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct QuotaPauses {
    /// CFS periods in which the process ran.
    pub periods: u64,
    /// Of those, the periods in which it spent its quota and waited for the next one.
    pub throttled_periods: u64,
    /// The kernel's throttled time per measured request, in ms (summed over the CPUs' run
    /// queues the process was held on).
    pub throttled_ms_per_request: f64,
}

/// What one process used over its measured requests, each part when it could be read: added up
/// over a route's execution environments, then divided by their requests.
#[derive(Debug, Clone, Copy, Default)]
struct Used {
    requests: usize,
    cpu: Option<Duration>,
    throttling: Option<Throttling>,
}

impl Used {
    /// Both environments' use together; a part either could not read is unknown.
    fn plus(self, other: Used) -> Used {
        Used {
            requests: self.requests + other.requests,
            cpu: self.cpu.zip(other.cpu).map(|(a, b)| a + b),
            throttling: self
                .throttling
                .zip(other.throttling)
                .map(|(a, b)| a.plus(&b)),
        }
    }

    fn cpu_per_request_us(&self) -> Option<f64> {
        let requests = self.requests.max(1) as f64;
        self.cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / requests)
    }

    fn quota_pauses(&self) -> Option<QuotaPauses> {
        let requests = self.requests.max(1) as f64;
        self.throttling.map(|counted| QuotaPauses {
            periods: counted.periods,
            throttled_periods: counted.throttled_periods,
            throttled_ms_per_request: counted.throttled.as_secs_f64() * 1000.0 / requests,
        })
    }
}

/// Samples and CPU use of one process over the measured requests.
struct Samples {
    durations: Vec<Duration>,
    round_trips: Vec<Duration>,
    inner: Vec<Duration>,
    cpu_before: Option<Duration>,
    throttling_before: Option<Throttling>,
}

impl Samples {
    fn new(capacity: usize) -> Self {
        Self {
            durations: Vec::with_capacity(capacity),
            round_trips: Vec::with_capacity(capacity),
            inner: Vec::with_capacity(capacity),
            cpu_before: None,
            throttling_before: None,
        }
    }

    /// Marks where the measured requests begin.
    fn start(&mut self, process: &FunctionProcess) {
        self.cpu_before = process.cpu_time();
        self.throttling_before = process.throttling();
    }

    /// What `process` used since [`Samples::start`].
    fn used(&self, process: &FunctionProcess) -> Used {
        Used {
            requests: self.durations.len(),
            cpu: process
                .cpu_time()
                .zip(self.cpu_before)
                .and_then(|(now, before)| now.checked_sub(before)),
            throttling: process
                .throttling()
                .zip(self.throttling_before)
                .map(|(now, before)| now.since(&before)),
        }
    }

    /// Another environment's samples after these.
    fn extend(&mut self, other: Samples) {
        self.durations.extend(other.durations);
        self.round_trips.extend(other.round_trips);
        self.inner.extend(other.inner);
    }
}

/// The measured requests each of `environments` execution environments gets: `requests`
/// shared as evenly as they go, none empty.
fn shares(requests: usize, environments: usize) -> Vec<usize> {
    let environments = environments.clamp(1, requests.max(1));
    (0..environments)
        .map(|n| requests / environments + usize::from(n < requests % environments))
        .collect()
}

/// Where a route's execution environments run their binaries from.
#[derive(Debug, Clone)]
pub(crate) enum Environments {
    /// One environment, each binary where it was built.
    InPlace,
    /// `count` environments, each running its own copy of each binary, made afresh for every
    /// route in a directory of its own under `root`. Where a binary's code lands in memory
    /// moves its CPU per request by several percent: one build's `get-item` measured 1.03x to
    /// 1.20x its floor depending on which copy of the two files it ran from, each copy about
    /// the same over repeated runs. On Lambda every execution environment loads its own copy,
    /// so a route's CPU is an average over many; one copy is a sample of one.
    Copies { root: PathBuf, count: usize },
}

impl Environments {
    /// `launch` once per environment, each from its own copy of the binary.
    fn launches(&self, launch: &Launch) -> Result<Vec<Launch>, BoxError> {
        let Environments::Copies { root, count } = self else {
            return Ok(vec![launch.clone()]);
        };
        let name = launch
            .binary
            .file_name()
            .ok_or_else(|| format!("{} names no file", launch.binary.display()))?;
        (0..(*count).max(1))
            .map(|n| {
                let dir = root.join(n.to_string());
                std::fs::create_dir_all(&dir)?;
                let copy = dir.join(name);
                // A new file, not the last route's rewritten: its code gets pages of its own.
                if copy.exists() {
                    std::fs::remove_file(&copy)?;
                }
                std::fs::copy(&launch.binary, &copy)?;
                Ok(Launch {
                    binary: copy,
                    ..launch.clone()
                })
            })
            .collect()
    }

    /// Removes the copies.
    pub(crate) fn remove(&self) {
        if let Environments::Copies { root, .. } = self {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

/// Sends `requests` measured requests to a route's function, spread over its `environments`
/// as Lambda spreads a route's traffic: each a fresh function process that gets `warm_up`
/// unmeasured requests and then its share. With a floor, each environment has its own floor
/// process beside it, from the same environment's copy (see [`environment`]). The Duration
/// figures are over every measured request; CPU per request and the quota's pauses add up
/// every process's.
pub(crate) async fn warm_run(
    launch: &Launch,
    kind: Route,
    workload: &mut Workload,
    warm_up: usize,
    requests: usize,
    environments: &Environments,
    floor: Option<&Launch>,
) -> Result<(WarmRun, Option<FloorRun>), BoxError> {
    let launches = environments.launches(launch)?;
    let floors = match floor {
        Some(floor) => environments
            .launches(floor)?
            .into_iter()
            .map(Some)
            .collect(),
        None => vec![None; launches.len()],
    };
    let mut samples = Samples::new(requests);
    let mut floor_samples = floor.map(|_| Samples::new(requests));
    let (mut used, mut floor_used) = (None::<Used>, None::<Used>);
    let mut peak_rss_kib = None;
    for ((launch, floor), share) in launches
        .iter()
        .zip(&floors)
        .zip(shares(requests, launches.len()))
    {
        let measured = environment(launch, kind, workload, warm_up, share, floor.as_ref()).await?;
        samples.extend(measured.samples);
        used = Some(used.map_or(measured.used, |u| u.plus(measured.used)));
        if let (Some(all), Some((more, more_used))) = (floor_samples.as_mut(), measured.floor) {
            all.extend(more);
            floor_used = Some(floor_used.map_or(more_used, |u| u.plus(more_used)));
        }
        peak_rss_kib = peak_rss_kib.max(measured.peak_rss_kib);
    }
    let (used, floor_used) = (used.unwrap_or_default(), floor_used.unwrap_or_default());
    let summary = |samples: &[Duration]| Summary::of(samples).ok_or("no requests measured");
    let warm = WarmRun {
        duration: summary(&samples.durations)?,
        round_trip: summary(&samples.round_trips)?,
        billed_ms_mean: samples
            .durations
            .iter()
            .map(|d| (d.as_secs_f64() * 1000.0).ceil())
            .sum::<f64>()
            / samples.durations.len().max(1) as f64,
        cpu_per_request_us: used.cpu_per_request_us(),
        quota_pauses: used.quota_pauses(),
        peak_rss_kib,
    };
    let floor = match floor_samples {
        Some(floor_samples) => Some(FloorRun {
            store_call: summary(&floor_samples.inner)?,
            duration: summary(&floor_samples.durations)?,
            cpu_per_request_us: floor_used.cpu_per_request_us(),
            quota_pauses: floor_used.quota_pauses(),
        }),
        None => None,
    };
    Ok((warm, floor))
}

/// One execution environment's figures (see [`environment`]).
struct Environment {
    samples: Samples,
    used: Used,
    floor: Option<(Samples, Used)>,
    peak_rss_kib: Option<u64>,
}

/// Sends `warm_up` unmeasured and then `requests` measured requests to a fresh process of the
/// function. With a floor, the same requests also go to a fresh floor process, in blocks of
/// [`BLOCK`]: a block to one back-to-back, then the same block to the other, the first
/// alternating from block to block, so both see the same conditions (other load on the
/// machine, the store's state) and each runs back-to-back as a busy function does, which is
/// what a CPU quota makes slow.
async fn environment(
    launch: &Launch,
    kind: Route,
    workload: &mut Workload,
    warm_up: usize,
    requests: usize,
    floor: Option<&Launch>,
) -> Result<Environment, BoxError> {
    let mut process = FunctionProcess::start(launch).await?;
    let mut floor_process = match floor {
        Some(floor) => match FunctionProcess::start(floor).await {
            Ok(started) => Some(started),
            Err(error) => {
                process.stop().await;
                return Err(error);
            }
        },
        None => None,
    };
    let outcome = warm_requests(
        &mut process,
        floor_process.as_mut(),
        kind,
        workload,
        warm_up,
        requests,
    )
    .await;
    let peak_rss_kib = process.peak_rss_kib();
    // Read while both processes still run.
    let measured = outcome.map(|(samples, floor_samples)| {
        let used = samples.used(&process);
        let floor = floor_samples
            .zip(floor_process.as_ref())
            .map(|(samples, floor)| {
                let used = samples.used(floor);
                (samples, used)
            });
        Environment {
            samples,
            used,
            floor,
            peak_rss_kib,
        }
    });
    process.stop().await;
    if let Some(floor_process) = floor_process {
        floor_process.stop().await;
    }
    measured
}

/// Requests per block of back-to-back requests to one process (see [`warm_run`]): many CFS
/// periods' worth at 128 MB, so a quota's pauses fall in it as they would in a steady stream.
const BLOCK: usize = 100;

async fn warm_requests(
    process: &mut FunctionProcess,
    mut floor: Option<&mut FunctionProcess>,
    kind: Route,
    workload: &mut Workload,
    warm_up: usize,
    requests: usize,
) -> Result<(Samples, Option<Samples>), BoxError> {
    let mut samples = Samples::new(requests);
    let mut floor_samples = floor.as_ref().map(|_| Samples::new(requests));
    let total = warm_up + requests;
    let mut sent = 0;
    let mut floor_first = false;
    while sent < total {
        // A block ends where the measured requests begin, so none mixes the two.
        let end = (sent + BLOCK).min(if sent < warm_up { warm_up } else { total });
        let measured = sent >= warm_up;
        if sent == warm_up {
            samples.start(process);
            if let (Some(floor), Some(floor_samples)) = (floor.as_deref(), floor_samples.as_mut()) {
                floor_samples.start(floor);
            }
        }
        let calls = (sent..end)
            .map(|_| workload.next_call(kind))
            .collect::<Result<Vec<_>, _>>()?;
        // Which of the two runs the block first alternates from block to block.
        let floor_turns = if floor_first {
            [true, false]
        } else {
            [false, true]
        };
        for floor_turn in floor_turns {
            if floor_turn {
                floor_block(
                    floor.as_deref_mut(),
                    floor_samples.as_mut(),
                    workload,
                    &calls,
                    measured,
                )
                .await?;
            } else {
                function_block(process, &mut samples, workload, &calls, measured).await?;
            }
        }
        floor_first = !floor_first;
        sent = end;
    }
    Ok((samples, floor_samples))
}

/// Sends a block of requests to the function, back-to-back.
async fn function_block(
    process: &mut FunctionProcess,
    samples: &mut Samples,
    workload: &mut Workload,
    calls: &[ApiCall],
    measured: bool,
) -> Result<(), BoxError> {
    for call in calls {
        let started = Instant::now();
        let answer = workload.send(process, call).await?;
        if measured {
            samples.durations.push(answer.duration);
            samples
                .round_trips
                .push(answer.arrived_at.duration_since(started));
        }
    }
    Ok(())
}

/// Sends a block of requests to the floor function, back-to-back, when there is one.
async fn floor_block(
    floor: Option<&mut FunctionProcess>,
    samples: Option<&mut Samples>,
    workload: &mut Workload,
    calls: &[ApiCall],
    measured: bool,
) -> Result<(), BoxError> {
    let (Some(floor), Some(samples)) = (floor, samples) else {
        return Ok(());
    };
    for call in calls {
        floor_request(floor, workload, call, measured.then_some(&mut *samples)).await?;
    }
    Ok(())
}

/// Sends the same request to the floor function (a delete goes to an item the floor created)
/// and records its figures.
async fn floor_request(
    floor: &mut FunctionProcess,
    workload: &mut Workload,
    call: &ApiCall,
    samples: Option<&mut Samples>,
) -> Result<(), BoxError> {
    let call = match call {
        ApiCall::Delete(_) => ApiCall::Delete(
            workload
                .floor_deletable
                .pop()
                .ok_or("no floor-created item left to delete: run the create floor first")?,
        ),
        other => other.clone(),
    };
    let sent = Instant::now();
    let answer = floor.invoke(workload.events.event(&call)?).await?;
    call.check_status(&answer.response)
        .map_err(|error| format!("the floor function: {error}"))?;
    if let Some(id) = answer.response["id"].as_str() {
        workload.floor_deletable.push(id.to_owned());
    }
    let store_us = answer.response["store_us"]
        .as_f64()
        .ok_or("the floor function did not time its store call")?;
    if let Some(samples) = samples {
        samples.durations.push(answer.duration);
        samples
            .round_trips
            .push(answer.arrived_at.duration_since(sent));
        samples.inner.push(Duration::from_secs_f64(store_us / 1e6));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_requests_are_shared_evenly_over_the_environments_and_none_is_empty() {
        assert_eq!(shares(3000, 3), vec![1000, 1000, 1000]);
        assert_eq!(shares(10, 3), vec![4, 3, 3]);
        assert_eq!(shares(2, 3), vec![1, 1]);
        assert_eq!(shares(5, 1), vec![5]);
        assert_eq!(shares(5, 0), vec![5]);
    }

    #[test]
    fn each_environment_runs_its_own_new_copy_of_the_binary() {
        let root = std::env::temp_dir().join(format!("items-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let binary = root.join("get-item");
        std::fs::write(&binary, b"the function").unwrap();
        let launch = Launch {
            name: "get-item".to_owned(),
            binary: binary.clone(),
            environment: Vec::new(),
            memory_size_mb: 128,
            cpu_groups: None,
            sampled_traces: false,
        };
        let environments = Environments::Copies {
            root: root.join("environments"),
            count: 3,
        };

        let first = environments.launches(&launch).unwrap();
        let copies: Vec<_> = first.iter().map(|l| l.binary.clone()).collect();
        assert_eq!(copies.len(), 3);
        for (n, copy) in copies.iter().enumerate() {
            assert_eq!(
                copy,
                &root
                    .join("environments")
                    .join(n.to_string())
                    .join("get-item")
            );
            assert_eq!(std::fs::read(copy).unwrap(), b"the function");
        }
        // The next route's copy is a new file, not the last one rewritten: a link to the old
        // file keeps the old text.
        let kept = root.join("kept");
        std::fs::hard_link(&copies[0], &kept).unwrap();
        std::fs::write(&binary, b"the next build").unwrap();

        let again = environments.launches(&launch).unwrap();

        assert_eq!(again[0].binary, copies[0]);
        assert_eq!(std::fs::read(&copies[0]).unwrap(), b"the next build");
        assert_eq!(std::fs::read(&kept).unwrap(), b"the function");
        let in_place = Environments::InPlace.launches(&launch).unwrap();
        assert_eq!(in_place.len(), 1);
        assert_eq!(in_place[0].binary, binary);
        environments.remove();
        assert!(!root.join("environments").exists());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_use_of_two_environments_adds_up_and_is_unknown_where_either_is() {
        let counted = |periods, throttled_periods, ms| Throttling {
            periods,
            throttled_periods,
            throttled: Duration::from_millis(ms),
        };
        let first = Used {
            requests: 100,
            cpu: Some(Duration::from_millis(30)),
            throttling: Some(counted(40, 10, 20)),
        };
        let second = Used {
            requests: 300,
            cpu: Some(Duration::from_millis(130)),
            throttling: Some(counted(60, 30, 180)),
        };

        let both = first.plus(second);

        assert_eq!(both.cpu_per_request_us(), Some(400.0));
        assert_eq!(
            both.quota_pauses(),
            Some(QuotaPauses {
                periods: 100,
                throttled_periods: 40,
                throttled_ms_per_request: 0.5,
            })
        );
        let unread = Used {
            cpu: None,
            throttling: None,
            ..second
        };
        assert_eq!(first.plus(unread).cpu_per_request_us(), None);
        assert_eq!(first.plus(unread).quota_pauses(), None);
    }
}
