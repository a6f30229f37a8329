//! The route mix: which request the n-th scheduled slot sends.

use std::fmt;

/// One kind of request the load test sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `GET /items/{id}` of an item created before the run.
    Get,
    /// `GET /items`, every other one filtered by a category.
    List,
    /// `POST /items`.
    Create,
    /// `PUT /items/{id}` of an item created before the run.
    Update,
    /// `DELETE /items/{id}` of an item this run created.
    Delete,
}

impl Operation {
    /// Every operation, in report order.
    pub const ALL: [Operation; 5] = [
        Operation::Get,
        Operation::List,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
    ];

    /// The route it calls, as routes.json names it.
    pub fn route(self) -> &'static str {
        match self {
            Operation::Get => "GET /items/{id}",
            Operation::List => "GET /items",
            Operation::Create => "POST /items",
            Operation::Update => "PUT /items/{id}",
            Operation::Delete => "DELETE /items/{id}",
        }
    }

    /// The status a successful answer has.
    pub fn expected_status(self) -> u16 {
        match self {
            Operation::Create => 201,
            Operation::Delete => 204,
            Operation::Get | Operation::List | Operation::Update => 200,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.route())
    }
}

/// A weighted mix, spread evenly over the slots (smooth weighted round robin), so that any
/// stretch of the run has about the mix's proportions: reads dominate, as for most item APIs.
#[derive(Debug, Clone)]
pub struct Mix {
    weights: Vec<(Operation, u32)>,
    current: Vec<i64>,
    total: i64,
}

impl Mix {
    /// The default mix: 50% get, 25% list, 15% create, 5% update, 5% delete.
    pub fn realistic() -> Mix {
        Mix::new(&[
            (Operation::Get, 10),
            (Operation::List, 5),
            (Operation::Create, 3),
            (Operation::Update, 1),
            (Operation::Delete, 1),
        ])
    }

    /// A mix of the given weights (operations with weight 0 are never chosen).
    pub fn new(weights: &[(Operation, u32)]) -> Mix {
        let weights: Vec<_> = weights.iter().copied().filter(|(_, w)| *w > 0).collect();
        let total = weights.iter().map(|(_, w)| i64::from(*w)).sum();
        Mix {
            current: vec![0; weights.len()],
            weights,
            total,
        }
    }

    /// Each operation's share, in percent, for the report's heading.
    pub fn describe(&self) -> String {
        self.weights
            .iter()
            .map(|(operation, weight)| {
                format!(
                    "{operation} {}%",
                    i64::from(*weight) * 100 / self.total.max(1)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Iterator for Mix {
    type Item = Operation;

    fn next(&mut self) -> Option<Operation> {
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
            let count = |op| window.iter().filter(|o| **o == op).count();
            assert_eq!(count(Operation::Get), 10);
            assert_eq!(count(Operation::List), 5);
            assert_eq!(count(Operation::Create), 3);
            assert_eq!(count(Operation::Update), 1);
            assert_eq!(count(Operation::Delete), 1);
        }
    }

    #[test]
    fn the_operations_are_interleaved_not_grouped() {
        let first: Vec<_> = Mix::realistic().take(5).collect();
        assert!(first.contains(&Operation::Get) && first.contains(&Operation::List));
        assert_ne!(first.iter().filter(|o| **o == Operation::Get).count(), 5);
    }

    #[test]
    fn an_empty_mix_yields_nothing() {
        assert_eq!(Mix::new(&[(Operation::Get, 0)]).next(), None);
    }
}
