//! Telling a transient `sts:AssumeRole*` denial from one that needs a fix.
//!
//! IAM is eventually consistent: a role just created, or a trust policy just changed, can refuse
//! an `AssumeRole` for some seconds, and the caller's retry then succeeds (IAM User Guide,
//! "Troubleshoot IAM roles" and "Changes that I make are not always immediately visible"). Such a
//! group needs no policy change, and the hint that sends people to the trust policy is wrong.
//!
//! The rule: a group of `sts:AssumeRole*` denials is *transient* when the same principal (as the
//! `principal` column normalises it) assumed the group's role (the role of its sample denial,
//! which the hint names) successfully at or after the group's last denial and at most
//! [`TRANSIENT_WINDOW_SECONDS`] later, and no change that governs the group (see
//! [`super::link`]) came in between: a success right after someone rewrote the trust policy is
//! a fix, not propagation. Only the last denial counts: a principal still refused after an
//! earlier success was not waiting for propagation.
//!
//! The successes come from every record read ([`super::assumption`]), kept per (principal, role)
//! as distinct seconds; workers merge them at the end, and the result is a function of the set
//! of successes alone, so neither file order nor thread count changes a row.

use std::collections::HashMap;

use super::assumption::RoleAssumption;
use super::link::ChangeIndex;
use crate::aggregate::SummaryRow;

/// How long after a group's last denial a success still shows the denial was transient: IAM
/// propagation usually takes seconds; SDK retries with backoff give up within a few minutes.
pub const TRANSIENT_WINDOW_SECONDS: i64 = 300;

/// Distinct times kept per (principal, role). Past it the times are kept coarser (see [`Times`]),
/// so a pair assumed every second of a long trail costs as much as one assumed now and then.
const TIMES_PER_PAIR: usize = 4096;

const MICROS: i64 = 1_000_000;

/// The successful role assumptions of a run: per principal, per role, when.
#[derive(Clone, Debug, Default)]
pub struct RoleAssumptions {
    by_principal: HashMap<Box<str>, HashMap<Box<str>, Times, Hasher>, Hasher>,
}

/// Every role assumption asks both maps: foldhash hashes a principal or a role ARN several
/// times faster than the default SipHash, and is seeded per map.
type Hasher = foldhash::fast::RandomState;

/// When one principal assumed one role: the distinct starts of `stride`-second slots that hold
/// a success, sorted. `stride` is 1 until more than [`TIMES_PER_PAIR`] slots would be kept, then
/// doubles: the smallest power of two that keeps the slots under the cap, which depends only
/// on the set of times, so merging in any order gives the same `Times`.
#[derive(Clone, Debug)]
struct Times {
    stride: i64,
    slots: Vec<i64>,
}

impl Default for Times {
    fn default() -> Self {
        Self { stride: 1, slots: Vec::new() }
    }
}

impl Times {
    fn slot(&self, second: i64) -> i64 {
        second - second.rem_euclid(self.stride)
    }

    fn add(&mut self, second: i64) {
        let slot = self.slot(second);
        // An object's records come in time order, so most slots are the last one or after it:
        // looked up first, they spare a binary search whose loads miss the cache (a trail has
        // many pairs; `perf` put most of this function's time on that search).
        match self.slots.last() {
            Some(&last) if last == slot => return,
            Some(&last) if last > slot => match self.slots.binary_search(&slot) {
                Ok(_) => return,
                Err(at) => self.slots.insert(at, slot),
            },
            _ => self.slots.push(slot),
        }
        self.fit();
    }

    fn merge(&mut self, mut other: Times) {
        if other.stride > self.stride {
            std::mem::swap(self, &mut other);
        }
        self.absorb(&mut other.slots);
    }

    /// Adds `seconds` (in any order; slot starts of a finer stride will do), leaving it empty.
    fn absorb(&mut self, seconds: &mut Vec<i64>) {
        let stride = self.stride;
        self.slots.extend(seconds.drain(..).map(|s| s - s.rem_euclid(stride)));
        self.slots.sort_unstable();
        self.slots.dedup();
        self.fit();
    }

    /// Coarsens the slots until at most [`TIMES_PER_PAIR`] are left.
    fn fit(&mut self) {
        while self.slots.len() > TIMES_PER_PAIR {
            self.stride *= 2;
            let stride = self.stride;
            for slot in &mut self.slots {
                *slot -= slot.rem_euclid(stride);
            }
            self.slots.dedup();
        }
    }

    /// The second of the first success at or after `second` (to within the stride: the start of
    /// the slot that holds it, or `second` when that slot began earlier).
    fn first_from(&self, second: i64) -> Option<i64> {
        let at = self.slots.partition_point(|&slot| slot + self.stride <= second);
        self.slots.get(at).map(|&slot| slot.max(second))
    }
}

/// The successes one reader saw, by the numbers it gave their principals and roles: remembering
/// one is a lookup by a pair of numbers. By text (a principal's map, then its role's, and the
/// role copied out of the record) it was 1.2 % of the bench scan's `perf` samples for 0.4 % of
/// its instructions.
///
/// A pair's newest seconds wait unsorted (at most [`TIMES_PER_PAIR`] of them, beside as many
/// slots) and are sorted in with the rest when there are that many: workers take objects in
/// any order, and adding each second in its place moved the slots after it (0.4–0.8 % of
/// `perf` samples for 0.1 % of the instructions; 0.4 % now).
#[derive(Debug, Default)]
pub struct AssumptionLog {
    pairs: HashMap<(u32, u32), (Times, Vec<i64>), Hasher>,
}

impl AssumptionLog {
    /// A success of principal number `principal` assuming role number `role` at `time`
    /// (microseconds).
    pub fn add(&mut self, principal: u32, role: u32, time: i64) {
        let (times, waiting) = self.pairs.entry((principal, role)).or_default();
        let second = time.div_euclid(MICROS);
        if waiting.last() != Some(&second) {
            waiting.push(second);
            if waiting.len() >= TIMES_PER_PAIR {
                times.absorb(waiting);
            }
        }
    }

    /// The successes by text: `principal` and `role` name the numbers. Two numbers with one
    /// name (two identities of one principal) merge.
    pub fn named<'a>(
        self,
        principal: impl Fn(u32) -> &'a str,
        role: impl Fn(u32) -> &'a str,
    ) -> RoleAssumptions {
        let mut named = RoleAssumptions::default();
        for ((p, r), (mut times, mut waiting)) in self.pairs {
            times.absorb(&mut waiting);
            let roles = named.by_principal.entry(principal(p).into()).or_default();
            roles.entry(role(r).into()).or_default().merge(times);
        }
        named
    }
}

impl RoleAssumptions {
    pub fn add(&mut self, assumption: &RoleAssumption) {
        let roles = match self.by_principal.get_mut(&*assumption.principal) {
            Some(roles) => roles,
            None => self.by_principal.entry((*assumption.principal).into()).or_default(),
        };
        let times = match roles.get_mut(assumption.role_arn.as_str()) {
            Some(times) => times,
            None => roles.entry(assumption.role_arn.as_str().into()).or_default(),
        };
        times.add(assumption.time.div_euclid(MICROS));
    }

    pub fn merge(mut self, other: RoleAssumptions) -> RoleAssumptions {
        if self.by_principal.len() < other.by_principal.len() {
            return other.merge(self);
        }
        for (principal, roles) in other.by_principal {
            let mine = self.by_principal.entry(principal).or_default();
            for (role, times) in roles {
                mine.entry(role).or_default().merge(times);
            }
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.by_principal.is_empty()
    }

    /// When `principal` first assumed `role` at or after `from` (microseconds), if it did.
    pub fn first_success(&self, principal: &str, role: &str, from: i64) -> Option<i64> {
        let times = self.by_principal.get(principal)?.get(role)?;
        let from_second = from.div_euclid(MICROS) + i64::from(from.rem_euclid(MICROS) > 0);
        times.first_from(from_second).map(|second| second * MICROS)
    }

    /// Marks `row` transient when the rule of this module holds: sets
    /// `transient_success_time` and replaces the hint. Whether it did.
    pub fn mark(&self, row: &mut SummaryRow, changes: &ChangeIndex<'_>) -> bool {
        let Some(last) = row.last_seen else { return false };
        let Some(role) = row.sample_resource_arn.as_deref() else { return false };
        if !row.action.to_ascii_lowercase().starts_with("sts:assumerole") {
            return false;
        }
        let Some(success) = self.first_success(&row.principal, role, last) else { return false };
        if success - last > TRANSIENT_WINDOW_SECONDS * MICROS
            || changes.changed_between(row, last, success)
        {
            return false;
        }
        row.transient_success_time = Some(success);
        let name = role.rsplit_once(":role/").map_or(role, |(_, path)| {
            path.rsplit('/').next().filter(|name| !name.is_empty()).unwrap_or(path)
        });
        row.hint = format!(
            "transient: the same principal assumed role {name} successfully {} s later (IAM \
             propagation after a fresh CreateRole or policy change); retry with backoff rather \
             than changing the trust policy",
            (success - last) / MICROS
        );
        true
    }
}

#[cfg(test)]
mod tests;
