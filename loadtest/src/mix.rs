//! The route mix: which route the n-th scheduled slot calls, and how a route is reached.

use items_apigateway::Route;

/// A route's method and its path for item `id` (the route key's `{id}` replaced; a route
/// without one ignores `id`), read from its route key; `None` if the key is not `METHOD /path`.
pub fn request_line(route: Route, id: &str) -> Option<(reqwest::Method, String)> {
    let (method, template) = route.route_key().split_once(' ')?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
    Some((method, template.replace("{id}", id)))
}

/// A weighted mix of routes, spread evenly over the slots (smooth weighted round robin), so
/// that any stretch of the run has about the mix's proportions: reads dominate, as for most
/// item APIs.
#[derive(Debug, Clone)]
pub struct Mix {
    weights: Vec<(Route, u32)>,
    current: Vec<i64>,
    total: i64,
}

impl Mix {
    /// The default mix, in twentieths: mostly single-item reads, then listings and creates, and
    /// one each of replace, patch and delete.
    pub fn realistic() -> Mix {
        Mix::new(&[
            (Route::GetItem, 9),
            (Route::ListItems, 5),
            (Route::CreateItem, 3),
            (Route::UpdateItem, 1),
            (Route::PatchItem, 1),
            (Route::DeleteItem, 1),
        ])
    }

    /// A mix of the given weights (routes with weight 0 are never chosen).
    pub fn new(weights: &[(Route, u32)]) -> Mix {
        let weights: Vec<_> = weights.iter().copied().filter(|(_, w)| *w > 0).collect();
        let total = weights.iter().map(|(_, w)| i64::from(*w)).sum();
        Mix {
            current: vec![0; weights.len()],
            weights,
            total,
        }
    }

    /// The routes the mix calls, in the order of its weights.
    pub fn routes(&self) -> impl Iterator<Item = Route> + '_ {
        self.weights.iter().map(|(route, _)| *route)
    }

    /// Each route's share, in percent, for the report's heading.
    pub fn describe(&self) -> String {
        self.weights
            .iter()
            .map(|(route, weight)| {
                format!(
                    "{} {}%",
                    route.route_key(),
                    i64::from(*weight) * 100 / self.total.max(1)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Iterator for Mix {
    type Item = Route;

    fn next(&mut self) -> Option<Route> {
        let mut best: Option<usize> = None;
        for (index, (_, weight)) in self.weights.iter().enumerate() {
            self.current[index] += i64::from(*weight);
            if best.is_none_or(|b| self.current[index] > self.current[b]) {
                best = Some(index);
            }
        }
        let best = best?;
        self.current[best] -= self.total;
        Some(self.weights[best].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_twenty_slots_hold_the_realistic_proportions() {
        let slots: Vec<_> = Mix::realistic().take(40).collect();
        for window in slots.chunks(20) {
            let count = |route| window.iter().filter(|r| **r == route).count();
            assert_eq!(count(Route::GetItem), 9);
            assert_eq!(count(Route::ListItems), 5);
            assert_eq!(count(Route::CreateItem), 3);
            assert_eq!(count(Route::UpdateItem), 1);
            assert_eq!(count(Route::PatchItem), 1);
            assert_eq!(count(Route::DeleteItem), 1);
        }
    }

    #[test]
    fn the_realistic_mix_calls_every_route() {
        let mut routes: Vec<_> = Mix::realistic().routes().collect();
        routes.sort_unstable();
        assert_eq!(routes, Route::ALL);
    }

    #[test]
    fn the_routes_are_interleaved_not_grouped() {
        let first: Vec<_> = Mix::realistic().take(5).collect();
        assert!(first.contains(&Route::GetItem) && first.contains(&Route::ListItems));
        assert_ne!(first.iter().filter(|r| **r == Route::GetItem).count(), 5);
    }

    #[test]
    fn an_empty_mix_yields_nothing() {
        assert_eq!(Mix::new(&[(Route::GetItem, 0)]).next(), None);
    }

    #[test]
    fn the_heading_names_each_route_by_its_key_with_its_share() {
        let mix = Mix::new(&[(Route::GetItem, 3), (Route::PatchItem, 1)]);
        assert_eq!(
            mix.describe(),
            format!(
                "{} 75%, {} 25%",
                Route::GetItem.route_key(),
                Route::PatchItem.route_key()
            )
        );
    }

    #[test]
    fn a_request_line_is_the_route_keys_method_and_path_with_the_id_in_place() {
        let line = |route| request_line(route, "abc").expect("a METHOD /path key");
        assert_eq!(
            line(Route::PatchItem),
            (reqwest::Method::PATCH, "/items/abc".to_owned())
        );
        assert_eq!(
            line(Route::ListItems),
            (reqwest::Method::GET, "/items".to_owned())
        );
        assert_eq!(
            line(Route::DeleteItem),
            (reqwest::Method::DELETE, "/items/abc".to_owned())
        );
    }
}
