//! The unknown facts a decision can depend on, and exact enumeration over them
//! (docs/EVALUATION.md §2.3). Evaluation asks [`Atoms::resolve`] for every comparison that came out
//! unknown; on the first, Kleene pass the atom is recorded and stays unknown, on later passes it
//! takes the value of the current assignment.

use super::truth::Truth;
use std::collections::HashMap;

/// Up to this many distinct atoms the decision is enumerated exactly (2¹² passes of microseconds).
pub const EXACT_LIMIT: usize = 12;

#[derive(Debug, Default)]
pub struct Atoms {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    /// Bit i is the value of atom i; `None` during the Kleene pass.
    assignment: Option<u32>,
}

impl Atoms {
    /// The value of a comparison: itself when known, else the atom's value under the current
    /// assignment (recording the atom the first time it is seen).
    pub fn resolve(&mut self, value: Truth, id: impl FnOnce() -> String) -> Truth {
        if value != Truth::Unknown {
            return value;
        }
        let id = id();
        let i = match self.index.get(&id) {
            Some(&i) => i,
            None => {
                self.index.insert(id.clone(), self.ids.len());
                self.ids.push(id);
                self.ids.len() - 1
            }
        };
        match self.assignment {
            Some(bits) if i < EXACT_LIMIT => (bits >> i & 1 == 1).into(),
            _ => Truth::Unknown,
        }
    }

    /// The atoms seen so far, in the order they were met.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Switches to assignment `bits` (or back to Kleene with `None`).
    pub fn assign(&mut self, bits: Option<u32>) {
        self.assignment = bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoms_are_shared_by_id_and_take_their_assigned_values() {
        let mut atoms = Atoms::default();
        assert_eq!(atoms.resolve(Truth::True, || unreachable!()), Truth::True);
        assert_eq!(atoms.resolve(Truth::Unknown, || "a".into()), Truth::Unknown);
        assert_eq!(atoms.resolve(Truth::Unknown, || "b".into()), Truth::Unknown);
        assert_eq!(atoms.resolve(Truth::Unknown, || "a".into()), Truth::Unknown);
        assert_eq!(atoms.ids(), ["a", "b"]);
        atoms.assign(Some(0b10));
        assert_eq!(atoms.resolve(Truth::Unknown, || "a".into()), Truth::False);
        assert_eq!(atoms.resolve(Truth::Unknown, || "b".into()), Truth::True);
    }
}
