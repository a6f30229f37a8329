//! The documents received, kept per trace within fixed bounds, and each trace assembled into
//! its tree: segments, and subsegments embedded or sent on their own, under their parents.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::document::{DocumentError, Segment};
use crate::trace_header::TraceId;

/// The most traces kept; the trace that arrived first is forgotten first.
pub const MAX_TRACES: usize = 1000;

/// The most documents kept per trace; later ones are refused.
pub const MAX_DOCUMENTS_PER_TRACE: usize = 500;

/// Every document received, by trace, within [`MAX_TRACES`] and [`MAX_DOCUMENTS_PER_TRACE`].
#[derive(Debug, Default)]
pub struct TraceStore {
    traces: Mutex<Traces>,
}

#[derive(Debug, Default)]
struct Traces {
    documents: HashMap<TraceId, Vec<Segment>>,
    /// Trace ids, the first to arrive first.
    arrival: VecDeque<TraceId>,
    refused: u64,
}

impl TraceStore {
    /// Keeps `segment` (a document sent on its own) if it is valid and its trace has room. A
    /// document with the id of one already kept replaces it, as a complete segment replaces
    /// its in-progress document.
    pub fn keep(&self, segment: Segment) -> Result<(), DocumentError> {
        let mut traces = self.lock();
        let trace_id = match segment.validate() {
            Ok(trace_id) => trace_id,
            Err(error) => {
                traces.refused += 1;
                return Err(error);
            }
        };
        if !traces.documents.contains_key(&trace_id) {
            if traces.arrival.len() == MAX_TRACES {
                if let Some(oldest) = traces.arrival.pop_front() {
                    traces.documents.remove(&oldest);
                }
            }
            traces.arrival.push_back(trace_id.clone());
        }
        let documents = traces.documents.entry(trace_id).or_default();
        if let Some(kept) = documents.iter_mut().find(|kept| kept.id == segment.id) {
            *kept = segment;
        } else if documents.len() < MAX_DOCUMENTS_PER_TRACE {
            documents.push(segment);
        } else {
            traces.refused += 1;
        }
        Ok(())
    }

    /// Counts a datagram that could not be read at all.
    pub fn refuse(&self) {
        self.lock().refused += 1;
    }

    /// How many documents were refused: unreadable, invalid, or beyond a trace's room.
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }

    /// Every trace kept, the latest to start first.
    pub fn summaries(&self) -> Vec<TraceSummary> {
        let traces = self.lock();
        let mut summaries: Vec<TraceSummary> = traces
            .documents
            .iter()
            .map(|(id, documents)| Trace::assemble(id, documents).summary)
            .collect();
        summaries.sort_by(|a, b| b.start_time.total_cmp(&a.start_time));
        summaries
    }

    /// One trace's tree, or `None` when no document of it was kept.
    pub fn trace(&self, id: &TraceId) -> Option<Trace> {
        let traces = self.lock();
        let documents = traces.documents.get(id)?;
        Some(Trace::assemble(id, documents))
    }

    fn lock(&self) -> MutexGuard<'_, Traces> {
        // Every change is a whole insert, replace or count: a poisoned lock is still whole.
        self.traces.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A trace at a glance, as a list of traces shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSummary {
    /// The trace id.
    pub id: String,
    /// The name of its first segment (the service that received the request).
    pub name: String,
    /// When its first segment started, epoch seconds.
    pub start_time: f64,
    /// From the first start to the last end, in seconds; `None` while any part is in progress.
    pub duration: Option<f64>,
    /// Whether any segment or subsegment had a fault (a server error).
    pub fault: bool,
    /// Whether any had an error (a client error).
    pub error: bool,
    /// Whether any was throttled.
    pub throttle: bool,
    /// The HTTP request and response the trace records, if any.
    pub http: Option<HttpSummary>,
}

/// The first HTTP request and response a trace records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpSummary {
    /// e.g. `PUT`.
    pub method: Option<String>,
    /// The URL's path, e.g. `/items/42`.
    pub path: Option<String>,
    /// e.g. `200`.
    pub status: Option<u64>,
}

/// One trace: its summary and its tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// The trace at a glance.
    #[serde(flatten)]
    pub summary: TraceSummary,
    /// The segments no other part of the trace contains (normally one), earliest first.
    pub segments: Vec<TraceNode>,
}

/// A segment or subsegment in a trace's tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceNode {
    /// Its id.
    pub id: String,
    /// `segment` or `subsegment`.
    #[serde(rename = "type")]
    pub node_type: &'static str,
    /// Its name.
    pub name: String,
    /// Epoch seconds.
    pub start_time: f64,
    /// Epoch seconds; `None` while in progress.
    pub end_time: Option<f64>,
    /// In seconds; `None` while in progress.
    pub duration: Option<f64>,
    /// Whether only its start was received.
    pub in_progress: bool,
    /// The kind of AWS resource, for a segment.
    pub origin: Option<String>,
    /// `aws` or `remote`, for a subsegment of a downstream call.
    pub namespace: Option<String>,
    /// A server error.
    pub fault: bool,
    /// A client error.
    pub error: bool,
    /// Throttled.
    pub throttle: bool,
    /// What failed.
    pub cause: Option<Value>,
    /// Indexed key-value pairs.
    pub annotations: Map<String, Value>,
    /// Other data, by namespace.
    pub metadata: Map<String, Value>,
    /// The AWS call or resource.
    pub aws: Option<Value>,
    /// The HTTP request and response.
    pub http: Option<Value>,
    /// What it contains, earliest first.
    pub children: Vec<TraceNode>,
}

/// A node before it is placed: whose child it is.
struct Placed {
    parent_id: Option<String>,
    node: TraceNode,
}

impl Trace {
    /// Places every document and embedded subsegment of a trace under its parent; a part
    /// whose parent was not received is a root.
    fn assemble(id: &TraceId, documents: &[Segment]) -> Self {
        let mut placed: Vec<Placed> = Vec::new();
        for document in documents {
            let node_type = if document.is_subsegment() {
                "subsegment"
            } else {
                "segment"
            };
            flatten(document, node_type, document.parent_id.clone(), &mut placed);
        }
        // A later document with an id already placed (a complete segment after its
        // in-progress one, or a subsegment sent both embedded and alone) replaces it.
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut unique: Vec<Placed> = Vec::new();
        for part in placed {
            match by_id.get(&part.node.id) {
                Some(&index) => unique[index] = part,
                None => {
                    by_id.insert(part.node.id.clone(), unique.len());
                    unique.push(part);
                }
            }
        }
        let mut children: HashMap<String, Vec<TraceNode>> = HashMap::new();
        let mut roots = Vec::new();
        for part in unique {
            match part.parent_id {
                Some(parent) if by_id.contains_key(&parent) && parent != part.node.id => {
                    children.entry(parent).or_default().push(part.node);
                }
                _ => roots.push(part.node),
            }
        }
        let mut segments: Vec<TraceNode> = roots
            .into_iter()
            .map(|root| attach(root, &mut children, 0))
            .collect();
        // Parts reachable only through a cycle of parent ids, or below the depth cut, are
        // roots too: nothing received is hidden.
        segments.extend(children.into_values().flatten());
        sort_by_start(&mut segments);
        Self {
            summary: summarize(id, &segments),
            segments,
        }
    }
}

/// Deeper trees than this are cut: a cycle of parent ids cannot recurse forever.
const MAX_DEPTH: usize = 64;

fn attach(
    mut node: TraceNode,
    children: &mut HashMap<String, Vec<TraceNode>>,
    depth: usize,
) -> TraceNode {
    if depth < MAX_DEPTH {
        if let Some(mine) = children.remove(&node.id) {
            node.children.extend(
                mine.into_iter()
                    .map(|child| attach(child, children, depth + 1)),
            );
        }
    }
    sort_by_start(&mut node.children);
    node
}

fn sort_by_start(nodes: &mut [TraceNode]) {
    nodes.sort_by(|a, b| a.start_time.total_cmp(&b.start_time));
}

/// `segment` and its embedded subsegments as placed nodes (the embedded ones under it).
fn flatten(
    segment: &Segment,
    node_type: &'static str,
    parent_id: Option<String>,
    placed: &mut Vec<Placed>,
) {
    for subsegment in &segment.subsegments {
        flatten(subsegment, "subsegment", Some(segment.id.clone()), placed);
    }
    let duration = segment
        .end_time
        .filter(|_| !segment.in_progress)
        .map(|end| (end - segment.start_time).max(0.0));
    placed.push(Placed {
        parent_id,
        node: TraceNode {
            id: segment.id.clone(),
            node_type,
            name: segment.name.clone(),
            start_time: segment.start_time,
            end_time: duration.and(segment.end_time),
            duration,
            in_progress: duration.is_none(),
            origin: segment.origin.clone(),
            namespace: segment.namespace.clone(),
            fault: segment.fault,
            error: segment.error,
            throttle: segment.throttle,
            cause: segment.cause.clone(),
            annotations: segment.annotations.clone(),
            metadata: segment.metadata.clone(),
            aws: segment.aws.clone(),
            http: segment.http.clone(),
            children: Vec::new(),
        },
    });
}

fn summarize(id: &TraceId, segments: &[TraceNode]) -> TraceSummary {
    let mut every: Vec<&TraceNode> = Vec::new();
    let mut pending: Vec<&TraceNode> = segments.iter().rev().collect();
    while let Some(node) = pending.pop() {
        every.push(node);
        pending.extend(node.children.iter().rev());
    }
    let start_time = every
        .iter()
        .map(|node| node.start_time)
        .min_by(f64::total_cmp)
        .unwrap_or_default();
    let end_time = every
        .iter()
        .map(|node| node.end_time)
        .try_fold(f64::NEG_INFINITY, |latest, end| Some(latest.max(end?)));
    let request = every
        .iter()
        .find_map(|node| node.http.as_ref()?.get("request"));
    let status = every
        .iter()
        .find_map(|node| node.http.as_ref()?.pointer("/response/status")?.as_u64());
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let http = (request.is_some() || status.is_some()).then(|| HttpSummary {
        method: text(request.and_then(|request| request.get("method"))),
        path: text(request.and_then(|request| request.get("url"))).map(|url| path_of(&url)),
        status,
    });
    TraceSummary {
        id: id.as_str().to_owned(),
        name: segments
            .first()
            .map(|root| root.name.clone())
            .unwrap_or_default(),
        start_time,
        duration: end_time.map(|end| (end - start_time).max(0.0)),
        fault: every.iter().any(|node| node.fault),
        error: every.iter().any(|node| node.error),
        throttle: every.iter().any(|node| node.throttle),
        http,
    }
}

/// The path of a URL (`https://host/items/1?x` is `/items/1`); a bare path as it is.
fn path_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| {
        rest.find('/').map_or("/", |slash| &rest[slash..])
    });
    after_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or(after_scheme)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TRACE: &str = "1-581cf771-a006649127e371903a2de979";

    fn segment(value: Value) -> Segment {
        serde_json::from_value(value).unwrap()
    }

    fn trace_id() -> TraceId {
        TraceId::parse(TRACE).unwrap()
    }

    #[test]
    fn subsegments_sent_alone_and_embedded_are_placed_under_their_parents() {
        let store = TraceStore::default();
        store
            .keep(segment(json!({
                "name": "update-item", "id": "aaaaaaaaaaaaaaaa", "trace_id": TRACE,
                "origin": "AWS::Lambda::Function", "start_time": 10.0, "end_time": 10.5,
                "subsegments": [{"name": "Invocation", "id": "bbbbbbbbbbbbbbbb",
                                 "start_time": 10.1, "end_time": 10.4}]
            })))
            .unwrap();
        store
            .keep(segment(json!({
                "type": "subsegment", "name": "handler", "id": "cccccccccccccccc",
                "trace_id": TRACE, "parent_id": "bbbbbbbbbbbbbbbb",
                "start_time": 10.15, "end_time": 10.35,
                "annotations": {"route": "PUT /items/{id}"},
                "http": {"request": {"method": "PUT", "url": "https://api.example.com/items/1?x=1"},
                         "response": {"status": 200}},
                "subsegments": [{"name": "DynamoDB", "id": "dddddddddddddddd", "namespace": "aws",
                                 "start_time": 10.2, "end_time": 10.3, "error": true,
                                 "aws": {"operation": "UpdateItem", "table_name": "items"}}]
            })))
            .unwrap();

        let trace = store.trace(&trace_id()).unwrap();
        assert_eq!(trace.segments.len(), 1);
        let function = &trace.segments[0];
        assert_eq!(function.name, "update-item");
        let invocation = &function.children[0];
        let handler = &invocation.children[0];
        assert_eq!(handler.node_type, "subsegment");
        assert_eq!(handler.annotations["route"], "PUT /items/{id}");
        let dynamodb = &handler.children[0];
        assert_eq!(dynamodb.aws.as_ref().unwrap()["operation"], "UpdateItem");
        assert!((dynamodb.duration.unwrap() - 0.1).abs() < 1e-9);

        let summary = &trace.summary;
        assert_eq!(summary.name, "update-item");
        assert_eq!(summary.start_time, 10.0);
        assert_eq!(summary.duration, Some(0.5));
        assert!(summary.error && !summary.fault && !summary.throttle);
        assert_eq!(
            summary.http,
            Some(HttpSummary {
                method: Some("PUT".to_owned()),
                path: Some("/items/1".to_owned()),
                status: Some(200),
            })
        );
    }

    #[test]
    fn a_complete_segment_replaces_its_in_progress_document() {
        let store = TraceStore::default();
        let started = json!({"name": "s", "id": "aaaaaaaaaaaaaaaa", "trace_id": TRACE,
                             "start_time": 1.0, "in_progress": true});
        store.keep(segment(started)).unwrap();
        assert_eq!(store.summaries()[0].duration, None);
        let done = json!({"name": "s", "id": "aaaaaaaaaaaaaaaa", "trace_id": TRACE,
                          "start_time": 1.0, "end_time": 3.0, "fault": true});
        store.keep(segment(done)).unwrap();
        let trace = store.trace(&trace_id()).unwrap();
        assert_eq!(trace.segments.len(), 1);
        assert_eq!(trace.summary.duration, Some(2.0));
        assert!(trace.summary.fault);
    }

    #[test]
    fn a_part_whose_parent_never_arrived_is_a_root() {
        let store = TraceStore::default();
        store
            .keep(segment(json!({"type": "subsegment", "name": "orphan",
                                 "id": "aaaaaaaaaaaaaaaa", "trace_id": TRACE,
                                 "parent_id": "ffffffffffffffff",
                                 "start_time": 1.0, "end_time": 2.0})))
            .unwrap();
        let trace = store.trace(&trace_id()).unwrap();
        assert_eq!(trace.segments[0].name, "orphan");
        assert_eq!(trace.summary.http, None);
    }

    #[test]
    fn traces_are_listed_latest_first_and_the_oldest_is_forgotten_past_the_bound() {
        let store = TraceStore::default();
        for n in 0..=MAX_TRACES {
            let id = TraceId::new(0x5800_0000, n as u128);
            store
                .keep(segment(json!({"name": "s", "id": "aaaaaaaaaaaaaaaa",
                                     "trace_id": id.as_str(),
                                     "start_time": n as f64, "end_time": n as f64 + 0.5})))
                .unwrap();
        }
        let summaries = store.summaries();
        assert_eq!(summaries.len(), MAX_TRACES);
        assert_eq!(summaries[0].start_time, MAX_TRACES as f64);
        assert!(store.trace(&TraceId::new(0x5800_0000, 0)).is_none());
        assert!(store.trace(&TraceId::new(0x5800_0000, 1)).is_some());
    }

    #[test]
    fn a_trace_keeps_a_bounded_number_of_documents_and_counts_the_rest() {
        let store = TraceStore::default();
        for n in 0..MAX_DOCUMENTS_PER_TRACE + 3 {
            store
                .keep(segment(
                    json!({"name": "s", "id": format!("{n:016x}"), "trace_id": TRACE,
                                     "start_time": 1.0, "end_time": 2.0}),
                ))
                .unwrap();
        }
        assert_eq!(store.refused(), 3);
        let invalid = segment(json!({"name": "s", "id": "x", "trace_id": TRACE,
                                     "start_time": 1.0, "end_time": 2.0}));
        assert!(store.keep(invalid).is_err());
        assert_eq!(store.refused(), 4);
    }

    #[test]
    fn paths_are_read_from_urls_and_bare_paths() {
        assert_eq!(path_of("https://h.example/items/1?a=b"), "/items/1");
        assert_eq!(path_of("http://h.example"), "/");
        assert_eq!(path_of("/items"), "/items");
    }
}
