//! `openapi.yaml`, the API's machine-readable contract, with a compiled JSON Schema (2020-12,
//! the dialect of OpenAPI 3.1) validator for every schema it holds, so a test can ask whether a
//! response is one the contract allows for its operation: a documented status, a listed content
//! type, a body matching that content's schema (a problem's `status` being the response's), and
//! every required header present and valid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonschema::{Draft, Registry, Validator};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// The contract, as committed at the repository root.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// The URI the document is registered under, so schemas refer to each other by JSON pointer.
/// `.invalid` never resolves: nothing is ever fetched.
const DOCUMENT_URI: &str = "https://items-api.invalid/openapi.yaml";

/// RFC 9457's media type. Its `status` member must be the response's status: a rule about the
/// body and the status line together, which a schema alone cannot state. It keeps a response
/// whose first media type is a union for generators (a problem or API Gateway's message) exact.
const PROBLEM_JSON: &str = "application/problem+json";

/// Why `openapi.yaml` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The text is not YAML, or not a mapping.
    #[error("openapi.yaml is not a YAML document: {0}")]
    Yaml(String),
    /// A JSON pointer (often a `$ref`) leads nowhere.
    #[error("openapi.yaml has nothing at {0}")]
    Missing(String),
    /// A schema does not compile: a bad keyword, a bad pattern, or a `$ref` that leads nowhere.
    #[error("the schema at {pointer} does not compile: {reason}")]
    Schema {
        /// Where the schema is.
        pointer: String,
        /// What the compiler said.
        reason: String,
    },
}

/// A response as the suite received it: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl Observed {
    /// Reads a whole response.
    pub async fn receive(response: reqwest::Response) -> Result<Self, reqwest::Error> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(Self {
            status,
            headers,
            body,
        })
    }

    /// A header's value, when present and readable as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of `content-type`, lower-case and without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .map(|media| media.trim().to_ascii_lowercase())
    }

    /// The body as JSON; `None` when it is empty or not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The loaded contract with a validator for each of its schemas.
pub struct OpenApi {
    document: Value,
    /// The document, registered so references between its schemas resolve.
    registry: Registry<'static>,
    /// Keyed by the JSON pointer of the schema inside the document.
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

impl std::fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenApi")
            .field("openapi", &self.document.get("openapi"))
            .finish_non_exhaustive()
    }
}

impl OpenApi {
    /// The repository's `openapi.yaml`.
    pub fn load() -> Result<Self, OpenApiError> {
        Self::parse(OPENAPI_YAML)
    }

    /// Reads an OpenAPI document and compiles every schema in it: each component schema and
    /// each `schema` of a parameter, header or media type.
    pub fn parse(yaml: &str) -> Result<Self, OpenApiError> {
        let document: Value =
            serde_norway::from_str(yaml).map_err(|e| OpenApiError::Yaml(e.to_string()))?;
        if !document.is_object() {
            return Err(OpenApiError::Yaml("the top level is not a mapping".into()));
        }
        let registry = Registry::new()
            .add(DOCUMENT_URI, document.clone())
            .and_then(|builder| builder.prepare())
            .map_err(|e| OpenApiError::Schema {
                pointer: String::new(),
                reason: e.to_string(),
            })?;
        let api = Self {
            document,
            registry,
            validators: Mutex::new(HashMap::new()),
        };
        let mut pointers = Vec::new();
        collect_schema_pointers(&api.document, String::new(), &mut pointers);
        for pointer in pointers {
            api.validator(&pointer)?;
        }
        Ok(api)
    }

    /// The validator of the schema at `pointer`, compiled on first use.
    fn validator(&self, pointer: &str) -> Result<Arc<Validator>, OpenApiError> {
        let mut validators = self
            .validators
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(validator) = validators.get(pointer) {
            return Ok(Arc::clone(validator));
        }
        if self.document.pointer(pointer).is_none() {
            return Err(OpenApiError::Missing(pointer.to_owned()));
        }
        let reference = json!({ "$ref": format!("{DOCUMENT_URI}#{}", fragment(pointer)) });
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .offline()
            .with_registry(&self.registry)
            .build(&reference)
            .map_err(|e| OpenApiError::Schema {
                pointer: pointer.to_owned(),
                reason: e.to_string(),
            })?;
        let validator = Arc::new(validator);
        validators.insert(pointer.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }

    /// The whole document, as JSON.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Every `(method, path template)` the document has an operation for, e.g.
    /// `("GET", "/items/{id}")`.
    pub fn operations(&self) -> Vec<(String, String)> {
        const METHODS: [&str; 8] = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        let mut operations = Vec::new();
        if let Some(paths) = self.document.get("paths").and_then(Value::as_object) {
            for (template, item) in paths {
                for method in METHODS {
                    if item.get(method).is_some() {
                        operations.push((method.to_ascii_uppercase(), template.clone()));
                    }
                }
            }
        }
        operations
    }

    /// What is at `pointer`, following `$ref`s to their targets; returns the target's pointer
    /// too.
    pub fn resolve<'a>(&'a self, pointer: &str) -> Result<(String, &'a Value), OpenApiError> {
        let mut pointer = pointer.to_owned();
        // A bound on chains of references, so a reference cycle is an error, not a hang.
        for _ in 0..16 {
            let value = self
                .document
                .pointer(&pointer)
                .ok_or_else(|| OpenApiError::Missing(pointer.clone()))?;
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => match reference.strip_prefix('#') {
                    Some(target) => pointer = target.to_owned(),
                    None => return Err(OpenApiError::Missing(reference.to_owned())),
                },
                None => return Ok((pointer, value)),
            }
        }
        Err(OpenApiError::Missing(format!(
            "{pointer} (a chain of $ref)"
        )))
    }

    /// Validates `instance` against the schema at `pointer`, e.g. `/components/schemas/Item` or
    /// `/components/schemas/Item/properties/name`. Every violation is listed.
    pub fn validate(&self, pointer: &str, instance: &Value) -> Result<(), Vec<String>> {
        let validator = self.validator(pointer).map_err(|e| vec![e.to_string()])?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|error| format!("at '{}': {error}", error.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Checks a response to `method` on `path_template` (e.g. `PUT /items/{id}`) against the
    /// operation's documented responses.
    pub fn check_operation(
        &self,
        method: &str,
        path_template: &str,
        observed: &Observed,
    ) -> Result<(), Vec<String>> {
        let responses = format!(
            "/paths/{}/{}/responses",
            escape(path_template),
            method.to_ascii_lowercase()
        );
        if self.document.pointer(&responses).is_none() {
            return Err(vec![format!(
                "openapi.yaml has no operation {method} {path_template}"
            )]);
        }
        let status = format!("{responses}/{}", observed.status);
        if self.document.pointer(&status).is_none() {
            return Err(vec![format!(
                "{method} {path_template} answered {}, which openapi.yaml does not list for it",
                observed.status
            )]);
        }
        self.check_response(&status, observed)
    }

    /// Checks a response against a response object, e.g. `/components/responses/RouteNotFound`.
    pub fn check_response(&self, pointer: &str, observed: &Observed) -> Result<(), Vec<String>> {
        let (pointer, response) = self.resolve(pointer).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();

        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            for name in headers.keys() {
                let header_pointer = format!("{pointer}/headers/{}", escape(name));
                let (header_pointer, header) = match self.resolve(&header_pointer) {
                    Ok(found) => found,
                    Err(e) => {
                        problems.push(e.to_string());
                        continue;
                    }
                };
                let required = header.get("required").and_then(Value::as_bool) == Some(true);
                match observed.header(name) {
                    Some(value) => {
                        let schema = format!("{header_pointer}/schema");
                        if let Err(errors) = self.validate(&schema, &Value::String(value.into())) {
                            problems.extend(
                                errors
                                    .into_iter()
                                    .map(|e| format!("header {name}: {value:?}: {e}")),
                            );
                        }
                    }
                    None if required => problems.push(format!("header {name} is missing")),
                    None => {}
                }
            }
        }

        match response.get("content").and_then(Value::as_object) {
            None => {
                if !observed.body.is_empty() {
                    problems.push(format!(
                        "the response has no documented content, but a body of {} bytes",
                        observed.body.len()
                    ));
                }
            }
            Some(content) => {
                let media_type = observed.media_type().unwrap_or_default();
                if content.contains_key(&media_type) {
                    let schema = format!("{pointer}/content/{}/schema", escape(&media_type));
                    match observed.json() {
                        Some(body) => {
                            if let Err(errors) = self.validate(&schema, &body) {
                                problems.extend(errors.into_iter().map(|e| {
                                    format!("body {}: {e}", String::from_utf8_lossy(&observed.body))
                                }));
                            }
                            if media_type == PROBLEM_JSON
                                && body.get("status") != Some(&json!(observed.status))
                            {
                                problems.push(format!(
                                    "a problem+json body's status must be the response's {}: {}",
                                    observed.status,
                                    String::from_utf8_lossy(&observed.body)
                                ));
                            }
                        }
                        None => problems.push(format!(
                            "the body is not JSON: {:?}",
                            String::from_utf8_lossy(&observed.body)
                        )),
                    }
                } else {
                    let listed: Vec<&String> = content.keys().collect();
                    problems.push(format!(
                        "content type {media_type:?} is not one of {listed:?} documented for status {}",
                        observed.status
                    ));
                }
            }
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Collects the pointer of every schema: all of `components/schemas`, and every `schema` field
/// (of a parameter, header or media type) elsewhere. Schemas are not searched inside.
fn collect_schema_pointers(value: &Value, pointer: String, found: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, child) in object {
        let child_pointer = format!("{pointer}/{}", escape(key));
        if pointer == "/components/schemas" || key == "schema" {
            found.push(child_pointer);
        } else {
            collect_schema_pointers(child, child_pointer, found);
        }
    }
}

/// One JSON pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer as a URI fragment: characters a fragment may not hold, percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut encoded = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        let allowed = byte.is_ascii_alphanumeric() || b"/~-._!$&'()*+,;=:@".contains(&byte);
        if allowed {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_fragments_and_segments_are_escaped() {
        assert_eq!(
            fragment("/paths/~1items~1{id}/get"),
            "/paths/~1items~1%7Bid%7D/get"
        );
        assert_eq!(escape("application/json"), "application~1json");
        assert_eq!(escape("a~b"), "a~0b");
    }

    #[test]
    fn a_schema_with_an_unresolvable_reference_is_an_error() {
        let yaml = "components:\n  schemas:\n    A:\n      $ref: '#/components/schemas/Nope'\n";
        assert!(matches!(
            OpenApi::parse(yaml),
            Err(OpenApiError::Schema { .. })
        ));
    }

    #[test]
    fn a_response_is_checked_for_status_content_type_body_and_headers() {
        let yaml = r#"
paths:
  /things/{id}:
    get:
      responses:
        '200':
          headers:
            ETag: {required: true, schema: {type: string, pattern: '^"[0-9]+"$'}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing: {type: object, required: [id], properties: {id: {type: integer}}}
"#;
        let api = OpenApi::parse(yaml).expect("the document compiles");
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().expect("header"));
        headers.insert("etag", "\"1\"".parse().expect("header"));
        let good = Observed {
            status: 200,
            headers,
            body: br#"{"id": 1}"#.to_vec(),
        };
        assert_eq!(api.check_operation("GET", "/things/{id}", &good), Ok(()));

        let wrong_body = Observed {
            body: br#"{"id": "1"}"#.to_vec(),
            ..good.clone()
        };
        assert!(api
            .check_operation("GET", "/things/{id}", &wrong_body)
            .is_err());
        let undocumented_status = Observed {
            status: 404,
            ..good.clone()
        };
        assert!(api
            .check_operation("GET", "/things/{id}", &undocumented_status)
            .is_err());
        let mut no_etag = good.clone();
        no_etag.headers.remove("etag");
        assert!(api
            .check_operation("GET", "/things/{id}", &no_etag)
            .is_err());
        let mut problem_type = good.clone();
        problem_type.headers.insert(
            "content-type",
            "application/problem+json".parse().expect("header"),
        );
        assert!(api
            .check_operation("GET", "/things/{id}", &problem_type)
            .is_err());
    }
}
