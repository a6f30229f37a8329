//! Matches requests to routes the way an HTTP API does: the method and every path segment must
//! match a route key, `{name}` captures one non-empty segment, and anything else is not found.

use std::collections::BTreeMap;

/// A route table built from route keys such as `GET /pets/{id}`.
#[derive(Debug, Clone)]
pub struct RouteTable<R> {
    routes: Vec<RouteEntry<R>>,
}

#[derive(Debug, Clone)]
struct RouteEntry<R> {
    route_key: String,
    method: String,
    resource: String,
    segments: Vec<Segment>,
    target: R,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter(String),
}

/// A matched route: what to call, its route key and resource path, and the path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<R> {
    /// The route's target (the function it is integrated with).
    pub target: R,
    /// The route key, e.g. `GET /pets/{id}`.
    pub route_key: String,
    /// The resource path, e.g. `/pets/{id}`.
    pub resource: String,
    /// The values captured by `{name}` segments, e.g. `id -> "42"`.
    pub path_parameters: BTreeMap<String, String>,
}

/// A route key that is not `METHOD /path`.
#[derive(Debug, thiserror::Error)]
#[error("route key {0:?} is not \"METHOD /path\"")]
pub struct BadRouteKey(pub String);

impl<R: Clone> RouteTable<R> {
    /// Builds the table from `(route key, target)` pairs.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, R)>) -> Result<Self, BadRouteKey> {
        let routes = routes
            .into_iter()
            .map(|(route_key, target)| {
                let (method, resource) = route_key
                    .split_once(' ')
                    .filter(|(m, p)| !m.is_empty() && p.starts_with('/'))
                    .ok_or_else(|| BadRouteKey(route_key.to_owned()))?;
                let segments = split_path(resource)
                    .map(|segment| {
                        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Parameter(name.to_owned()),
                            None => Segment::Literal(segment.to_owned()),
                        }
                    })
                    .collect();
                Ok(RouteEntry {
                    route_key: route_key.to_owned(),
                    method: method.to_owned(),
                    resource: resource.to_owned(),
                    segments,
                    target,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { routes })
    }

    /// The route for `method` and `path` (already percent-decoded), preferring literal segments
    /// over parameters as API Gateway does; `None` is API Gateway's 404 `Not Found`, also when
    /// the path exists under another method.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch<R>> {
        let segments: Vec<&str> = split_path(path).collect();
        self.routes
            .iter()
            .filter(|route| route.method == method && route.segments.len() == segments.len())
            .filter_map(|route| {
                let mut parameters = BTreeMap::new();
                let mut literals = 0;
                for (pattern, actual) in route.segments.iter().zip(&segments) {
                    match pattern {
                        Segment::Literal(literal) if literal == actual => literals += 1,
                        Segment::Literal(_) => return None,
                        Segment::Parameter(_) if actual.is_empty() => return None,
                        Segment::Parameter(name) => {
                            parameters.insert(name.clone(), (*actual).to_owned());
                        }
                    }
                }
                Some((literals, route, parameters))
            })
            .max_by_key(|(literals, _, _)| *literals)
            .map(|(_, route, path_parameters)| RouteMatch {
                target: route.target.clone(),
                route_key: route.route_key.clone(),
                resource: route.resource.clone(),
                path_parameters,
            })
    }

    /// Whether any route serves `OPTIONS` itself (then preflights go to it, not to CORS).
    pub fn has_method(&self, method: &str) -> bool {
        self.routes.iter().any(|route| route.method == method)
    }
}

fn split_path(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable<&'static str> {
        RouteTable::new([
            ("GET /pets", "list"),
            ("GET /pets/{id}", "get"),
            ("GET /pets/special", "special"),
            ("DELETE /pets/{id}", "delete"),
        ])
        .unwrap()
    }

    #[test]
    fn a_parameter_segment_captures_the_path_value() {
        let found = table().find("GET", "/pets/abc").unwrap();
        assert_eq!(found.target, "get");
        assert_eq!(found.route_key, "GET /pets/{id}");
        assert_eq!(found.resource, "/pets/{id}");
        assert_eq!(
            found.path_parameters.get("id").map(String::as_str),
            Some("abc")
        );
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        assert_eq!(
            table().find("GET", "/pets/special").unwrap().target,
            "special"
        );
    }

    #[test]
    fn unknown_paths_methods_empty_parameters_and_extra_segments_are_not_found() {
        let table = table();
        assert!(table.find("GET", "/nothing").is_none());
        assert!(table.find("PUT", "/pets/abc").is_none());
        assert!(table.find("GET", "/pets/").is_none());
        assert!(table.find("GET", "/pets/abc/more").is_none());
        assert!(table.find("get", "/pets").is_none());
    }

    #[test]
    fn a_route_key_without_a_method_and_path_is_rejected() {
        assert!(RouteTable::new([("/pets", ())]).is_err());
        assert!(RouteTable::new([("GET pets", ())]).is_err());
    }
}
