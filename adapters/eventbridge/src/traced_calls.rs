//! What each EventBridge call acts on, for its trace, and the trace header its entries carry on.

use aws_sdk_eventbridge::operation::put_events::PutEventsInput;
use items_traces::{AwsCallSpans, CallResource, Input};

/// The interceptor tracing every call of the publisher's client, and setting each PutEvents
/// entry's `TraceHeader` to the call's trace, so a rule target's trace continues it; when
/// traces are on.
pub(crate) fn traced_calls() -> Option<AwsCallSpans> {
    AwsCallSpans::when_traced(bus).map(|spans| spans.propagating(set_trace_header))
}

/// The bus a PutEvents call's entries go to (the first entry's: the publisher sends each call
/// to one bus).
fn bus(input: &Input) -> Option<CallResource> {
    let input = input.downcast_ref::<PutEventsInput>()?;
    let bus = input.entries().first()?.event_bus_name()?;
    Some(CallResource::Bus(bus.to_owned()))
}

fn set_trace_header(input: &mut Input, header: &str) {
    if let Some(input) = input.downcast_mut::<PutEventsInput>() {
        for entry in input.entries.iter_mut().flatten() {
            entry.trace_header = Some(header.to_owned());
        }
    }
}
