//! What a million requests cost, per route, from the run's own figures: the measured warm
//! Durations (billed as Lambda bills them, rounded up to the millisecond) and cold inits, the
//! DynamoDB request units of the calls each route makes for the item size stored in the run, and
//! the prices below. The same request on a Python function (Powertools and boto3 at 256 MB,
//! about 500 ms init and 5 ms warm) is priced beside it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use items_apigateway::Route;
use items_dynamodb::table_design::{operations_of_port, Operation};
use serde::Serialize;

/// The prices the table uses (US East (N. Virginia), on-demand, arm64).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Prices {
    /// Where the prices hold.
    pub region: &'static str,
    /// API Gateway HTTP API, per million requests (first 300 million a month).
    pub http_api_per_million: f64,
    /// API Gateway REST API, per million requests (first 333 million a month).
    pub rest_api_per_million: f64,
    /// Lambda, per million requests.
    pub lambda_per_million: f64,
    /// Lambda on arm64, per GB-second (first 7.5 billion GB-s a month).
    pub lambda_gb_second: f64,
    /// DynamoDB on-demand, per million read request units.
    pub read_unit_per_million: f64,
    /// DynamoDB on-demand, per million write request units.
    pub write_unit_per_million: f64,
}

/// The prices of US East (N. Virginia).
pub(crate) const US_EAST_1: Prices = Prices {
    region: "us-east-1",
    http_api_per_million: 1.00,
    rest_api_per_million: 3.50,
    lambda_per_million: 0.20,
    lambda_gb_second: 0.000_013_333_4,
    read_unit_per_million: 0.125,
    write_unit_per_million: 0.625,
};

/// The Python function the Rust one is compared with.
pub(crate) const PYTHON_MEMORY_MB: f64 = 256.0;
/// Its cold init.
pub(crate) const PYTHON_INIT_MS: f64 = 500.0;
/// Its warm Duration.
pub(crate) const PYTHON_WARM_MS: f64 = 5.0;

/// What the estimate assumes beyond the prices.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Assumptions {
    /// The share of requests that start a new execution environment (init is billed then).
    pub cold_start_share: f64,
    /// The stored size of one item, in DynamoDB's terms (attribute names and values).
    pub item_bytes: usize,
    /// Items a listing reads (the page and one more).
    pub listing_items: usize,
}

/// One route's cost per million requests, in dollars.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RouteCost {
    /// The route.
    pub route: String,
    /// Its function's memory size, which its Duration was measured and is priced at.
    pub memory_mb: u32,
    /// Read request units per request.
    pub read_units: f64,
    /// Write request units per request.
    pub write_units: f64,
    /// The mean billed Duration, in ms.
    pub billed_ms: f64,
    /// The cold init billed on a cold start, in ms.
    pub init_ms: f64,
    /// Lambda: requests, Duration and init.
    pub lambda: f64,
    /// DynamoDB request units.
    pub dynamodb: f64,
    /// Everything, behind an HTTP API.
    pub total_http_api: f64,
    /// Everything, behind a REST API.
    pub total_rest_api: f64,
    /// The Python function's Lambda cost for the same request.
    pub python_lambda: f64,
    /// Everything with the Python function, behind an HTTP API.
    pub python_total_http_api: f64,
}

/// The measured figures of one route the estimate starts from.
#[derive(Debug, Clone)]
pub(crate) struct RouteFigures {
    /// The route.
    pub route: Route,
    /// Mean billed Duration (each request rounded up to the ms).
    pub billed_ms: f64,
    /// Median cold init.
    pub init_ms: f64,
}

/// The size DynamoDB bills an item at: attribute names plus values (strings as UTF-8, numbers
/// at about one byte per two significant digits plus one).
pub(crate) fn item_size(attributes: &HashMap<String, AttributeValue>) -> usize {
    attributes
        .iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(text) => text.len(),
                    AttributeValue::N(number) => {
                        let digits = number.chars().filter(char::is_ascii_digit).count();
                        digits.div_ceil(2) + 1
                    }
                    AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
                    _ => 0,
                }
        })
        .sum()
}

/// Request units of one operation: reads in 4 KB steps (consistent reads whole, eventually
/// consistent scans and queries half), writes in 1 KB steps, and one more write of the same
/// size to the category index, which projects every attribute.
fn units(operation: Operation, assumptions: &Assumptions) -> (f64, f64) {
    let item = assumptions.item_bytes;
    let read = |bytes: usize| bytes.div_ceil(4096) as f64;
    let write = |bytes: usize| 2.0 * bytes.div_ceil(1024) as f64;
    match operation {
        Operation::Get => (read(item), 0.0),
        Operation::ListAll | Operation::ListCategory => {
            (0.5 * read(item * assumptions.listing_items), 0.0)
        }
        Operation::Insert | Operation::Update | Operation::Delete => (0.0, write(item)),
        // Transactions bill twice; the idempotency record holds a copy of the item.
        Operation::InsertIdempotent => (0.0, 2.0 * (write(item) + item.div_ceil(1024) as f64)),
    }
}

/// The operations that need what the bench's requests never carry: a listing's `category`
/// (a Query of the index instead of a Scan) and a create's `Idempotency-Key` (a transaction
/// instead of a Put).
const NOT_SENT_BY_THE_BENCH: [Operation; 2] =
    [Operation::ListCategory, Operation::InsertIdempotent];

/// The operations one request to `route` makes, as the bench sends it: each operation of its
/// use case's ports once, less those its requests never trigger.
pub(crate) fn operations_per_request(route: Route) -> Vec<Operation> {
    route
        .ports()
        .iter()
        .flat_map(|port| operations_of_port(*port))
        .copied()
        .filter(|operation| !NOT_SENT_BY_THE_BENCH.contains(operation))
        .collect()
}

/// The cost table.
pub(crate) fn estimate(
    routes: &[RouteFigures],
    prices: &Prices,
    assumptions: &Assumptions,
) -> Vec<RouteCost> {
    let lambda = |memory_mb: f64, billed_ms: f64, init_ms: f64| {
        let gb = memory_mb / 1024.0;
        prices.lambda_per_million
            + 1e6 * gb * billed_ms / 1000.0 * prices.lambda_gb_second
            + 1e6 * assumptions.cold_start_share * gb * init_ms / 1000.0 * prices.lambda_gb_second
    };
    routes
        .iter()
        .map(|route| {
            let (read_units, write_units) = operations_per_request(route.route)
                .into_iter()
                .map(|op| units(op, assumptions))
                .fold((0.0, 0.0), |(r, w), (dr, dw)| (r + dr, w + dw));
            let dynamodb = read_units * prices.read_unit_per_million
                + write_units * prices.write_unit_per_million;
            let memory_mb = route.route.memory_size_mb();
            let rust = lambda(f64::from(memory_mb), route.billed_ms, route.init_ms);
            let python = lambda(PYTHON_MEMORY_MB, PYTHON_WARM_MS, PYTHON_INIT_MS);
            RouteCost {
                route: route.route.route_key().to_owned(),
                memory_mb,
                read_units,
                write_units,
                billed_ms: route.billed_ms,
                init_ms: route.init_ms,
                lambda: rust,
                dynamodb,
                total_http_api: prices.http_api_per_million + rust + dynamodb,
                total_rest_api: prices.rest_api_per_million + rust + dynamodb,
                python_lambda: python,
                python_total_http_api: prices.http_api_per_million + python + dynamodb,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assumptions() -> Assumptions {
        Assumptions {
            cold_start_share: 0.01,
            item_bytes: 300,
            listing_items: 21,
        }
    }

    fn route(route: Route, billed_ms: f64) -> RouteFigures {
        RouteFigures {
            route,
            billed_ms,
            init_ms: 10.0,
        }
    }

    #[test]
    fn a_read_costs_the_gateway_the_lambda_request_its_duration_and_one_read_unit() {
        let costs = estimate(&[route(Route::GetItem, 4.0)], &US_EAST_1, &assumptions());
        let get = &costs[0];
        assert_eq!(get.route, "GET /items/{id}");
        assert_eq!((get.read_units, get.write_units), (1.0, 0.0));
        // 0.20 + 1e6 * 0.125 GB * 0.004 s * price + 1% of 0.125 GB * 0.010 s per request
        let lambda = 0.20 + 0.125 * 4.0 * 13.3334e-3 + 0.01 * 0.125 * 10.0 * 13.3334e-3;
        assert!((get.lambda - lambda).abs() < 1e-9, "{}", get.lambda);
        assert!((get.dynamodb - 0.125).abs() < 1e-9);
        assert!((get.total_http_api - (1.0 + lambda + 0.125)).abs() < 1e-9);
        assert!((get.total_rest_api - get.total_http_api - 2.5).abs() < 1e-9);
        let python = 0.20 + 0.25 * 5.0 * 13.3334e-3 + 0.01 * 0.25 * 500.0 * 13.3334e-3;
        assert!((get.python_lambda - python).abs() < 1e-9);
    }

    #[test]
    fn each_route_is_priced_at_its_own_functions_memory_size() {
        let routes: Vec<_> = Route::ALL.iter().map(|r| route(*r, 4.0)).collect();
        let costs = estimate(&routes, &US_EAST_1, &assumptions());
        for (route, cost) in Route::ALL.iter().zip(&costs) {
            let gb = f64::from(route.memory_size_mb()) / 1024.0;
            let lambda = 0.20 + gb * 4.0 * 13.3334e-3 + 0.01 * gb * 10.0 * 13.3334e-3;
            assert_eq!(cost.memory_mb, route.memory_size_mb());
            assert!(
                (cost.lambda - lambda).abs() < 1e-9,
                "{route:?}: {}",
                cost.lambda
            );
        }
    }

    #[test]
    fn a_listing_reads_its_page_eventually_consistent_and_writes_touch_the_index() {
        let costs = estimate(
            &[route(Route::ListItems, 10.0), route(Route::CreateItem, 3.0)],
            &US_EAST_1,
            &assumptions(),
        );
        // 21 items of 300 bytes: 6,300 bytes, two 4 KB steps, half each.
        assert_eq!(costs[0].read_units, 1.0);
        // One 1 KB write to the table and one to the category index.
        assert_eq!((costs[1].read_units, costs[1].write_units), (0.0, 2.0));
    }

    #[test]
    fn a_patch_costs_what_a_replace_costs_one_conditional_update() {
        assert_eq!(
            operations_per_request(Route::PatchItem),
            [Operation::Update]
        );
        let costs = estimate(
            &[route(Route::UpdateItem, 3.0), route(Route::PatchItem, 3.0)],
            &US_EAST_1,
            &assumptions(),
        );
        assert_eq!((costs[1].read_units, costs[1].write_units), (0.0, 2.0));
        assert_eq!(costs[0].dynamodb, costs[1].dynamodb);
    }

    #[test]
    fn a_request_makes_one_operation_of_each_of_its_ports_the_bench_can_trigger() {
        assert_eq!(
            operations_per_request(Route::ListItems),
            [Operation::ListAll]
        );
        assert_eq!(
            operations_per_request(Route::CreateItem),
            [Operation::Insert]
        );
        assert_eq!(
            operations_per_request(Route::DeleteItem),
            [Operation::Delete]
        );
        for route in Route::ALL {
            assert!(
                !operations_per_request(route).is_empty(),
                "{route:?} makes no store call"
            );
        }
    }

    #[test]
    fn item_size_counts_names_and_values() {
        let item = HashMap::from([
            ("id".to_owned(), AttributeValue::S("abcd".to_owned())),
            ("version".to_owned(), AttributeValue::N("12".to_owned())),
        ]);
        assert_eq!(item_size(&item), 2 + 4 + 7 + 2);
    }
}
