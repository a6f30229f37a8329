//! A deployed stage's configuration, read from `terraform show -json` of its applied state:
//! the HTTP API's routes and integrations, its JWT authorizer, CORS and throttling, each
//! function's environment, memory, timeout and package, and the table stream's mapping. Nothing
//! here comes from `routes.json`: a route the Terraform did not apply is not served.
//!
//! What the state holds but the emulators cannot honour is listed in [`AppliedStage::gaps`],
//! which the stage prints on start-up.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use apigateway_emulator::{CorsConfig, PayloadVersion, ThrottleConfig};
use serde_json::Value;

/// One route as applied: its key and the function its integration invokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRoute {
    /// e.g. `GET /items/{id}`.
    pub route_key: String,
    /// The Lambda function's name, e.g. `items-api-staging-get-item`.
    pub function_name: String,
}

/// One Lambda function as applied.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedFunction {
    /// Its name in the stage.
    pub function_name: String,
    /// The package it runs: the folder of its zip (`target/lambda/<package>/bootstrap.zip`),
    /// which is also the name of its binary.
    pub package: String,
    /// Exactly the environment Terraform gave it.
    pub environment: Vec<(String, String)>,
    /// Configured memory, MB.
    pub memory_size_mb: u32,
    /// Configured timeout.
    pub timeout: Duration,
    /// e.g. `["arm64"]`: the one setting a host build cannot honour.
    pub architectures: Vec<String>,
    /// Whether its `tracing_config` is `Active`: Lambda records a segment per invocation and
    /// gives the function the X-Ray daemon's address.
    pub active_tracing: bool,
}

/// The JWT authorizer as applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedAuthorizer {
    /// The expected `iss`.
    pub issuer: String,
    /// Accepted audiences (app client ids).
    pub audiences: Vec<String>,
    /// Where the token is read, e.g. `$request.header.Authorization`.
    pub identity_sources: Vec<String>,
}

/// The DynamoDB stream's event source mapping as applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedStreamMapping {
    /// The function it invokes (name in the stage).
    pub function_name: String,
    /// The table whose stream it reads.
    pub table_name: String,
    /// Records per invocation.
    pub batch_size: i32,
    /// Retries before a batch is given up (-1: until the record expires).
    pub max_retry_attempts: i64,
    /// `TRIM_HORIZON` or `LATEST`.
    pub starting_position: String,
    /// Whether the function's partial batch responses are honoured.
    pub report_batch_item_failures: bool,
}

/// Everything the local stage serves, as the Terraform applied it.
#[derive(Debug, Clone)]
pub struct AppliedStage {
    /// The routes, in the state's order.
    pub routes: Vec<AppliedRoute>,
    /// Every function, by name.
    pub functions: BTreeMap<String, AppliedFunction>,
    /// The integrations' payload format (all of them share it).
    pub payload: PayloadVersion,
    /// The integrations' timeout (all of them share it).
    pub integration_timeout: Duration,
    /// The JWT authorizer every route uses.
    pub authorizer: AppliedAuthorizer,
    /// The API's CORS configuration; `None` when it has none.
    pub cors: Option<CorsConfig>,
    /// The `$default` stage's throttling.
    pub throttle: ThrottleConfig,
    /// The stream mappings.
    pub stream_mappings: Vec<AppliedStreamMapping>,
    /// The log group an applied rule delivers the stage's bus events to, if any.
    pub event_log_group: Option<String>,
    /// Settings the state holds that this stage does not honour, one sentence each.
    pub gaps: Vec<String>,
}

/// Why the applied state cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum AppliedError {
    /// The file could not be read or is not JSON.
    #[error("{path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The state lacks something a stage needs, or holds something the emulators cannot serve.
    #[error("the applied stage: {0}")]
    Unservable(String),
}

fn unservable(message: impl Into<String>) -> AppliedError {
    AppliedError::Unservable(message.into())
}

impl AppliedStage {
    /// Reads `terraform show -json` output from `path`.
    pub fn read(path: &Path) -> Result<Self, AppliedError> {
        let read_error = |reason: String| AppliedError::Read {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| read_error(e.to_string()))?;
        let state: Value = serde_json::from_str(&text).map_err(|e| read_error(e.to_string()))?;
        Self::from_state(&state)
    }

    /// The stage of a parsed `terraform show -json` document.
    pub fn from_state(state: &Value) -> Result<Self, AppliedError> {
        let resources = Resources::of(state);
        let mut gaps = Vec::new();

        let functions = applied_functions(&resources, &mut gaps)?;
        let api = resources
            .single("aws_apigatewayv2_api")
            .ok_or_else(|| unservable("no aws_apigatewayv2_api (an HTTP API) was applied"))?;
        let authorizer = applied_authorizer(&resources)?;
        let (routes, payload, integration_timeout) =
            applied_routes(&resources, &authorizer.0, &functions)?;
        let throttle = applied_throttle(&resources)?;
        let cors = api
            .get("cors_configuration")
            .and_then(Value::as_array)
            .and_then(|blocks| blocks.first())
            .map(cors_config);
        let stream_mappings = applied_stream_mappings(&resources, &functions, &mut gaps)?;
        let event_log_group = applied_event_log_group(&resources);
        if event_log_group.is_none() {
            gaps.push("no applied rule delivers the bus's events to a log group: GET /_local/events is not served".to_owned());
        }
        gaps.push(
            "the access log is written in the local stage's format (the same keys as the applied access_log_settings), to stdout rather than the log group".to_owned(),
        );
        gaps.push(
            "functions' logging_config and reserved or provisioned concurrency are not applied: logs go to the stage's output; traces of functions with active tracing go to the stage's own X-Ray daemon (GET /_local/traces), not to X-Ray".to_owned(),
        );
        Ok(Self {
            routes,
            functions,
            payload,
            integration_timeout,
            authorizer: authorizer.1,
            cors,
            throttle,
            stream_mappings,
            event_log_group,
            gaps,
        })
    }
}

/// The managed resources of the state's root module and child modules.
struct Resources<'a>(Vec<&'a Value>);

impl<'a> Resources<'a> {
    fn of(state: &'a Value) -> Self {
        fn walk<'a>(module: &'a Value, found: &mut Vec<&'a Value>) {
            if let Some(resources) = module.get("resources").and_then(Value::as_array) {
                found.extend(
                    resources
                        .iter()
                        .filter(|r| r.get("mode").and_then(Value::as_str) == Some("managed")),
                );
            }
            if let Some(children) = module.get("child_modules").and_then(Value::as_array) {
                for child in children {
                    walk(child, found);
                }
            }
        }
        let mut found = Vec::new();
        if let Some(root) = state.pointer("/values/root_module") {
            walk(root, &mut found);
        }
        Self(found)
    }

    /// The `values` of every resource of `kind`.
    fn all(&self, kind: &str) -> impl Iterator<Item = &'a Value> + '_ {
        let kind = kind.to_owned();
        self.0
            .iter()
            .filter(move |r| r.get("type").and_then(Value::as_str) == Some(kind.as_str()))
            .filter_map(|r| r.get("values"))
    }

    fn single(&self, kind: &str) -> Option<&'a Value> {
        self.all(kind).next()
    }
}

/// The function name in a Lambda function ARN (or in a text ending with one); a bare name is
/// itself.
fn function_name_in(arn: &str) -> String {
    arn.rsplit(":function:")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn text<'a>(values: &'a Value, key: &str) -> &'a str {
    values.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn strings(values: &Value, key: &str) -> Vec<String> {
    values
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn applied_functions(
    resources: &Resources<'_>,
    gaps: &mut Vec<String>,
) -> Result<BTreeMap<String, AppliedFunction>, AppliedError> {
    let mut functions = BTreeMap::new();
    for values in resources.all("aws_lambda_function") {
        let function_name = text(values, "function_name").to_owned();
        let filename = text(values, "filename");
        let package = Path::new(filename)
            .parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| {
                unservable(format!(
                    "function {function_name}: its package {filename:?} is not target/lambda/<package>/bootstrap.zip"
                ))
            })?
            .to_owned();
        let environment = values
            .pointer("/environment/0/variables")
            .and_then(Value::as_object)
            .map(|variables| {
                variables
                    .iter()
                    .map(|(name, value)| {
                        (name.clone(), value.as_str().unwrap_or_default().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let number = |key: &str| values.get(key).and_then(Value::as_u64);
        let memory_size_mb = number("memory_size")
            .and_then(|mb| u32::try_from(mb).ok())
            .ok_or_else(|| unservable(format!("function {function_name} has no memory_size")))?;
        let timeout = number("timeout")
            .map(Duration::from_secs)
            .ok_or_else(|| unservable(format!("function {function_name} has no timeout")))?;
        let architectures = strings(values, "architectures");
        let active_tracing = values
            .pointer("/tracing_config/0/mode")
            .and_then(Value::as_str)
            == Some("Active");
        functions.insert(
            function_name.clone(),
            AppliedFunction {
                function_name,
                package,
                environment,
                memory_size_mb,
                timeout,
                architectures,
                active_tracing,
            },
        );
    }
    if functions.is_empty() {
        return Err(unservable("no aws_lambda_function was applied"));
    }
    let mut deployed_for: Vec<String> = functions
        .values()
        .flat_map(|f| f.architectures.iter().cloned())
        .collect();
    deployed_for.sort();
    deployed_for.dedup();
    gaps.push(format!(
        "the functions are deployed for {}; here each runs a host build ({}): the architecture is not honoured",
        deployed_for.join(", "),
        std::env::consts::ARCH
    ));
    Ok(functions)
}

/// The authorizer's id and settings.
fn applied_authorizer(
    resources: &Resources<'_>,
) -> Result<(String, AppliedAuthorizer), AppliedError> {
    let mut authorizers = resources
        .all("aws_apigatewayv2_authorizer")
        .filter(|a| text(a, "authorizer_type") == "JWT");
    let values = authorizers
        .next()
        .ok_or_else(|| unservable("no JWT aws_apigatewayv2_authorizer was applied"))?;
    if authorizers.next().is_some() {
        return Err(unservable(
            "more than one JWT authorizer was applied; the emulator serves one",
        ));
    }
    let jwt = values
        .pointer("/jwt_configuration/0")
        .ok_or_else(|| unservable("the JWT authorizer has no jwt_configuration"))?;
    let authorizer = AppliedAuthorizer {
        issuer: text(jwt, "issuer").to_owned(),
        audiences: strings(jwt, "audience"),
        identity_sources: strings(values, "identity_sources"),
    };
    if authorizer.identity_sources != ["$request.header.Authorization"] {
        return Err(unservable(format!(
            "the authorizer reads the token from {:?}; the emulator reads $request.header.Authorization only",
            authorizer.identity_sources
        )));
    }
    Ok((text(values, "id").to_owned(), authorizer))
}

/// The routes, and the payload format and timeout their integrations share.
fn applied_routes(
    resources: &Resources<'_>,
    authorizer_id: &str,
    functions: &BTreeMap<String, AppliedFunction>,
) -> Result<(Vec<AppliedRoute>, PayloadVersion, Duration), AppliedError> {
    let integrations: BTreeMap<&str, &Value> = resources
        .all("aws_apigatewayv2_integration")
        .map(|i| (text(i, "id"), i))
        .collect();
    let mut routes = Vec::new();
    let mut payloads = Vec::new();
    let mut timeouts = Vec::new();
    for route in resources.all("aws_apigatewayv2_route") {
        let route_key = text(route, "route_key").to_owned();
        if text(route, "authorization_type") != "JWT"
            || text(route, "authorizer_id") != authorizer_id
        {
            return Err(unservable(format!(
                "route {route_key} is not behind the JWT authorizer; the emulator serves every route behind it"
            )));
        }
        let integration_id = text(route, "target").trim_start_matches("integrations/");
        let integration = integrations.get(integration_id).ok_or_else(|| {
            unservable(format!(
                "route {route_key} targets integration {integration_id:?}, which was not applied"
            ))
        })?;
        // arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations
        let function_name =
            function_name_in(text(integration, "integration_uri").trim_end_matches("/invocations"));
        if !functions.contains_key(&function_name) {
            return Err(unservable(format!(
                "route {route_key} invokes {function_name:?}, which is not an applied function"
            )));
        }
        payloads.push(text(integration, "payload_format_version").to_owned());
        timeouts.push(
            integration
                .get("timeout_milliseconds")
                .and_then(Value::as_u64)
                .unwrap_or(30_000),
        );
        routes.push(AppliedRoute {
            route_key,
            function_name,
        });
    }
    if routes.is_empty() {
        return Err(unservable("no aws_apigatewayv2_route was applied"));
    }
    payloads.dedup();
    timeouts.sort_unstable();
    timeouts.dedup();
    let payload = match payloads.as_slice() {
        [one] if one == "2.0" => PayloadVersion::V2,
        [one] if one == "1.0" => PayloadVersion::V1,
        other => {
            return Err(unservable(format!(
                "the integrations' payload formats {other:?}: the emulator serves one format, 1.0 or 2.0"
            )))
        }
    };
    let timeout = match timeouts.as_slice() {
        [one] => Duration::from_millis(*one),
        other => {
            return Err(unservable(format!(
                "the integrations' timeouts {other:?} ms differ: the emulator has one"
            )))
        }
    };
    Ok((routes, payload, timeout))
}

fn applied_throttle(resources: &Resources<'_>) -> Result<ThrottleConfig, AppliedError> {
    let stage = resources
        .all("aws_apigatewayv2_stage")
        .find(|s| text(s, "name") == "$default")
        .ok_or_else(|| unservable("no $default aws_apigatewayv2_stage was applied"))?;
    let settings = stage.pointer("/default_route_settings/0");
    let burst = settings
        .and_then(|s| s.get("throttling_burst_limit"))
        .and_then(Value::as_u64)
        .and_then(|b| u32::try_from(b).ok());
    let rate = settings
        .and_then(|s| s.get("throttling_rate_limit"))
        .and_then(Value::as_f64);
    match (burst, rate) {
        (Some(burst), Some(rate)) => Ok(ThrottleConfig { burst, rate }),
        _ => Err(unservable(
            "the $default stage has no default_route_settings throttling to read back",
        )),
    }
}

fn cors_config(block: &Value) -> CorsConfig {
    CorsConfig {
        allow_origins: strings(block, "allow_origins"),
        allow_methods: strings(block, "allow_methods"),
        allow_headers: strings(block, "allow_headers"),
        expose_headers: strings(block, "expose_headers"),
        max_age: block
            .get("max_age")
            .and_then(Value::as_u64)
            .and_then(|age| u32::try_from(age).ok())
            .filter(|age| *age > 0),
        allow_credentials: block
            .get("allow_credentials")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}

/// The log group of a rule's target on one of the applied buses.
fn applied_event_log_group(resources: &Resources<'_>) -> Option<String> {
    let buses: Vec<&str> = resources
        .all("aws_cloudwatch_event_bus")
        .map(|bus| text(bus, "name"))
        .collect();
    resources
        .all("aws_cloudwatch_event_target")
        .filter(|target| buses.contains(&text(target, "event_bus_name")))
        .find_map(|target| {
            // arn:aws:logs:<region>:<account>:log-group:<name>[:*]
            let (_, name) = text(target, "arn").split_once(":log-group:")?;
            Some(name.trim_end_matches(":*").to_owned())
        })
}

fn applied_stream_mappings(
    resources: &Resources<'_>,
    functions: &BTreeMap<String, AppliedFunction>,
    gaps: &mut Vec<String>,
) -> Result<Vec<AppliedStreamMapping>, AppliedError> {
    let mut mappings = Vec::new();
    for values in resources.all("aws_lambda_event_source_mapping") {
        let source = text(values, "event_source_arn");
        // arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
        let Some(table_name) = source
            .split_once(":table/")
            .and_then(|(_, rest)| rest.split_once("/stream/"))
            .map(|(table, _)| table.to_owned())
        else {
            gaps.push(format!(
                "the event source mapping of {source} is not a DynamoDB stream and is not served"
            ));
            continue;
        };
        let function_name = function_name_in(text(values, "function_name"));
        if !functions.contains_key(&function_name) {
            return Err(unservable(format!(
                "the mapping of {table_name}'s stream invokes {function_name:?}, which is not an applied function"
            )));
        }
        let mapping = AppliedStreamMapping {
            function_name,
            table_name,
            batch_size: values
                .get("batch_size")
                .and_then(Value::as_i64)
                .and_then(|size| i32::try_from(size).ok())
                .unwrap_or(100),
            max_retry_attempts: values
                .get("maximum_retry_attempts")
                .and_then(Value::as_i64)
                .unwrap_or(-1),
            starting_position: text(values, "starting_position").to_owned(),
            report_batch_item_failures: strings(values, "function_response_types")
                .iter()
                .any(|t| t == "ReportBatchItemFailures"),
        };
        gaps.push(format!(
            "the mapping of {}'s stream: bisect_batch_on_function_error, maximum_batching_window_in_seconds, maximum_record_age_in_seconds and the on-failure destination are not honoured (batch size {}, retries {} and the response types are)",
            mapping.table_name, mapping.batch_size, mapping.max_retry_attempts
        ));
        mappings.push(mapping);
    }
    Ok(mappings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(kind: &str, values: Value) -> Value {
        json!({"mode": "managed", "type": kind, "values": values})
    }

    fn state(extra: Vec<Value>) -> Value {
        let mut resources = vec![
            resource(
                "aws_apigatewayv2_api",
                json!({"id": "api", "cors_configuration": [{"allow_origins": ["*"], "allow_methods": ["GET"], "allow_headers": ["authorization"], "expose_headers": ["etag"], "max_age": 600, "allow_credentials": false}]}),
            ),
            resource(
                "aws_apigatewayv2_authorizer",
                json!({"id": "auth", "authorizer_type": "JWT", "identity_sources": ["$request.header.Authorization"], "jwt_configuration": [{"issuer": "https://issuer", "audience": ["client"]}]}),
            ),
            resource(
                "aws_apigatewayv2_integration",
                json!({"id": "int", "payload_format_version": "2.0", "timeout_milliseconds": 12000, "integration_uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:s-get-item/invocations"}),
            ),
            resource(
                "aws_apigatewayv2_route",
                json!({"route_key": "GET /items/{id}", "target": "integrations/int", "authorization_type": "JWT", "authorizer_id": "auth"}),
            ),
            resource(
                "aws_apigatewayv2_stage",
                json!({"name": "$default", "default_route_settings": [{"throttling_burst_limit": 200, "throttling_rate_limit": 100.0}]}),
            ),
            resource(
                "aws_lambda_function",
                json!({"function_name": "s-get-item", "filename": "./../target/lambda/get-item/bootstrap.zip", "memory_size": 256, "timeout": 7, "architectures": ["arm64"], "environment": [{"variables": {"ITEMS_TABLE": "s-items"}}]}),
            ),
        ];
        resources.extend(extra);
        json!({"values": {"root_module": {"resources": resources}}})
    }

    #[test]
    fn a_route_is_served_by_the_function_its_integration_invokes_with_that_functions_settings() {
        let stage = AppliedStage::from_state(&state(vec![])).unwrap();
        assert_eq!(
            stage.routes,
            vec![AppliedRoute {
                route_key: "GET /items/{id}".into(),
                function_name: "s-get-item".into()
            }]
        );
        let function = &stage.functions["s-get-item"];
        assert_eq!(function.package, "get-item");
        assert_eq!(
            function.environment,
            vec![("ITEMS_TABLE".into(), "s-items".into())]
        );
        assert_eq!(
            (function.memory_size_mb, function.timeout),
            (256, Duration::from_secs(7))
        );
        assert_eq!(stage.integration_timeout, Duration::from_millis(12000));
        assert_eq!(stage.authorizer.audiences, vec!["client".to_owned()]);
        assert_eq!((stage.throttle.burst, stage.throttle.rate), (200, 100.0));
        assert_eq!(stage.cors.unwrap().max_age, Some(600));
    }

    #[test]
    fn a_route_invoking_a_function_that_was_not_applied_is_refused() {
        let mut state = state(vec![]);
        let resources = state
            .pointer_mut("/values/root_module/resources")
            .and_then(Value::as_array_mut)
            .unwrap();
        resources.retain(|r| r["type"] != "aws_lambda_function");
        resources.push(resource("aws_lambda_function", json!({"function_name": "s-other", "filename": "../target/lambda/other/bootstrap.zip", "memory_size": 128, "timeout": 3})));
        let error = AppliedStage::from_state(&state).unwrap_err().to_string();
        assert!(error.contains("s-get-item"), "{error}");
    }

    #[test]
    fn a_stream_mapping_keeps_its_response_types_and_names_what_is_not_honoured() {
        let mapping = resource(
            "aws_lambda_event_source_mapping",
            json!({"event_source_arn": "arn:aws:dynamodb:us-east-1:1:table/s-items/stream/2026", "function_name": "arn:aws:lambda:us-east-1:1:function:s-get-item", "batch_size": 25, "maximum_retry_attempts": 3, "starting_position": "TRIM_HORIZON", "function_response_types": []}),
        );
        let stage = AppliedStage::from_state(&state(vec![mapping])).unwrap();
        let applied = &stage.stream_mappings[0];
        assert_eq!(applied.table_name, "s-items");
        assert_eq!((applied.batch_size, applied.max_retry_attempts), (25, 3));
        assert!(!applied.report_batch_item_failures);
        assert!(stage.gaps.iter().any(|gap| gap.contains("bisect")));
    }

    #[test]
    fn an_authorizer_reading_another_identity_source_is_refused() {
        let mut state = state(vec![]);
        let resources = state
            .pointer_mut("/values/root_module/resources")
            .and_then(Value::as_array_mut)
            .unwrap();
        resources[1]["values"]["identity_sources"] = json!(["$request.header.X-Token"]);
        let error = AppliedStage::from_state(&state).unwrap_err().to_string();
        assert!(error.contains("X-Token"), "{error}");
    }
}
