//! Kleene's three truth values: what a statement, a condition or a layer is when some fact of the
//! request is unknown (docs/EVALUATION.md §2).

use std::ops::Not;

/// True, false, or "depends on something the request does not tell".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    /// Kleene AND: false wins, then unknown.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Kleene OR: true wins, then unknown.
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    /// OR over any number of values (false when there are none).
    pub fn any(values: impl IntoIterator<Item = Truth>) -> Truth {
        values.into_iter().fold(Truth::False, Truth::or)
    }

    /// AND over any number of values (true when there are none).
    pub fn all(values: impl IntoIterator<Item = Truth>) -> Truth {
        values.into_iter().fold(Truth::True, Truth::and)
    }

    pub fn is_true(self) -> bool {
        self == Truth::True
    }

    pub fn is_false(self) -> bool {
        self == Truth::False
    }
}

impl From<bool> for Truth {
    fn from(value: bool) -> Truth {
        if value { Truth::True } else { Truth::False }
    }
}

impl Not for Truth {
    type Output = Truth;
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Truth::{self, False as F, True as T, Unknown as U};

    #[test]
    fn kleene_tables() {
        let all = [T, F, U];
        for a in all {
            for b in all {
                let and = a.and(b);
                let or = a.or(b);
                // De Morgan holds in Kleene logic.
                assert_eq!(!and, (!a).or(!b), "{a:?} {b:?}");
                assert_eq!(!or, (!a).and(!b), "{a:?} {b:?}");
            }
        }
        assert_eq!(U.and(F), F);
        assert_eq!(U.or(T), T);
        assert_eq!(U.and(T), U);
        assert_eq!(U.or(F), U);
        assert_eq!(!U, U);
        assert_eq!(Truth::any([]), F);
        assert_eq!(Truth::all([]), T);
        assert_eq!(Truth::any([F, U, F]), U);
        assert_eq!(Truth::all([T, U, F]), F);
    }
}
