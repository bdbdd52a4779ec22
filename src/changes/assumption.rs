//! Successful `sts:AssumeRole*` calls, read cheaply: who assumed which role, and when. They tell a
//! transient denial (IAM still propagating a fresh role or trust policy) from one that needs a fix
//! ([`super::transient`]).
//!
//! A trail holds many of them (every Lambda invocation role, every CI job), so one is not parsed
//! whole. Only the members that matter are cut out of its bytes — its `"eventTime"`,
//! `"eventSource"`, `"eventName"`, `"userIdentity"` and `"requestParameters"` keys — and read
//! where they are: the time and the role ARN as text, the caller's principal from its
//! `userIdentity`, parsed into the same [`Event`] view the classifier reads (so it is normalised
//! exactly like the `principal` column) the first time those bytes are seen and remembered after.
//! A request with escapes is parsed with the other members as one small object. A request with
//! a session policy, policy ARNs or tags among its own members makes the record a policy change,
//! parsed whole by the caller.
//! The response (the issued credentials, the bulk of such a record) is never parsed.
//!
//! The first key of each name followed by `:` is the event's own: CloudTrail writes `eventTime`,
//! `eventSource`, `eventName` and `userIdentity` before anything a requester chose, and text a
//! requester chose (a user agent) is a JSON string, inside which a quoted name can only be
//! followed by `,` or `}` (its own closing quote ends the string), never by `:`. The keys are
//! looked for from where the prefilter found the event name, not from the record's start (see
//! [`AssumptionReader::members`]): five searches from the start cost more than the rest of the
//! reading. A member that is missing, escaped or of the wrong shape makes the record count as
//! no assumption: a missed success leaves the denial's hint as it was, never wrong.

use std::collections::HashMap;
use std::sync::Arc;

use memchr::memmem::Finder;

use super::events::SESSION_HINTS;
use super::transient::{AssumptionLog, RoleAssumptions};
use crate::classify::principal::principal_of;
use crate::classify::{parse_event_time, parse_event_time_bytes};
use crate::decode::prefilter::{EVENT_NAME, first_quote};
use crate::decode::structural::{ScanState, find_value_end};
use crate::event::Event;

/// One successful `sts:AssumeRole*` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssumption {
    /// `eventTime`, microseconds since the Unix epoch (UTC).
    pub time: i64,
    /// Who assumed the role, normalised like the `principal` column (shared: one caller makes
    /// many assumptions).
    pub principal: Arc<str>,
    /// `requestParameters.roleArn`.
    pub role_arn: String,
}

impl RoleAssumption {
    /// The assumption a parsed event records: a successful `sts:AssumeRole*` with a time and a
    /// role.
    pub fn of_event(event: &Event<'_>) -> Option<Self> {
        let assumes = event.event_source == Some("sts.amazonaws.com")
            && event.event_name.is_some_and(|name| name.starts_with("AssumeRole"))
            && event.error_code.is_none();
        assumes.then_some(())?;
        Some(Self {
            time: parse_event_time(event.event_time?)?,
            principal: principal_of(event.identity.as_ref()).principal.into(),
            role_arn: event.request_role_arn?.to_string(),
        })
    }
}

const EVENT_TIME: &[u8] = b"\"eventTime\"";
const EVENT_SOURCE: &[u8] = b"\"eventSource\"";
const USER_IDENTITY: &[u8] = b"\"userIdentity\"";
const REQUEST_PARAMETERS: &[u8] = b"\"requestParameters\"";

/// The members cut out of a plain AssumeRole record, as `"key"` with its quotes.
const MEMBERS: [&[u8]; 5] =
    [EVENT_TIME, EVENT_SOURCE, EVENT_NAME, USER_IDENTITY, REQUEST_PARAMETERS];

/// What a successful `AssumeRole*` record turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Assumed {
    /// A plain one: the assumption (also kept in the reader's log), if its members read
    /// cleanly.
    Plain(Option<Success>),
    /// Its `requestParameters` holds one of [`SESSION_HINTS`] (a session policy, policy ARNs or
    /// tags): a policy change, to be parsed whole.
    WithSession,
}

/// One successful assumption as a reader keeps it: its principal and role by the numbers the
/// reader gave them ([`AssumptionReader::successes`] names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Success {
    /// `eventTime`, microseconds since the Unix epoch (UTC).
    pub time: i64,
    pub principal: u32,
    pub role: u32,
}

/// Principals remembered by the exact bytes of their `userIdentity`, at most this many per
/// worker (the map starts again when full). A trail's role assumptions come from few callers
/// (a function's service, a federated user, a CI role) over and over: in 30 objects of the bench
/// trail (`gen_trail bench`), 331 distinct identities make 9,437 assumptions, so all but a few
/// are read without a parse.
const REMEMBERED_PRINCIPALS: usize = 4096;
/// Identities longer than this are parsed every time rather than remembered.
const REMEMBERED_IDENTITY_BYTES: usize = 4096;

/// The hasher of the reader's maps: foldhash (SipHash over a few hundred bytes of identity cost
/// more than the rest of the reading).
type Hasher = foldhash::fast::RandomState;

/// Texts numbered in the order they are first seen, looked up by their bytes.
#[derive(Default)]
struct Numbered {
    texts: Vec<Box<str>>,
    numbers: HashMap<Box<[u8]>, u32, Hasher>,
}

impl Numbered {
    /// The number of `text`; `None` for bytes that are not UTF-8.
    fn number(&mut self, text: &[u8]) -> Option<u32> {
        if let Some(&number) = self.numbers.get(text) {
            return Some(number);
        }
        let number = u32::try_from(self.texts.len()).ok()?;
        self.texts.push(str::from_utf8(text).ok()?.into());
        self.numbers.insert(text.into(), number);
        Some(number)
    }

    fn text(&self, number: u32) -> &str {
        &self.texts[number as usize]
    }
}

/// Reads the successful role assumptions out of record bytes and keeps them; one per worker
/// (it owns reusable buffers).
pub struct AssumptionReader {
    /// `eventTime` and `eventSource`, for records where they do not stand just before the
    /// event name ([`key_before`]).
    time: Finder<'static>,
    source: Finder<'static>,
    identity: Finder<'static>,
    request: Finder<'static>,
    /// The number of the normalised principal of each `userIdentity` seen, by its bytes.
    identities: HashMap<Box<[u8]>, u32, Hasher>,
    principals: Numbered,
    roles: Numbered,
    /// Every success read.
    log: AssumptionLog,
    /// The small object made of the members, parsed in place.
    members: Vec<u8>,
}

impl Default for AssumptionReader {
    fn default() -> Self {
        Self {
            time: Finder::new(EVENT_TIME),
            source: Finder::new(EVENT_SOURCE),
            identity: Finder::new(USER_IDENTITY),
            request: Finder::new(REQUEST_PARAMETERS),
            identities: HashMap::default(),
            principals: Numbered::default(),
            roles: Numbered::default(),
            log: AssumptionLog::default(),
            members: Vec::with_capacity(1024),
        }
    }
}

impl AssumptionReader {
    /// What `record` (a successful AssumeRole* call, by the prefilter's reading of its bytes)
    /// is; a plain success is also kept. Its members are cut out of the bytes; the
    /// `userIdentity` is parsed only the first time it is seen, and the whole members object
    /// only when the request has escapes.
    pub fn read(
        &mut self,
        record: &[u8],
        event_name: usize,
        buffers: &mut simd_json::Buffers,
    ) -> Assumed {
        let value = |at: usize, key: &[u8]| value_after_key(&record[at + key.len()..]);
        let mut requests = self.request.find_iter(&record[event_name..]);
        let request = requests.find_map(|at| value(event_name + at, REQUEST_PARAMETERS));
        let (Some(name), Some(request)) = (value(event_name, EVENT_NAME), request) else {
            return Assumed::Plain(None);
        };
        let role = match request_members(request) {
            Some(Request::WithSession) => return Assumed::WithSession,
            Some(Request::Plain(role)) => role,
            // Escapes (`:role\/name`), which only the parser undoes: the members parsed as one
            // object, unless a hint anywhere in the request makes it a change to parse whole.
            None if session_hinted(request) => return Assumed::WithSession,
            None => {
                let values = self.members(record, event_name, name, request);
                let parsed = values.and_then(|values| self.parse_members(values, buffers));
                return Assumed::Plain(parsed.and_then(|assumption| self.keep(&assumption)));
            }
        };
        let (Some(role), true) = (role, name.starts_with(b"\"AssumeRole")) else {
            return Assumed::Plain(None);
        };
        let remembered = as_written(record, event_name)
            .and_then(|(time, identity)| Some((time, *self.identities.get(identity)?)));
        let found = match remembered {
            Some(found) => Some(found),
            None => self.searched(record, event_name, name, request, buffers),
        };
        // The role is numbered only for a success that counts.
        let numbered = found.and_then(|found| Some((found, self.roles.number(role)?)));
        let Some(((time, principal), role)) = numbered else {
            return Assumed::Plain(None);
        };
        self.log.add(principal, role, time);
        Assumed::Plain(Some(Success { time, principal, role }))
    }

    /// Keeps a success read some other way (a parsed record).
    pub fn keep(&mut self, assumption: &RoleAssumption) -> Option<Success> {
        let principal = self.principals.number(assumption.principal.as_bytes())?;
        let role = self.roles.number(assumption.role_arn.as_bytes())?;
        self.log.add(principal, role, assumption.time);
        Some(Success { time: assumption.time, principal, role })
    }

    /// The successes kept so far, by principal and role; the reader starts a new log.
    pub fn successes(&mut self) -> RoleAssumptions {
        let log = std::mem::take(&mut self.log);
        log.named(|p| self.principals.text(p), |r| self.roles.text(r))
    }

    /// The time and caller of a successful STS call, from its members as [`Self::members`]
    /// finds them.
    fn searched(
        &mut self,
        record: &[u8],
        event_name: usize,
        name: &[u8],
        request: &[u8],
        buffers: &mut simd_json::Buffers,
    ) -> Option<(i64, u32)> {
        let [time, source, _, identity, _] = self.members(record, event_name, name, request)?;
        (source == b"\"sts.amazonaws.com\"").then_some(())?;
        let time = unquoted(time).and_then(parse_event_time)?;
        Some((time, self.principal(identity, buffers)?))
    }

    /// The values of [`MEMBERS`] in `record`, whose first `"eventName"` key starts at
    /// `event_name` (its value `name`, and the request after it, already cut out), looked for
    /// where CloudTrail writes them rather than searched from the start: the time and source as
    /// the two members just before the event name (nothing a requester chose stands before the
    /// event name, so neither can be theirs). A record laid out otherwise (a key-sorted copy)
    /// has its time and source searched from the start, the first of each key followed by a
    /// colon; the identity always is.
    fn members<'r>(
        &self,
        record: &'r [u8],
        event_name: usize,
        name: &'r [u8],
        request: &'r [u8],
    ) -> Option<[&'r [u8]; 5]> {
        let value = |at: usize, key: &[u8]| value_after_key(&record[at + key.len()..]);
        let after =
            |finder: &Finder, key: &[u8]| finder.find_iter(record).find_map(|at| value(at, key));
        // CloudTrail writes `"eventTime":"…","eventSource":"…","eventName"`: read backwards from
        // the event name, the two are found without a search.
        let source_at = key_before(record, event_name, EVENT_SOURCE);
        let time_at = source_at.and_then(|at| key_before(record, at, EVENT_TIME));
        let written = |at: Option<usize>, key| at.and_then(|at| value(at, key));
        Some([
            written(time_at, EVENT_TIME).or_else(|| after(&self.time, EVENT_TIME))?,
            written(source_at, EVENT_SOURCE).or_else(|| after(&self.source, EVENT_SOURCE))?,
            name,
            after(&self.identity, USER_IDENTITY)?,
            request,
        ])
    }

    /// The number of the principal of the `userIdentity` value `identity`, normalised like the
    /// `principal` column: remembered, or parsed (the identity is all it depends on).
    fn principal(&mut self, identity: &[u8], buffers: &mut simd_json::Buffers) -> Option<u32> {
        if let Some(&principal) = self.identities.get(identity) {
            return Some(principal);
        }
        self.members.clear();
        self.members.extend_from_slice(b"{\"userIdentity\":");
        self.members.extend_from_slice(identity);
        self.members.push(b'}');
        let value = simd_json::to_borrowed_value_with_buffers(&mut self.members, buffers).ok()?;
        let principal = principal_of(Event::from_json(&value)?.identity.as_ref()).principal;
        let principal = self.principals.number(principal.as_bytes())?;
        if self.identities.len() >= REMEMBERED_PRINCIPALS {
            self.identities.clear();
        }
        if identity.len() <= REMEMBERED_IDENTITY_BYTES {
            self.identities.insert(identity.into(), principal);
        }
        Some(principal)
    }

    /// The assumption read from the members parsed as one object: for a request whose text has
    /// escapes (`:role\/name`), which only the parser undoes.
    fn parse_members(
        &mut self,
        values: [&[u8]; 5],
        buffers: &mut simd_json::Buffers,
    ) -> Option<RoleAssumption> {
        self.members.clear();
        self.members.push(b'{');
        for (key, value) in MEMBERS.iter().zip(values) {
            if self.members.len() > 1 {
                self.members.push(b',');
            }
            self.members.extend_from_slice(key);
            self.members.push(b':');
            self.members.extend_from_slice(value);
        }
        self.members.push(b'}');
        let value = simd_json::to_borrowed_value_with_buffers(&mut self.members, buffers).ok()?;
        RoleAssumption::of_event(&Event::from_json(&value)?)
    }
}

/// What [`request_members`] found in a request object.
#[derive(Debug, PartialEq, Eq)]
enum Request<'r> {
    /// No member named by a session hint; the text of its own `roleArn` member, if a string.
    Plain(Option<&'r [u8]>),
    /// A member named by one of [`SESSION_HINTS`] (`policy…`, `tags`): a policy change.
    WithSession,
}

/// The members of `request`, an object to its closing bracket, read in one pass: whether one is
/// a session part, and the text of `roleArn`. Only the request's own members count (the capture
/// reads the session parts there: `Require::AnyOf(SESSION_PARTS)`), so a hint in a nested value
/// leaves the record a plain assumption. `None` for a key or string value with an escape, or an
/// object not written as JSON: the caller reads those the slow way.
///
/// One pass instead of three (the hints tried at every quote, a search for a backslash, then the
/// members walked for the role): the reader went from 47.0 M to 41.5 M instructions on the
/// 18,874 plain assumptions of the 60-object callgrind run.
fn request_members(request: &[u8]) -> Option<Request<'_>> {
    let mut rest = request.strip_prefix(b"{")?.trim_ascii_start();
    if rest.starts_with(b"}") {
        return Some(Request::Plain(None));
    }
    let mut role = None;
    loop {
        if SESSION_HINTS.iter().any(|hint| rest.starts_with(hint)) {
            return Some(Request::WithSession);
        }
        let (name, after) = unescaped(rest)?;
        rest = after.trim_ascii_start().strip_prefix(b":")?.trim_ascii_start();
        let (text, value_end) = match rest.first()? {
            b'"' => {
                let (text, after) = unescaped(rest)?;
                (Some(text), rest.len() - after.len())
            }
            b'{' | b'[' => (None, 1 + find_value_end(&mut ScanState::new(), rest)?),
            _ => {
                let end =
                    rest.iter().position(|&b| matches!(b, b',' | b'}') || b.is_ascii_whitespace());
                (None, end?)
            }
        };
        // The first of a repeated key counts, as the parser (simd-json) keeps it.
        if name == b"roleArn" && role.is_none() {
            role = Some(text);
        }
        rest = rest[value_end..].trim_ascii_start();
        match rest.first()? {
            b',' => rest = rest[1..].trim_ascii_start(),
            b'}' => return Some(Request::Plain(role.flatten())),
            _ => return None,
        }
    }
}

/// Whether `request` holds one of [`SESSION_HINTS`] anywhere, each of which starts with a
/// quote: tried at each quote, in one pass, for a request with escapes (a test compares it with
/// a search per hint).
fn session_hinted(request: &[u8]) -> bool {
    let mut rest = request;
    while let Some(at) = first_quote(rest) {
        rest = &rest[at..];
        if SESSION_HINTS.iter().any(|hint| rest.starts_with(hint)) {
            return true;
        }
        rest = &rest[1..];
    }
    false
}

/// How CloudTrail starts every record, up to the event version's text.
const VERSION_KEY: &[u8] = b"{\"eventVersion\":\"";
/// What follows the version's text: the identity's key.
const IDENTITY_KEY: &[u8] = b"\",\"userIdentity\":";
/// The key of the member CloudTrail writes before the source, with the value's opening quote.
const TIME_KEY: &[u8] = b"\"eventTime\":\"";
/// The time member as CloudTrail writes it: the key, `YYYY-MM-DDTHH:MM:SSZ` and `",`.
const TIME_MEMBER_LEN: usize = TIME_KEY.len() + 20 + 2;
/// The source member of an STS call, as CloudTrail writes it just before the event name.
const STS_SOURCE: &[u8] = b"\"eventSource\":\"sts.amazonaws.com\",";

/// The time, and the bytes where the `userIdentity` value stands, of an STS call written byte
/// for byte as CloudTrail writes one: `{"eventVersion":"…","userIdentity":…,"eventTime":"…Z",
/// "eventSource":"sts.amazonaws.com","eventName"…` (no spaces). Read at their places, they need
/// no search; a record laid out otherwise gives `None` and is searched.
///
/// The identity bytes are all that stands between the identity's key and the time's: the
/// value itself when the record is CloudTrail's own. The caller uses them only to look up an
/// identity it read the searching way before (a whole object, to its matching bracket), and
/// equal bytes right after the key are that same object, so a lookup that succeeds is exact.
fn as_written(record: &[u8], event_name: usize) -> Option<(i64, &[u8])> {
    let source_at = event_name.checked_sub(STS_SOURCE.len())?;
    let time_at = source_at.checked_sub(TIME_MEMBER_LEN)?;
    (&record[source_at..event_name] == STS_SOURCE).then_some(())?;
    let text = record[time_at..source_at].strip_prefix(TIME_KEY)?.strip_suffix(b"\",")?;
    let time = parse_event_time_bytes(text)?;
    // From the version's text to the comma before the time.
    let rest = record.get(VERSION_KEY.len()..time_at)?.strip_suffix(b",")?;
    record.starts_with(VERSION_KEY).then_some(())?;
    let version_end = first_quote(rest)?;
    (!rest[..version_end].contains(&b'\\')).then_some(())?;
    Some((time, rest[version_end..].strip_prefix(IDENTITY_KEY)?))
}

/// Where `key` (quotes included) starts when the member written just before position `next`
/// (the start of the following member's key) is `key` with a string value: `"key":"text",`
/// read backwards. A value with a backslash, or a key not preceded by `{` or `,`, is not read
/// this way (the caller searches instead).
fn key_before(record: &[u8], next: usize, key: &[u8]) -> Option<usize> {
    let rest = record[..next].trim_ascii_end().strip_suffix(b",")?.trim_ascii_end();
    let text = rest.strip_suffix(b"\"")?;
    let open = memchr::memrchr(b'"', text)?;
    if memchr::memchr(b'\\', &text[open.saturating_sub(1)..]).is_some() {
        return None;
    }
    let before = text[..open].trim_ascii_end().strip_suffix(b":")?.trim_ascii_end();
    let start = before.len().checked_sub(key.len())?;
    let opened = matches!(before[..start].trim_ascii_end().last(), Some(b'{' | b','));
    (&before[start..] == key && opened).then_some(start)
}

/// The text between the quotes of a string value (as [`value_after_key`] gives it), as UTF-8.
fn unquoted(value: &[u8]) -> Option<&str> {
    let text = value.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    str::from_utf8(text).ok()
}

/// A string at the start of `bytes` without escapes: its text and the bytes after it; `None`
/// when a backslash comes before its closing quote.
fn unescaped(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = bytes.strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| (&rest[..end], &rest[end + 1..]))
}

/// The bytes of the value after a key: `: "text"` (without escapes: times, names and sources
/// have none) or `: {…}` (to its closing bracket, strings and escapes honoured).
fn value_after_key(rest: &[u8]) -> Option<&[u8]> {
    let value = rest.trim_ascii_start().strip_prefix(b":")?.trim_ascii_start();
    match value.first()? {
        b'"' => {
            let end = 1 + memchr::memchr2(b'"', b'\\', &value[1..])?;
            (value[end] == b'"').then(|| &value[..=end])
        }
        b'{' => {
            let end = find_value_end(&mut ScanState::new(), value)?;
            Some(&value[..=end])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
