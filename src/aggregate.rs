//! Mergeable statistics per (principal, action, bucket): the summary report.
//!
//! Every worker folds its denials into its own [`Summary`]; summaries merge at the end. All
//! statistics merge exactly (counts add, first/last seen are min/max, sets unite) and every
//! choice among equals is made by a fixed order rather than by arrival, so the summary does not
//! depend on thread count or file order. That is also what lets shards be combined later.
//!
//! Memory is per group, and failed requests choose their own bucket names: a scanner probing
//! names makes a group of every probe, a million of them in one night. So a group holds no text
//! of its own beyond its sample event: accounts, regions, error codes, principal types, source
//! addresses and the key's parts are interned once per summary and shared ([`Strings`]), the
//! small sets and counters stay inline while they hold one item ([`Few`]), and the rows of the
//! report are made one at a time when they are written ([`SummaryRows`]), never all at once.
//! The texts of each group's sample event, most of what is left, live apart ([`samples`]).

mod merge_state;
mod samples;

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::{Equivalent, IndexMap};

use crate::changes::link::ChangeLink;
use crate::classify::Denial;
use crate::classify::category::ErrorCategory;
use crate::classify::hint::{HintInput, group_hint};
use crate::classify::reason::{DeniedBy, DenyKind};
use crate::verdict::tally::GroupVerdict;
pub use merge_state::{Judged, MergeState, MergeStateError};
use samples::{SampleAt, Samples};

/// The grouping of the summary. Its parts are shared with every other group and set that
/// names the same principal, action or bucket.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SummaryKey {
    pub principal: Arc<str>,
    pub action: Arc<str>,
    pub bucket: Option<Arc<str>>,
}

/// A [`SummaryKey`] borrowed from a denial, to find its group without allocating. It hashes as
/// the key does: the same fields in the same order, `Arc<str>` hashing as its `str`.
#[derive(Hash)]
struct KeyOf<'a> {
    principal: &'a str,
    action: &'a str,
    bucket: Option<&'a str>,
}

impl Equivalent<SummaryKey> for KeyOf<'_> {
    fn equivalent(&self, key: &SummaryKey) -> bool {
        self.principal == &*key.principal
            && self.action == &*key.action
            && self.bucket == key.bucket.as_deref()
    }
}

/// Every distinct text of one summary, stored once: a group refers to it by a shared pointer
/// instead of owning a copy. Summaries merged from other workers keep their pointers, so a
/// string may be stored once per worker, never once per group.
#[derive(Clone, Debug, Default)]
struct Strings(HashSet<Arc<str>>);

impl Strings {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// A small sorted set, or a map sorted by key, stored inline while it holds at most one item:
/// nearly every group sees one account, one region, one error code and one principal type.
#[derive(Clone, Debug, Default)]
enum Few<T> {
    #[default]
    Empty,
    One(T),
    Many(Vec<T>),
}

impl<T> Few<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            Few::Empty => &[],
            Few::One(item) => std::slice::from_ref(item),
            Few::Many(items) => items,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Few::Empty => &mut [],
            Few::One(item) => std::slice::from_mut(item),
            Few::Many(items) => items,
        }
    }

    fn insert_at(&mut self, index: usize, item: T) {
        *self = match std::mem::take(self) {
            Few::Empty => Few::One(item),
            Few::One(first) => {
                let mut items = Vec::with_capacity(2);
                items.push(first);
                items.insert(index, item);
                Few::Many(items)
            }
            Few::Many(mut items) => {
                items.insert(index, item);
                Few::Many(items)
            }
        };
    }

    fn into_vec(self) -> Vec<T> {
        match self {
            Few::Empty => Vec::new(),
            Few::One(item) => vec![item],
            Few::Many(items) => items,
        }
    }
}

impl Few<Arc<str>> {
    /// Adds `text`, interning it only when it is new to this set.
    fn insert(&mut self, text: &str, strings: &mut Strings) {
        if let Err(index) = self.as_slice().binary_search_by(|item| (**item).cmp(text)) {
            self.insert_at(index, strings.get(text));
        }
    }

    fn unite(&mut self, other: Few<Arc<str>>) {
        for item in other.into_vec() {
            if let Err(index) = self.as_slice().binary_search(&item) {
                self.insert_at(index, item);
            }
        }
    }

    fn to_strings(&self) -> Vec<String> {
        self.as_slice().iter().map(|s| s.to_string()).collect()
    }

    /// Adds `text` while the set keeps only its `cap` smallest items: the kept items are the same
    /// whatever the order of insertion, so merged summaries agree. Not interned, since such
    /// texts (role session names) are often unique to one session.
    fn insert_capped(&mut self, text: &str, cap: usize) {
        let items = self.as_slice();
        if items.len() >= cap && items.last().is_some_and(|last| text >= &**last) {
            return;
        }
        if let Err(index) = items.binary_search_by(|item| (**item).cmp(text)) {
            self.insert_at(index, Arc::from(text));
            if let Few::Many(items) = self {
                items.truncate(cap);
            }
        }
    }
}

impl<K: Copy + Ord> Few<(K, u64)> {
    fn add(&mut self, key: K, n: u64) {
        match self.as_slice().binary_search_by_key(&key, |(k, _)| *k) {
            Ok(index) => self.as_mut_slice()[index].1 += n,
            Err(index) => self.insert_at(index, (key, n)),
        }
    }

    fn add_all(&mut self, other: Few<(K, u64)>) {
        for (key, n) in other.into_vec() {
            self.add(key, n);
        }
    }

    /// The most frequent key; ties go to the smallest.
    fn most_frequent(&self) -> Option<K> {
        // Sorted by key, and max_by_key keeps the last maximum: reverse to keep the first.
        self.as_slice().iter().rev().max_by_key(|(_, n)| *n).map(|(k, _)| *k)
    }
}

/// The example event shown for a group: its earliest (by time, then event id). Its time is the
/// group's `first_seen`, so it is not stored twice; its texts are in the summary's [`Samples`].
#[derive(Clone, Debug)]
struct Sample {
    texts: SampleAt,
    denying_policy_arn: Option<Arc<str>>,
    vpc_endpoint_id: Option<Arc<str>>,
}

impl Sample {
    fn of(
        denial: &Denial,
        strings: &mut Strings,
        samples: &mut Samples,
        old: Option<SampleAt>,
    ) -> Self {
        Self {
            texts: samples.put(
                denial.event_id.as_deref(),
                denial.error_message.as_deref(),
                denial.target.resource_arn.as_deref(),
                old,
            ),
            denying_policy_arn: denial.denying_policy_arn.as_deref().map(|s| strings.get(s)),
            vpc_endpoint_id: denial.vpc_endpoint_id.as_deref().map(|s| strings.get(s)),
        }
    }
}

/// Whether an event at `time` with `event_id` comes before one at `than_time` with
/// `than_event_id`: by time, events without one last, then by event id. The ids are asked for
/// only on a tie of times, since a stored sample's id may have to be read back from disk.
fn earlier(
    time: Option<i64>,
    event_id: impl FnOnce() -> Option<String>,
    than_time: Option<i64>,
    than_event_id: impl FnOnce() -> Option<String>,
) -> bool {
    let order = |t: Option<i64>| (t.is_none(), t);
    match order(time).cmp(&order(than_time)) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => event_id() < than_event_id(),
    }
}

/// Statistics of one group.
#[derive(Clone, Debug, Default)]
struct Group {
    count: u64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    principal_types: Few<Arc<str>>,
    source_ips: Few<Arc<str>>,
    accounts: Few<Arc<str>>,
    regions: Few<Arc<str>>,
    error_codes: Few<Arc<str>>,
    categories: Few<(ErrorCategory, u64)>,
    reasons: Few<((DeniedBy, DenyKind), u64)>,
    /// Denials per built-in noise label ([`crate::suppress::NOISE_LABELS`]); unlabelled ones are
    /// the rest of `count`.
    noise: Few<(&'static str, u64)>,
    /// The first [`SESSION_NAMES`] distinct role session names, in name order.
    sessions: Few<Arc<str>>,
    /// `None` only before the first denial is added.
    sample: Option<Sample>,
}

impl Group {
    fn add(&mut self, d: &Denial, strings: &mut Strings, samples: &mut Samples) {
        // Before first_seen moves: the sample's time is the first_seen of the events before.
        let current = self.sample.as_ref().map(|s| s.texts);
        let replace = current.is_none_or(|at| {
            earlier(d.event_time, || d.event_id.clone(), self.first_seen, || samples.event_id(at))
        });
        if replace {
            self.sample = Some(Sample::of(d, strings, samples, current));
        }
        self.count += 1;
        self.principal_types.insert(&d.principal.principal_type, strings);
        self.first_seen = min_time(self.first_seen, d.event_time);
        self.last_seen = self.last_seen.max(d.event_time);
        for (set, value) in [
            (&mut self.source_ips, &d.source_ip),
            (&mut self.accounts, &d.account_id),
            (&mut self.regions, &d.region),
            (&mut self.error_codes, &d.error_code),
        ] {
            if let Some(value) = value {
                set.insert(value, strings);
            }
        }
        self.categories.add(d.category, 1);
        self.reasons.add((d.denied_by, d.deny_kind), 1);
        if let Some(label) = d.noise {
            self.noise.add(label, 1);
        }
        if let Some(session) = &d.principal.session_name {
            self.sessions.insert_capped(session, SESSION_NAMES);
        }
    }

    /// `other`'s sample must already name its record among `samples`' stores.
    fn merge(&mut self, other: Group, samples: &mut Samples) {
        if let Some(theirs) = other.sample {
            let replace = self.sample.as_ref().is_none_or(|ours| {
                let (ours, theirs) = (ours.texts, theirs.texts);
                let (id, than_id) = (|| samples.event_id(theirs), || samples.event_id(ours));
                earlier(other.first_seen, id, self.first_seen, than_id)
            });
            if replace {
                if let Some(ours) = self.sample.replace(theirs) {
                    samples.release(ours.texts);
                }
            } else {
                samples.release(theirs.texts);
            }
        }
        self.count += other.count;
        self.principal_types.unite(other.principal_types);
        self.first_seen = min_time(self.first_seen, other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.source_ips.unite(other.source_ips);
        self.accounts.unite(other.accounts);
        self.regions.unite(other.regions);
        self.error_codes.unite(other.error_codes);
        self.categories.add_all(other.categories);
        self.reasons.add_all(other.reasons);
        self.noise.add_all(other.noise);
        for session in other.sessions.into_vec() {
            self.sessions.insert_capped(&session, SESSION_NAMES);
        }
    }

    /// The group's noise label: the most frequent one when every denial of the group has one
    /// (so hiding noise never hides an unlabelled denial), else `None`.
    fn noise_label(&self) -> Option<&'static str> {
        let labelled: u64 = self.noise.as_slice().iter().map(|(_, n)| n).sum();
        if labelled == self.count { self.noise.most_frequent() } else { None }
    }
}

fn min_time(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One row of the summary report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    pub principal: String,
    /// All types seen for this principal, joined with `|` (normally exactly one).
    pub principal_type: String,
    pub action: String,
    pub bucket: Option<String>,
    pub count: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub distinct_source_ips: u64,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub error_codes: Vec<String>,
    /// The most frequent category, policy and kind of denial in the group.
    pub category: ErrorCategory,
    pub denied_by: DeniedBy,
    pub deny_kind: DenyKind,
    pub denying_policy_arn: Option<String>,
    pub sample_event_id: Option<String>,
    pub sample_error_message: Option<String>,
    pub sample_resource_arn: Option<String>,
    /// The VPC endpoint the earliest request came through: whose endpoint policy governs it.
    pub sample_vpc_endpoint_id: Option<String>,
    pub hint: String,
    /// The policy change that most plausibly caused the group's denials
    /// ([`crate::changes::link`]).
    pub change: Option<ChangeLink>,
    /// A change to what governs the group came after its last denial (it may have been fixed).
    pub changed_after: bool,
    /// A permissions change the denied principal made itself right after its denials.
    pub self_change_event_id: Option<String>,
    /// For `sts:AssumeRole*`: when the same principal assumed the same role successfully right
    /// after the last denial, which makes the denials transient ([`crate::changes::transient`]).
    pub transient_success_time: Option<i64>,
    /// The built-in noise label of the group (see [`crate::suppress::NOISE_LABELS`]): set when
    /// every denial of the group has one. A later stage may clear it.
    pub noise: Option<&'static str>,
    /// Role session names seen (for an SSO role, the people behind it): the first
    /// [`SESSION_NAMES`] in name order.
    pub session_names: Vec<String>,
    /// What the group's denials were judged (`scan --policies`, `explain OUT`).
    pub eval: Option<GroupVerdict>,
}

/// Role session names kept per group.
pub const SESSION_NAMES: usize = 10;

impl SummaryRow {
    /// The group this row summarises.
    pub fn key(&self) -> SummaryKey {
        SummaryKey {
            principal: Arc::from(self.principal.as_str()),
            action: Arc::from(self.action.as_str()),
            bucket: self.bucket.as_deref().map(Arc::from),
        }
    }
}

/// Groups moved per step of [`Summary::merge`]: large enough that giving back storage between
/// steps costs little, small next to the millions of groups it is for.
const MERGE_SLICE: usize = 1 << 16;

/// Denials grouped by (principal, action, bucket).
#[derive(Debug, Default)]
pub struct Summary {
    strings: Strings,
    samples: Samples,
    groups: IndexMap<SummaryKey, Group>,
}

impl Summary {
    pub fn add(&mut self, denial: &Denial) {
        let key = KeyOf {
            principal: &denial.principal.principal,
            action: &denial.action,
            bucket: denial.target.bucket.as_deref(),
        };
        let index = match self.groups.get_index_of(&key) {
            Some(index) => index,
            None => {
                let key = SummaryKey {
                    principal: self.strings.get(key.principal),
                    action: self.strings.get(key.action),
                    bucket: key.bucket.map(|b| self.strings.get(b)),
                };
                self.groups.insert_full(key, Group::default()).0
            }
        };
        self.groups[index].add(denial, &mut self.strings, &mut self.samples);
        self.compact_samples();
    }

    /// Gives back the sample store's space of replaced samples, once there is enough of it.
    fn compact_samples(&mut self) {
        if self.samples.needs_compaction() {
            let live = self.groups.values_mut().filter_map(|g| g.sample.as_mut());
            self.samples.compact(live.map(|s| &mut s.texts));
        }
    }

    pub fn merge(self, other: Summary) -> Summary {
        self.merge_in_slices(other, MERGE_SLICE)
    }

    /// Moves the smaller summary's groups into the larger one `slice` groups at a time, taken
    /// from its end, and gives back the storage they leave behind before taking the next: the
    /// two halves of a million groups are never both held whole next to the merged whole.
    fn merge_in_slices(mut self, mut other: Summary, slice: usize) -> Summary {
        if self.groups.len() < other.groups.len() {
            std::mem::swap(&mut self, &mut other);
        }
        let shift = self.samples.absorb(std::mem::take(&mut other.samples));
        while !other.groups.is_empty() {
            let start = other.groups.len().saturating_sub(slice);
            for (key, mut group) in other.groups.drain(start..) {
                if let Some(sample) = &mut group.sample {
                    sample.texts = sample.texts.shifted(shift);
                }
                self.groups.entry(key).or_default().merge(group, &mut self.samples);
            }
            other.groups.shrink_to_fit();
        }
        self
    }

    /// Number of denials summarised.
    pub fn total(&self) -> u64 {
        self.groups.values().map(|g| g.count).sum()
    }

    /// The groups whose first denial is at or after `since`: new since then.
    pub fn first_seen_since(&self, since: i64) -> HashSet<SummaryKey> {
        let new = self.groups.iter().filter(|(_, g)| g.first_seen.is_some_and(|t| t >= since));
        new.map(|(key, _)| key.clone()).collect()
    }

    /// The groups in report order: most frequent first, ties in key order.
    pub fn into_rows(self) -> SummaryRows {
        let mut groups = self.groups;
        groups.sort_unstable_by(|ka, a, kb, b| b.count.cmp(&a.count).then_with(|| ka.cmp(kb)));
        let samples = Arc::new(self.samples);
        SummaryRows { groups, samples, amended: HashMap::new(), hidden_noise: None }
    }
}

/// The groups of a summary in report order, each made into a [`SummaryRow`] only when it is
/// asked for: a report streams its rows instead of holding every one next to the groups.
#[derive(Clone, Debug, Default)]
pub struct SummaryRows {
    groups: IndexMap<SummaryKey, Group>,
    /// The texts of the groups' samples, shared by the row sets made from these.
    samples: Arc<Samples>,
    /// Rows a later stage changed (linked to a policy change), by position: kept whole, since
    /// they are few, and returned instead of the row made afresh.
    amended: HashMap<usize, SummaryRow>,
    /// The noise groups [`SummaryRows::without_noise`] left out, when it did.
    hidden_noise: Option<Count>,
}

/// A number of groups and the denials they count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub groups: usize,
    pub denials: u64,
}

impl Count {
    fn add(&mut self, denials: u64) {
        self.groups += 1;
        self.denials += denials;
    }
}

/// How many groups there are and how many denials they count, and what kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub groups: usize,
    pub denials: u64,
    /// The denials per error category, in [`ErrorCategory::ALL`] order: with `--include-authn`
    /// or `--all-errors` not every failure counted is a denial.
    pub by_category: [u64; ErrorCategory::ALL.len()],
    /// The groups labelled noise among these, and their denials.
    pub noise: Count,
    /// The noise groups left out of these (`--hide-noise`), when they were.
    pub hidden_noise: Option<Count>,
}

impl Totals {
    /// The totals of `rows`, each counted in its group's most frequent category.
    pub fn of_rows(rows: &[SummaryRow]) -> Totals {
        let mut totals = Totals { groups: rows.len(), ..Totals::default() };
        for row in rows {
            totals.denials += row.count;
            totals.by_category[category_index(row.category)] += row.count;
            if row.noise.is_some() {
                totals.noise.add(row.count);
            }
        }
        totals
    }

    /// The failures counted that are not denials (authentication failures, other errors).
    pub fn not_denials(&self) -> u64 {
        self.denials - self.by_category[category_index(ErrorCategory::Authorization)]
    }

    pub fn of_category(&self, category: ErrorCategory) -> u64 {
        self.by_category[category_index(category)]
    }
}

fn category_index(category: ErrorCategory) -> usize {
    ErrorCategory::ALL.iter().position(|c| *c == category).unwrap_or(0)
}

/// What the HTML report's views count per group, without making its row.
#[derive(Clone, Copy, Debug)]
pub struct GroupFacts<'a> {
    pub key: &'a SummaryKey,
    pub count: u64,
    pub accounts: &'a [Arc<str>],
    /// Of the group's earliest denial, as the row's `denying_policy_arn`.
    pub denying_policy_arn: Option<&'a str>,
    pub noise: Option<&'static str>,
    /// Every `denied_by` among the group's denials (the row names only the most frequent).
    pub denied_by: &'a [((DeniedBy, DenyKind), u64)],
}

impl SummaryRows {
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn totals(&self) -> Totals {
        let mut totals =
            Totals { groups: self.len(), hidden_noise: self.hidden_noise, ..Totals::default() };
        for (i, group) in self.groups.values().enumerate() {
            totals.denials += group.count;
            for &(category, n) in group.categories.as_slice() {
                totals.by_category[category_index(category)] += n;
            }
            if self.noise_of(i).is_some() {
                totals.noise.add(group.count);
            }
        }
        totals
    }

    /// The noise label of the group at `i`, as its row has it.
    fn noise_of(&self, i: usize) -> Option<&'static str> {
        match self.amended.get(&i) {
            Some(row) => row.noise,
            None => self.groups[i].noise_label(),
        }
    }

    /// The groups labelled noise per label, in label order.
    pub fn noise_by_label(&self) -> Vec<(&'static str, Count)> {
        let mut labels: Vec<(&'static str, Count)> = Vec::new();
        for (i, group) in self.groups.values().enumerate() {
            let Some(label) = self.noise_of(i) else { continue };
            match labels.binary_search_by(|(l, _)| l.cmp(&label)) {
                Ok(at) => labels[at].1.add(group.count),
                Err(at) => labels.insert(at, (label, Count { groups: 1, denials: group.count })),
            }
        }
        labels
    }

    /// The noise groups left out by [`SummaryRows::without_noise`], when it was applied.
    pub fn hidden_noise(&self) -> Option<Count> {
        self.hidden_noise
    }

    /// Every row, in order, made as the iterator reaches it.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = SummaryRow> + '_ {
        self.groups.iter().enumerate().map(|(i, (key, group))| match self.amended.get(&i) {
            Some(amended) => amended.clone(),
            None => row(key, group, &self.samples),
        })
    }

    /// The rows a later stage amended (e.g. linked to a policy change), in no particular order.
    pub fn amended(&self) -> impl Iterator<Item = &SummaryRow> {
        self.amended.values()
    }

    /// Lets `change` amend every row (as earlier stages left it); the rows it reports changed
    /// are kept as changed.
    pub fn amend(&mut self, mut change: impl FnMut(&mut SummaryRow) -> bool) {
        for (i, (key, group)) in self.groups.iter().enumerate() {
            let made = self.amended.get(&i).cloned();
            let mut made = made.unwrap_or_else(|| row(key, group, &self.samples));
            if change(&mut made) {
                self.amended.insert(i, made);
            }
        }
    }

    /// The first `n` rows.
    pub fn head(&self, n: usize) -> Vec<SummaryRow> {
        self.iter().take(n).collect()
    }

    /// Every group's key and count, in order, without making its row.
    pub fn counts(&self) -> impl ExactSizeIterator<Item = (&SummaryKey, u64)> + '_ {
        self.groups.iter().map(|(key, group)| (key, group.count))
    }

    /// What the HTML views count of every group, in order, without making its row.
    pub fn facts(&self) -> impl ExactSizeIterator<Item = GroupFacts<'_>> + '_ {
        self.groups.iter().enumerate().map(|(i, (key, group))| GroupFacts {
            key,
            count: group.count,
            accounts: group.accounts.as_slice(),
            denying_policy_arn: group.sample.as_ref().and_then(|s| s.denying_policy_arn.as_deref()),
            noise: self.noise_of(i),
            denied_by: group.reasons.as_slice(),
        })
    }

    /// Whether the group (principal, action, bucket) is one of these.
    pub fn contains(&self, principal: &str, action: &str, bucket: Option<&str>) -> bool {
        self.groups.contains_key(&KeyOf { principal, action, bucket })
    }

    /// The groups whose key `keep` accepts, in the same order.
    pub fn filtered(&self, mut keep: impl FnMut(&SummaryKey) -> bool) -> SummaryRows {
        self.kept(|_, key| keep(key))
    }

    /// The groups not labelled noise, in the same order; they remember what was left out.
    pub fn without_noise(&self) -> SummaryRows {
        let mut kept = self.kept(|i, _| self.noise_of(i).is_none());
        let mut hidden = self.totals().noise;
        if let Some(earlier) = self.hidden_noise {
            hidden.groups += earlier.groups;
            hidden.denials += earlier.denials;
        }
        kept.hidden_noise = Some(hidden);
        kept
    }

    fn kept(&self, mut keep: impl FnMut(usize, &SummaryKey) -> bool) -> SummaryRows {
        let mut kept = SummaryRows {
            samples: Arc::clone(&self.samples),
            hidden_noise: self.hidden_noise,
            ..SummaryRows::default()
        };
        for (i, (key, group)) in self.groups.iter().enumerate() {
            if !keep(i, key) {
                continue;
            }
            if let Some(amended) = self.amended.get(&i) {
                kept.amended.insert(kept.groups.len(), amended.clone());
            }
            kept.groups.insert(key.clone(), group.clone());
        }
        kept
    }
}

fn row(key: &SummaryKey, g: &Group, samples: &Samples) -> SummaryRow {
    let (denied_by, deny_kind) =
        g.reasons.most_frequent().unwrap_or((DeniedBy::Unknown, DenyKind::Generic));
    let category = g.categories.most_frequent().unwrap_or(ErrorCategory::Authorization);
    let texts = g.sample.as_ref().map(|s| samples.get(s.texts)).unwrap_or_default();
    let sample = g.sample.as_ref();
    let denying_policy_arn = sample.and_then(|s| s.denying_policy_arn.as_deref());
    let vpc_endpoint_id = sample.and_then(|s| s.vpc_endpoint_id.as_deref());
    let principal_type = g.principal_types.as_slice().join("|");
    let accounts = g.accounts.to_strings();
    let input = HintInput {
        denied_by,
        deny_kind,
        principal: &key.principal,
        principal_type: &principal_type,
        action: &key.action,
        resource_arn: texts.resource_arn.as_deref(),
        bucket: key.bucket.as_deref(),
        account_id: accounts.first().map(String::as_str),
        error_category: category.as_str(),
        denying_policy_arn,
        vpc_endpoint_id,
        message: texts.error_message.as_deref(),
    };
    // Every kind of denial the group holds: a Deny among missing Allows needs its own step.
    let hint = group_hint(&input, g.reasons.as_slice());
    SummaryRow {
        principal: key.principal.to_string(),
        principal_type,
        action: key.action.to_string(),
        bucket: key.bucket.as_deref().map(String::from),
        count: g.count,
        first_seen: g.first_seen,
        last_seen: g.last_seen,
        distinct_source_ips: g.source_ips.as_slice().len() as u64,
        accounts,
        regions: g.regions.to_strings(),
        error_codes: g.error_codes.to_strings(),
        category,
        denied_by,
        deny_kind,
        denying_policy_arn: denying_policy_arn.map(String::from),
        sample_event_id: texts.event_id,
        sample_error_message: texts.error_message,
        sample_resource_arn: texts.resource_arn,
        sample_vpc_endpoint_id: vpc_endpoint_id.map(String::from),
        hint,
        change: None,
        changed_after: false,
        self_change_event_id: None,
        transient_success_time: None,
        noise: g.noise_label(),
        session_names: g.sessions.to_strings(),
        eval: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::principal::Principal;
    use crate::classify::reason::PolicyType;
    use crate::verdict::VerdictKind;
    use std::sync::Arc;

    fn denial(principal: &str, time: i64, ip: &str, by: DeniedBy) -> Denial {
        Denial {
            event_time: Some(time),
            event_id: Some(format!("id-{time}")),
            error_message: Some(format!("message {time}")),
            deny_kind: if by == DeniedBy::Unknown { DenyKind::Generic } else { DenyKind::Implicit },
            denied_by: by,
            principal: Principal {
                principal: principal.into(),
                principal_type: "IAMUser".into(),
                ..Principal::default()
            },
            source_ip: Some(ip.into()),
            origin: Arc::from("f"),
            ..Denial::example()
        }
    }

    #[test]
    fn a_later_amendment_keeps_what_an_earlier_one_changed() {
        let mut summary = Summary::default();
        summary.add(&denial("alice", 30, "192.0.2.1", DeniedBy::Unknown));
        let mut rows = summary.into_rows();
        rows.amend(|row| {
            row.changed_after = true;
            true
        });
        rows.amend(|row| {
            row.hint = "second".into();
            true
        });
        let row = rows.head(1).remove(0);
        assert!(row.changed_after, "the first amendment was lost");
        assert_eq!(row.hint, "second");
    }

    #[test]
    fn an_amendment_extends_the_rows_whole_hint_and_others_keep_theirs() {
        let mut summary = Summary::default();
        summary.add(&denial("alice", 30, "192.0.2.1", DeniedBy::Unknown));
        summary.add(&denial("bob", 20, "192.0.2.2", DeniedBy::Unknown));
        let mut rows = summary.into_rows();
        let hints: Vec<String> = rows.iter().map(|r| r.hint).collect();
        assert!(hints.iter().all(|h| !h.is_empty()));
        rows.amend(|row| {
            let applies = row.principal == "alice";
            if applies {
                row.hint = format!("lead; then: {}", row.hint);
            }
            applies
        });
        let after: Vec<String> = rows.iter().map(|r| r.hint).collect();
        assert_eq!(after, [format!("lead; then: {}", hints[0]), hints[1].clone()]);
        assert_eq!(rows.amended().count(), 1);
    }

    #[test]
    fn groups_count_and_pick_the_most_frequent_reason() {
        let bucket_policy = DeniedBy::Policy(PolicyType::ResourceBased);
        let mut summary = Summary::default();
        for d in [
            denial("alice", 30, "192.0.2.1", bucket_policy),
            denial("alice", 10, "192.0.2.2", DeniedBy::Unknown),
            denial("alice", 20, "192.0.2.1", bucket_policy),
            denial("bob", 5, "192.0.2.9", DeniedBy::Unknown),
        ] {
            summary.add(&d);
        }
        assert_eq!(summary.total(), 4);
        let rows = summary.into_rows().head(usize::MAX);
        assert_eq!(rows.len(), 2);
        let alice = &rows[0];
        assert_eq!((alice.principal.as_str(), alice.count), ("alice", 3));
        assert_eq!((alice.first_seen, alice.last_seen), (Some(10), Some(30)));
        assert_eq!(alice.distinct_source_ips, 2);
        assert_eq!((alice.denied_by, alice.deny_kind), (bucket_policy, DenyKind::Implicit));
        assert_eq!(alice.sample_event_id.as_deref(), Some("id-10"));
        assert!(!alice.hint.is_empty());
    }

    #[test]
    fn merging_in_any_split_gives_the_same_rows() {
        let all: Vec<Denial> = (0..20)
            .map(|i| {
                denial(
                    ["a", "b", "c"][i % 3],
                    (i as i64 * 7) % 11,
                    &format!("192.0.2.{}", i % 4),
                    DeniedBy::Unknown,
                )
            })
            .collect();
        let mut whole = Summary::default();
        all.iter().for_each(|d| whole.add(d));
        let whole = whole.into_rows().head(usize::MAX);
        for split in [1, 7, 13] {
            // A budget of nothing puts every sample's texts in the temporary file.
            for budget in [0, samples::MEMORY_BUDGET] {
                let summary =
                    || Summary { samples: Samples::with_budget(budget), ..Summary::default() };
                let (mut left, mut right) = (summary(), summary());
                all[..split].iter().rev().for_each(|d| left.add(d));
                all[split..].iter().for_each(|d| right.add(d));
                let merged = right.merge(left).into_rows().head(usize::MAX);
                assert_eq!(merged, whole, "split at {split}, budget {budget}");
            }
        }
    }

    /// What the Python wheel's partial summaries do: rows and their [`MergeState`], merged.
    #[test]
    fn summary_rows_with_their_state_merge_like_their_denials() {
        let all: Vec<Denial> = (0..30)
            .map(|i| {
                let by = [DeniedBy::Unknown, DeniedBy::Policy(PolicyType::IdentityBased)][i % 2];
                let mut d = denial(["a", "b"][i % 2], (i as i64 * 7) % 13, "", by);
                d.source_ip = Some(format!("192.0.2.{}", i % 5));
                d.principal.principal_type = ["IAMUser", "AWSService"][i % 3 / 2].into();
                d.noise = (i % 4 == 0).then_some("service_principal");
                d.category = [ErrorCategory::Authorization, ErrorCategory::Other][i % 7 / 6];
                d.principal.session_name = Some(format!("s{}", i % 13));
                d
            })
            .collect();
        let mut whole = Summary::default();
        all.iter().for_each(|d| whole.add(d));
        let whole = whole.into_rows().head(usize::MAX);
        for split in [3, 11, 20] {
            let mut merged = Summary::default();
            for part in [&all[..split], &all[split..]] {
                let mut summary = Summary::default();
                part.iter().for_each(|d| summary.add(d));
                let rows = summary.into_rows();
                for (row, state) in rows.iter().zip(rows.merge_states()) {
                    let state = MergeState::from_json(&state.to_json()).expect("read back");
                    merged.add_row(&row, &state).expect("consistent");
                }
            }
            assert_eq!(merged.into_rows().head(usize::MAX), whole, "split at {split}");
        }
        assert!(whole.iter().any(|r| r.distinct_source_ips > 1 && r.principal_type.contains('|')));
    }

    #[test]
    fn a_state_that_does_not_add_up_to_its_row_is_refused() {
        let mut summary = Summary::default();
        summary.add(&denial("a", 1, "192.0.2.1", DeniedBy::Unknown));
        summary.add(&denial("a", 2, "192.0.2.2", DeniedBy::Unknown));
        let rows = summary.into_rows();
        let (row, state) = (rows.head(1).remove(0), rows.merge_states().next().expect("a row"));
        let mut fewer_addresses = state.clone();
        fewer_addresses.source_ips.pop();
        let mut miscounted = state.clone();
        miscounted.categories[0].1 += 1;
        for bad in [fewer_addresses, miscounted] {
            assert!(Summary::default().add_row(&row, &bad).is_err(), "{bad:?}");
        }
        assert!(MergeState::from_json(r#"{"version":2}"#).is_err());
        assert!(Summary::default().add_row(&row, &state).is_ok());
    }

    /// A state written by hand can hold any numbers: ones that add up only by wrapping around,
    /// or that would make a merged group's count overflow, are refused, never a panic.
    #[test]
    fn forged_counts_are_refused_not_wrapped() {
        let mut summary = Summary::default();
        summary.add(&denial("a", 1, "192.0.2.1", DeniedBy::Unknown));
        let rows = summary.into_rows();
        let (row, state) = (rows.head(1).remove(0), rows.merge_states().next().expect("a row"));
        assert_eq!((row.count, state.categories.len()), (1, 1));
        let mut wrapping = state.clone();
        wrapping.categories.push(("authentication".into(), u64::MAX));
        assert!(Summary::default().add_row(&row, &wrapping).is_err());

        let most = i64::MAX as u64;
        let mut huge_row = row.clone();
        huge_row.count = most;
        let mut huge = state.clone();
        huge.categories[0].1 = most;
        huge.reasons[0].2 = most;
        let mut merged = Summary::default();
        assert!(merged.add_row(&huge_row, &huge).is_ok());
        assert!(merged.add_row(&huge_row, &huge).is_ok(), "2^64 - 2 still counts");
        assert!(merged.add_row(&huge_row, &huge).is_err(), "a third would overflow");
        assert_eq!(merged.into_rows().head(1)[0].count, 2 * most);

        let mut judged = state.clone();
        judged.set_judged(vec![(VerdictKind::ImplicitDeny, None, None, 2)]);
        assert!(judged.judged(&row).is_err(), "more judged denials than the row's one");
        judged.set_judged(vec![(VerdictKind::ImplicitDeny, None, None, 1)]);
        assert_eq!(judged.judged(&row).expect("one judged").len(), 1);
    }

    #[test]
    fn merging_slice_by_slice_gives_the_same_rows() {
        let all: Vec<Denial> = (0..40)
            .map(|i| {
                let mut d = denial(["a", "b"][i % 2], i as i64, "192.0.2.1", DeniedBy::Unknown);
                d.target.bucket = Some(format!("probe-{}", i % 25));
                d
            })
            .collect();
        let mut whole = Summary::default();
        all.iter().for_each(|d| whole.add(d));
        let (mut left, mut right) = (Summary::default(), Summary::default());
        all[..30].iter().for_each(|d| left.add(d));
        all[10..].iter().for_each(|d| right.add(d));
        all[10..30].iter().for_each(|d| whole.add(d));
        let merged = left.merge_in_slices(right, 3).into_rows();
        assert_eq!(merged.len(), 40);
        assert_eq!(merged.head(usize::MAX), whole.into_rows().head(usize::MAX));
    }

    /// What issue #13 measured at 4 KB a group: every group owned its own copy of every account,
    /// region, error code and principal type, in sets of its own. Here a text is stored once
    /// per summary and a group's one-item sets are inline.
    #[test]
    fn groups_share_their_text_instead_of_copying_it() {
        let mut summary = Summary::default();
        for i in 0..1000 {
            let mut d = denial("alice", i, "192.0.2.1", DeniedBy::Unknown);
            d.target.bucket = Some(format!("probe-{i}"));
            summary.add(&d);
            summary.add(&d);
        }
        // 1000 buckets; one each of principal, action, principal type, address, account,
        // region and error code.
        assert_eq!(summary.strings.0.len(), 1000 + 7);
        let groups: Vec<&Group> = summary.groups.values().collect();
        assert_eq!(groups.len(), 1000);
        for g in &groups {
            for set in [&g.principal_types, &g.source_ips, &g.accounts, &g.regions, &g.error_codes]
            {
                assert!(matches!(set, Few::One(_)), "{set:?}");
            }
        }
        let (first, last) =
            (&groups[0].accounts.as_slice()[0], &groups[999].accounts.as_slice()[0]);
        assert!(Arc::ptr_eq(first, last), "one account string for all groups");
        assert_eq!(summary.into_rows().head(1)[0].accounts, ["111122223333"]);
    }

    #[test]
    fn a_group_is_noise_only_when_every_denial_is() {
        let mut summary = Summary::default();
        let mut console = denial("alice", 1, "192.0.2.1", DeniedBy::Unknown);
        console.noise = Some("console_internal");
        let mut cli = denial("alice", 2, "192.0.2.1", DeniedBy::Unknown);
        cli.target.bucket = Some("mixed".into());
        let mut mixed = console.clone();
        mixed.target.bucket = Some("mixed".into());
        for d in [&console, &console, &mixed, &mixed, &cli] {
            summary.add(d);
        }
        let rows = summary.into_rows();
        let labels: Vec<_> = rows.iter().map(|r| (r.bucket.clone(), r.noise)).collect();
        assert_eq!(
            labels,
            [(Some("mixed".into()), None), (Some("b".into()), Some("console_internal"))]
        );
        let totals = rows.totals();
        assert_eq!(totals.noise, Count { groups: 1, denials: 2 });
        assert_eq!(rows.noise_by_label(), [("console_internal", Count { groups: 1, denials: 2 })]);
        let quiet = rows.without_noise();
        assert_eq!(quiet.len(), 1);
        assert_eq!(quiet.totals().hidden_noise, Some(Count { groups: 1, denials: 2 }));
        assert_eq!(quiet.totals().noise, Count::default());
        assert!(quiet.contains("alice", "s3:GetObject", Some("mixed")));
        assert!(!quiet.contains("alice", "s3:GetObject", Some("b")));
        // A label a later stage clears (a change linked to the group) is what counts.
        let mut cleared = rows.clone();
        cleared.amend(|row| std::mem::take(&mut row.noise).is_some());
        assert_eq!(cleared.totals().noise, Count::default());
        assert_eq!(cleared.without_noise().len(), 2);
    }

    #[test]
    fn session_names_keep_the_first_ones_by_name_however_merged() {
        let all: Vec<Denial> = (0..30)
            .map(|i| {
                let mut d = denial("role", i, "192.0.2.1", DeniedBy::Unknown);
                d.principal.session_name = Some(format!("session-{:02}", (i * 7) % 25));
                d
            })
            .collect();
        let mut whole = Summary::default();
        all.iter().for_each(|d| whole.add(d));
        let expected: Vec<String> = (0..SESSION_NAMES).map(|i| format!("session-{i:02}")).collect();
        assert_eq!(whole.into_rows().head(1)[0].session_names, expected);
        for split in [3, 15, 29] {
            let (mut left, mut right) = (Summary::default(), Summary::default());
            all[..split].iter().rev().for_each(|d| left.add(d));
            all[split..].iter().for_each(|d| right.add(d));
            assert_eq!(left.merge(right).into_rows().head(1)[0].session_names, expected);
        }
    }

    #[test]
    fn totals_count_failures_that_are_not_denials() {
        let mut summary = Summary::default();
        let mut missing = denial("alice", 1, "192.0.2.1", DeniedBy::Unknown);
        missing.category = ErrorCategory::Other;
        summary.add(&missing);
        summary.add(&denial("alice", 2, "192.0.2.1", DeniedBy::Unknown));
        summary.add(&denial("bob", 3, "192.0.2.1", DeniedBy::Unknown));
        let totals = summary.into_rows().totals();
        assert_eq!((totals.groups, totals.denials, totals.not_denials()), (2, 3, 1));
        assert_eq!(totals.of_category(ErrorCategory::Authorization), 2);
    }

    #[test]
    fn few_keeps_its_items_sorted_and_distinct() {
        let mut strings = Strings::default();
        let mut set = Few::default();
        for text in ["b", "a", "c", "a", "b"] {
            set.insert(text, &mut strings);
        }
        assert_eq!(set.to_strings(), ["a", "b", "c"]);
        let mut counts = Few::default();
        for (key, n) in [(2, 1), (1, 3), (2, 2)] {
            counts.add(key, n);
        }
        assert_eq!(counts.as_slice(), [(1, 3), (2, 3)]);
        assert_eq!(counts.most_frequent(), Some(1), "ties go to the smallest key");
    }
}
