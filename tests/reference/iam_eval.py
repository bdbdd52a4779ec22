"""Independent reference ("oracle") for the policy engine of `whydenied explain`.

What it is
    A deliberately plain evaluator of AWS IAM authorization for one request, written from
    docs/EVALUATION.md alone (not from the Rust code in src/policy/). It follows that page's rules
    literally: the request shape (§1), statement matching with the three truth values T/F/U (§2),
    operator results by key state (§2.1), policy variables (§2.2), exact enumeration over unknown
    atoms (§2.3), layers (§3), the decision and `denied_by` (§4). Where the page is open to more than
    one reading, the most literal one is taken and the spot is marked "READING:" in a comment.

What it deliberately does not do
    - No Kleene fallback: a request with more than 12 distinct unknown atoms is an error here (the
      differential corpus keeps at most 12). Every `U` is recorded as an atom and the decision is
      computed for every true/false assignment of the atoms that remain in the final formulas.
    - No explanation: it answers `decision` and `denied_by` only (no statements, no "assumed",
      no nearest misses), and never says "method".
    - No AWS service rules beyond the page (no ACLs, grants, access points, managed-policy rules).
    - No third-party modules: standard library only, Python 3.11+.

How the Rust tests use it
    tests/reference/gen_policy_corpus.py --seed S --count K > corpus.jsonl
    python3 tests/reference/iam_eval.py corpus.jsonl > expected.jsonl
    then the engine evaluates every request of corpus.jsonl and must give the same `decision` and
    `denied_by` (same order) for every `id`; an `error` line means the engine must reject the input.

Usage
    python3 iam_eval.py CASES.jsonl      one {"id", "request"} per line -> one
                                         {"id", "decision", "denied_by"} (or {"id", "error"}) per line
    python3 iam_eval.py --check FILE.json   FILE is a JSON array of {"name", "url", "request",
                                         "expect": {"decision", "denied_by"}}; prints mismatches,
                                         exits 1 when there is any.
"""

import datetime
import ipaddress
import itertools
import json
import re
import sys
from decimal import Decimal, InvalidOperation

MAX_ATOMS = 12


class RequestError(Exception):
    """The request is invalid per the spec (unknown field, bad principal, wrong types)."""


class RawNumber(str):
    """A JSON number kept as written (`numbers as written`, spec §1)."""


def is_text(x):
    return isinstance(x, str) and not isinstance(x, RawNumber)


def load_json(text):
    return json.loads(text, parse_float=RawNumber, parse_int=RawNumber)


def render(value, where):
    """A scalar as text: strings as they are, booleans true/false, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise RequestError(f"{where}: expected a string, number or boolean, got {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# Truth values as formulas over atoms: True, False, or a tuple tree
#   ("atom", i) | ("and", (f, ...)) | ("or", (f, ...)) | ("not", f)
# ---------------------------------------------------------------------------------------------

def f_and(*parts):
    kept = []
    for p in parts:
        if p is False:
            return False
        if p is True:
            continue
        if p not in kept:
            kept.append(p)
    if not kept:
        return True
    if len(kept) == 1:
        return kept[0]
    return ("and", tuple(kept))


def f_or(*parts):
    kept = []
    for p in parts:
        if p is True:
            return True
        if p is False:
            continue
        if p not in kept:
            kept.append(p)
    if not kept:
        return False
    if len(kept) == 1:
        return kept[0]
    return ("or", tuple(kept))


def f_not(p):
    if p is True:
        return False
    if p is False:
        return True
    if p[0] == "not":
        return p[1]
    return ("not", p)


def f_atoms(p, into):
    if p is True or p is False:
        return
    if p[0] == "atom":
        into.add(p[1])
    elif p[0] == "not":
        f_atoms(p[1], into)
    else:
        for q in p[1]:
            f_atoms(q, into)


def f_value(p, assignment):
    if p is True or p is False:
        return p
    if p[0] == "atom":
        return assignment[p[1]]
    if p[0] == "not":
        return not f_value(p[1], assignment)
    if p[0] == "and":
        return all(f_value(q, assignment) for q in p[1])
    return any(f_value(q, assignment) for q in p[1])


# Kleene values inside one condition entry, before it becomes an atom: True, False or "U".
U = "U"


def k_or(values):
    values = list(values)
    if any(v is True for v in values):
        return True
    if any(v == U for v in values):
        return U
    return False


def k_and(values):
    values = list(values)
    if any(v is False for v in values):
        return False
    if any(v == U for v in values):
        return U
    return True


def k_not(v):
    return U if v == U else (not v)


# ---------------------------------------------------------------------------------------------
# Globs. A pattern is text in which the private characters LIT_STAR / LIT_Q stand for a literal
# `*` / `?` (from the policy-variable escapes `${*}` and `${?}`); `*` and `?` are wildcards.
# ---------------------------------------------------------------------------------------------

LIT_STAR = "\ue000"
LIT_Q = "\ue001"


def unmark(text):
    return text.replace(LIT_STAR, "*").replace(LIT_Q, "?")


def glob_match(pattern, text, ignore_case=False):
    if ignore_case:
        pattern = pattern.lower()
        text = text.lower()
    regex = []
    for ch in pattern:
        if ch == "*":
            regex.append(".*")
        elif ch == "?":
            regex.append(".")
        else:
            regex.append(re.escape(unmark(ch)))
    return re.fullmatch("".join(regex), text, re.DOTALL) is not None


def arn_glob(pattern, value):
    """§2 Resource: six parts at the first five colons; parts globbed one by one, the rest whole."""
    if pattern.count(":") < 5 or value.count(":") < 5:
        return glob_match(pattern, value)
    p = pattern.split(":", 5)
    v = value.split(":", 5)
    return all(glob_match(a, b) for a, b in zip(p, v))


# ---------------------------------------------------------------------------------------------
# The request
# ---------------------------------------------------------------------------------------------

TOP_FIELDS = {
    "principal", "principal_account", "action", "resource", "resource_account", "context",
    "unknown_keys", "present_unknown_keys", "identity_policies", "permissions_boundary",
    "session_policy", "scp", "rcp", "resource_policy", "vpc_endpoint_policy",
    "s3_block_public_access",
}

ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
# READING: the table spells the partition `aws`; other partitions (aws-cn, aws-us-gov) are taken
# too, and the account must be 12 digits.
PARTITION = r"aws(?:-[a-z0-9-]+)?"
USER_RE = re.compile(rf"^arn:{PARTITION}:iam::([0-9]{{12}}):user/(?:.*/)?([^/]+)$")
ROLE_RE = re.compile(rf"^arn:({PARTITION}):iam::([0-9]{{12}}):role/(.*/)?([^/]+)$")
SESSION_RE = re.compile(rf"^arn:({PARTITION}):sts::([0-9]{{12}}):assumed-role/([^/]+)/([^/]+)$")
FEDERATED_RE = re.compile(rf"^arn:{PARTITION}:sts::([0-9]{{12}}):federated-user/([^/]+)$")
ROOT_RE = re.compile(rf"^arn:{PARTITION}:iam::([0-9]{{12}}):root$")
# READING: "something.amazonaws.com (no `:`)" is taken as: no colon, ends in ".amazonaws.com".
SERVICE_RE = re.compile(r"^[^:\s]+\.amazonaws\.com(?:\.cn)?$")

STATE_ABSENT, STATE_KNOWN, STATE_PRESENT_UNKNOWN, STATE_UNKNOWN = "absent", "known", "present-unknown", "unknown"


class Caller:
    """The principal of the request: kind, ARN, account and the identities it answers to."""

    def __init__(self, principal, context_lookup):
        if not is_text(principal):
            raise RequestError("principal: expected a string")
        self.arn = principal
        self.role_arn = None
        self.service = None
        self.account = None
        m_user, m_role = USER_RE.match(principal), ROLE_RE.match(principal)
        m_sess, m_fed, m_root = SESSION_RE.match(principal), FEDERATED_RE.match(principal), ROOT_RE.match(principal)
        if principal == "anonymous":
            self.kind = "anonymous"
        elif m_root:
            self.kind, self.account = "root", m_root.group(1)
        elif m_user:
            self.kind, self.account = "user", m_user.group(1)
        elif m_role:
            self.kind, self.account = "role", m_role.group(2)
            self.role_arn = principal
        elif m_sess:
            self.kind, self.account = "session", m_sess.group(2)
            state, values = context_lookup("aws:PrincipalArn")
            if state == STATE_KNOWN and len(values) == 1:
                self.role_arn = values[0]
            else:
                self.role_arn = f"arn:{m_sess.group(1)}:iam::{self.account}:role/{m_sess.group(3)}"
        elif m_fed:
            self.kind, self.account = "federated", m_fed.group(1)
        elif ":" not in principal and SERVICE_RE.match(principal):
            self.kind, self.service = "service", principal
        else:
            raise RequestError(f"principal: not a user, role, session, federated user, root, service or anonymous: {principal!r}")

    def has_identity_layers(self):
        return self.kind in ("user", "role", "session", "federated")

    def is_service_linked_role(self):
        if self.kind not in ("role", "session") or self.role_arn is None:
            return False
        parts = self.role_arn.split(":", 5)
        return len(parts) == 6 and parts[5].startswith("role/aws-service-role/")


class Request:
    def __init__(self, raw):
        if not isinstance(raw, dict):
            raise RequestError("request: expected an object")
        for field in raw:
            if field not in TOP_FIELDS:
                raise RequestError(f"unknown field {field!r}")
        if "action" not in raw or not is_text(raw["action"]) or raw["action"] == "":
            raise RequestError("action: expected a non-empty string")
        self.action = raw["action"]
        self.action_lower = self.action.lower()
        self.service = self.action_lower.split(":", 1)[0]

        self.resource = raw.get("resource")
        if self.resource is not None and not is_text(self.resource):
            raise RequestError("resource: expected a string")

        self.context = {}
        ctx = raw.get("context") or {}
        if not isinstance(ctx, dict):
            raise RequestError("context: expected an object")
        for key, value in ctx.items():
            if not is_text(key):
                raise RequestError("context: keys must be strings")
            lower = key.lower()
            if lower in self.context:
                raise RequestError(f"context: key {key!r} given twice (keys are case-insensitive)")
            if isinstance(value, list):
                texts = []
                for item in value:
                    t = render(item, f"context[{key!r}]")
                    if t not in texts:   # an array is a *set* of values
                        texts.append(t)
                self.context[lower] = texts
            elif value is None or isinstance(value, dict):
                raise RequestError(f"context[{key!r}]: expected a string, number, boolean or array")
            else:
                self.context[lower] = [render(value, f"context[{key!r}]")]

        self.unknown_keys = self._key_list(raw, "unknown_keys")
        self.present_unknown_keys = self._key_list(raw, "present_unknown_keys")

        self.caller = Caller(raw.get("principal"), self.key_state)
        pa = raw.get("principal_account")
        if pa is not None and not is_text(pa):
            raise RequestError("principal_account: expected a string")
        self.principal_account = pa if pa is not None else self.caller.account

        ra = raw.get("resource_account")
        if ra is not None and not is_text(ra):
            raise RequestError("resource_account: expected a string")
        if ra is None and self.resource is not None:
            parts = self.resource.split(":")
            if len(parts) >= 5 and parts[4] != "":
                ra = parts[4]
        self.resource_account = ra   # None = unknown

        def doc_list(name):
            v = raw.get(name)
            if v is None:
                return None
            if not isinstance(v, list):
                raise RequestError(f"{name}: expected an array of policies")
            return v

        def levels(name):
            v = raw.get(name)
            if v is None:
                return None
            if not isinstance(v, list) or not all(isinstance(level, list) for level in v):
                raise RequestError(f"{name}: expected an array of levels, each an array of policies")
            return [[parse_doc(d, f"{name}[{i}][{j}]") for j, d in enumerate(level)] for i, level in enumerate(v)]

        ids = doc_list("identity_policies")
        self.identity_policies = [parse_doc(d, f"identity_policies[{i}]") for i, d in enumerate(ids or [])]
        self.permissions_boundary = self._one_doc(raw, "permissions_boundary")
        self.session_policy = self._one_doc(raw, "session_policy")
        self.scp = levels("scp")
        self.rcp = levels("rcp")
        self.resource_policy = self._one_doc(raw, "resource_policy")
        self.vpc_endpoint_policy = self._one_doc(raw, "vpc_endpoint_policy")

        bpa = raw.get("s3_block_public_access")
        if bpa is not None and not isinstance(bpa, dict):
            raise RequestError("s3_block_public_access: expected an object")
        self.bpa = bpa or {}
        for k, v in self.bpa.items():
            if not isinstance(v, bool):
                raise RequestError(f"s3_block_public_access.{k}: expected a boolean")

    @staticmethod
    def _key_list(raw, name):
        v = raw.get(name) or []
        if not isinstance(v, list) or not all(is_text(x) for x in v):
            raise RequestError(f"{name}: expected an array of strings")
        return [x.lower() for x in v]

    @staticmethod
    def _one_doc(raw, name):
        v = raw.get(name)
        return None if v is None else parse_doc(v, name)

    def key_state(self, key):
        """(state, values) of a context key, §1."""
        lower = key.lower()
        if lower in self.context:
            values = self.context[lower]
            if not values:
                return STATE_ABSENT, []
            return STATE_KNOWN, values

        def listed(entries):
            for e in entries:
                if e.endswith("*"):
                    if lower.startswith(e[:-1]):
                        return True
                elif lower == e:
                    return True
            return False

        # READING: the spec does not say which list wins when a key matches both; present_unknown
        # (the more precise statement) is taken first.
        if listed(self.present_unknown_keys):
            return STATE_PRESENT_UNKNOWN, []
        if listed(self.unknown_keys):
            return STATE_UNKNOWN, []
        return STATE_ABSENT, []


# ---------------------------------------------------------------------------------------------
# Policy documents
# ---------------------------------------------------------------------------------------------

STATEMENT_FIELDS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                    "NotPrincipal", "Condition"}


class Statement:
    pass


class Policy:
    def __init__(self, name, variables, statements):
        self.name = name
        self.variables = variables   # True only for Version 2012-10-17
        self.statements = statements


def string_list(value, where):
    if is_text(value):
        return [value]
    if isinstance(value, list) and all(is_text(x) for x in value):
        return list(value)
    raise RequestError(f"{where}: expected a string or an array of strings")


def parse_doc(doc, where):
    name = where
    if isinstance(doc, dict) and "document" in doc and "Statement" not in doc:
        if "name" in doc:
            name = render(doc["name"], f"{where}.name")
        doc = doc["document"]
    if is_text(doc):
        try:
            doc = load_json(doc)
        except ValueError as e:
            raise RequestError(f"{where}: policy text is not JSON: {e}")
    if not isinstance(doc, dict):
        raise RequestError(f"{where}: a policy must be an object")
    if "Statement" not in doc:
        raise RequestError(f"{where}: no Statement")
    version = doc.get("Version")
    raw_statements = doc["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise RequestError(f"{where}.Statement: expected an object or an array")
    statements = []
    for n, raw in enumerate(raw_statements, 1):
        w = f"{where}.Statement[{n}]"
        if not isinstance(raw, dict):
            raise RequestError(f"{w}: expected an object")
        for k in raw:
            if k not in STATEMENT_FIELDS:
                raise RequestError(f"{w}: unknown element {k!r}")
        s = Statement()
        s.where = w
        s.effect = raw.get("Effect")
        if s.effect not in ("Allow", "Deny"):
            raise RequestError(f"{w}.Effect: expected Allow or Deny")
        for a, b in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
            if a in raw and b in raw:
                raise RequestError(f"{w}: both {a} and {b}")
        s.action = string_list(raw["Action"], f"{w}.Action") if "Action" in raw else None
        s.not_action = string_list(raw["NotAction"], f"{w}.NotAction") if "NotAction" in raw else None
        s.resource = string_list(raw["Resource"], f"{w}.Resource") if "Resource" in raw else None
        s.not_resource = string_list(raw["NotResource"], f"{w}.NotResource") if "NotResource" in raw else None
        s.principal = parse_principal(raw["Principal"], f"{w}.Principal") if "Principal" in raw else None
        s.not_principal = parse_principal(raw["NotPrincipal"], f"{w}.NotPrincipal") if "NotPrincipal" in raw else None
        s.has_condition = "Condition" in raw
        s.conditions = parse_conditions(raw.get("Condition", {}), f"{w}.Condition")
        statements.append(s)
    return Policy(name, version == "2012-10-17", statements)


def parse_principal(value, where):
    """A list of (type, value): type "*", "AWS", "Service", "CanonicalUser", "Federated"."""
    if value == "*":
        return [("*", "*")]
    if not isinstance(value, dict):
        raise RequestError(f"{where}: expected \"*\" or an object")
    out = []
    for typ, vals in value.items():
        if typ not in ("AWS", "Service", "CanonicalUser", "Federated"):
            raise RequestError(f"{where}: unknown principal type {typ!r}")
        for v in string_list(vals, f"{where}.{typ}"):
            out.append((typ, v))
    return out


def parse_conditions(block, where):
    """A list of (operator as written, key, [values as text])."""
    if not isinstance(block, dict):
        raise RequestError(f"{where}: expected an object")
    out = []
    for op, entries in block.items():
        if not isinstance(entries, dict):
            raise RequestError(f"{where}.{op}: expected an object of keys")
        for key, vals in entries.items():
            if isinstance(vals, list):
                texts = [render(v, f"{where}.{op}.{key}") for v in vals]
            elif vals is None or isinstance(vals, dict):
                raise RequestError(f"{where}.{op}.{key}: expected a string, number, boolean or array")
            else:
                texts = [render(vals, f"{where}.{op}.{key}")]
            out.append((op, key, texts))
    return out


# ---------------------------------------------------------------------------------------------
# Policy variables (§2.2)
# ---------------------------------------------------------------------------------------------

VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
NO_MATCH = "NO_MATCH"


def substitute(text, policy, request):
    """Pattern text with variables replaced; U when a variable's key is not known as one value;
    NO_MATCH when it is absent and has no default."""
    if not policy.variables:
        return text
    out = []
    pos = 0
    result_unknown = False
    for m in VARIABLE_RE.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        body = m.group(1).strip()
        if body == "*":
            out.append(LIT_STAR)
            continue
        if body == "?":
            out.append(LIT_Q)
            continue
        if body == "$":
            out.append("$")
            continue
        default = None
        if "," in body:
            key, default = body.split(",", 1)
            key = key.strip()
            default = default.strip()
            if len(default) >= 2 and default[0] == "'" and default[-1] == "'":
                default = default[1:-1]
        else:
            key = body
        state, values = request.key_state(key)
        if state == STATE_KNOWN and len(values) == 1:
            # Spec §2.2: the substituted value is literal text (a `*` in it is no wildcard).
            out.append(values[0].replace("*", LIT_STAR).replace("?", LIT_Q))
        elif state == STATE_ABSENT:
            if default is None:
                # READING: "match nothing" is taken at the pattern/value: under NotResource or a
                # negated operator such a pattern/value can therefore make the statement apply.
                return NO_MATCH
            out.append(default)
        else:
            result_unknown = True
            out.append("")
    out.append(text[pos:])
    if result_unknown:
        return U
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Condition operators (§2.1)
# ---------------------------------------------------------------------------------------------

NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
POSITIVE = {
    "StringEquals", "StringEqualsIgnoreCase", "StringLike",
    "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "ArnEquals", "ArnLike",
}

DECIMAL_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def parse_decimal(text):
    if not DECIMAL_RE.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


DATE_RE = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$")
EPOCH_RE = re.compile(r"^[+-]?[0-9]+$")


def parse_instant(text):
    """Seconds since the epoch as a Decimal (fractions kept), or None."""
    if EPOCH_RE.match(text):
        return Decimal(text)
    m = DATE_RE.match(text)
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, zone = m.groups()
    try:
        if hh is None:
            dt = datetime.datetime(int(year), int(month), int(day), tzinfo=datetime.timezone.utc)
        else:
            # READING: a date-time without zone designator is taken as UTC.
            tz = datetime.timezone.utc
            if zone and zone != "Z":
                sign = 1 if zone[0] == "+" else -1
                tz = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
            dt = datetime.datetime(int(year), int(month), int(day), int(hh), int(mm), int(ss), tzinfo=tz)
    except ValueError:
        return None
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = dt - epoch
    seconds = Decimal(delta.days * 86400 + delta.seconds)
    if frac:
        seconds += Decimal("0" + frac)
    return seconds


def compare(kind, a, b):
    if a is None or b is None:
        return False
    return {
        "Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b,
        "GreaterThan": a > b, "GreaterThanEquals": a >= b,
    }[kind]


def base_match(op, v, w):
    """One context value v against one policy value w (w may carry literal-char markers)."""
    if op == "StringEquals":
        return v == unmark(w)
    if op == "StringEqualsIgnoreCase":
        return v.lower() == unmark(w).lower()
    if op == "StringLike":
        return glob_match(w, v)
    if op.startswith("Numeric"):
        return compare(op[len("Numeric"):], parse_decimal(v), parse_decimal(unmark(w)))
    if op.startswith("Date"):
        return compare(op[len("Date"):], parse_instant(v), parse_instant(unmark(w)))
    if op == "Bool":
        # READING: only the texts true/false (any case) are Bool values.
        a, b = v.lower(), unmark(w).lower()
        return a in ("true", "false") and a == b
    if op == "BinaryEquals":
        return v == unmark(w)
    if op == "IpAddress":
        try:
            addr = ipaddress.ip_address(v)
        except ValueError:
            return False
        try:
            # READING: a CIDR with host bits set is accepted (its network is used).
            net = ipaddress.ip_network(unmark(w), strict=False)
        except ValueError:
            return False
        return addr.version == net.version and addr in net
    if op in ("ArnEquals", "ArnLike"):
        if v.count(":") < 5:
            return False
        return arn_glob(w, v)
    raise AssertionError(op)


def split_operator(op):
    """(set_prefix or None, base, if_exists) or None when the operator is not known."""
    prefix = None
    rest = op
    for p in ("ForAnyValue:", "ForAllValues:"):
        if rest.startswith(p):
            prefix = p[:-1]
            rest = rest[len(p):]
            break
    if_exists = False
    if rest.endswith("IfExists"):
        if_exists = True
        rest = rest[:-len("IfExists")]
    if rest == "Null":
        # Spec §2.1: Null takes no modifier; `NullIfExists` or `ForAnyValue:Null` is unknown.
        return (prefix, rest, if_exists) if prefix is None and not if_exists else None
    if rest in POSITIVE or rest in NEGATED:
        return prefix, rest, if_exists
    return None


def entry_value(op, key, values, policy, request):
    """Kleene value (True/False/U) of one condition entry."""
    parsed = split_operator(op)
    if parsed is None:
        return U
    prefix, base, if_exists = parsed
    state, ctx = request.key_state(key)

    if base == "Null":
        # READING: Null with a set prefix or IfExists is not described; the modifiers are ignored.
        def null_for(w):
            if w == U:
                return U
            if w == NO_MATCH:
                return False
            w = unmark(w).lower()
            if w not in ("true", "false"):
                return False
            if state == STATE_UNKNOWN:
                return U
            absent = state == STATE_ABSENT
            return absent if w == "true" else not absent
        return k_or(null_for(substitute(x, policy, request)) for x in values)

    if state == STATE_PRESENT_UNKNOWN or state == STATE_UNKNOWN:
        return U
    if state == STATE_ABSENT:
        if if_exists:
            return True
        if prefix == "ForAnyValue":
            return False
        if prefix == "ForAllValues":
            return True
        return base in NEGATED

    policy_values = [substitute(x, policy, request) for x in values]
    positive = NEGATED.get(base, base)
    negated = base in NEGATED

    def match(v):
        results = []
        for w in policy_values:
            if w == U:
                results.append(U)
            elif w == NO_MATCH:
                results.append(False)
            else:
                results.append(base_match(positive, v, w))
        return k_or(results)

    def op_on(v):
        m = match(v)
        return k_not(m) if negated else m

    # (operator names are matched case-sensitively: "stringequals" is an unknown operator -> U)
    if prefix == "ForAnyValue":
        return k_or(op_on(v) for v in ctx)
    if prefix == "ForAllValues":
        return k_and(op_on(v) for v in ctx)
    if len(ctx) > 1:
        return False   # Choice in the spec: a single-valued operator on several values is F
    return op_on(ctx[0])


# ---------------------------------------------------------------------------------------------
# Statement matching (§2) -> formulas
# ---------------------------------------------------------------------------------------------

class Atoms:
    def __init__(self):
        self.index = {}

    def atom(self, key):
        if key not in self.index:
            self.index[key] = len(self.index)
        return ("atom", self.index[key])


class Evaluator:
    def __init__(self, request):
        self.req = request
        self.atoms = Atoms()

    # -- elements ------------------------------------------------------------------------------

    def action_applies(self, s):
        if s.action is not None:
            return any(glob_match(p, self.req.action, ignore_case=True) for p in s.action)
        if s.not_action is not None:
            return not any(glob_match(p, self.req.action, ignore_case=True) for p in s.not_action)
        return False

    def resource_pattern(self, pattern, policy):
        if pattern == "*":
            return True
        text = substitute(pattern, policy, self.req)
        if text == NO_MATCH:
            return False
        if text == U or self.req.resource is None:
            return self.atoms.atom(("resource", pattern))
        return arn_glob(text, self.req.resource)

    def resource_applies(self, s, policy):
        if s.resource is not None:
            return f_or(*[self.resource_pattern(p, policy) for p in s.resource])
        if s.not_resource is not None:
            return f_not(f_or(*[self.resource_pattern(p, policy) for p in s.not_resource]))
        return True

    def principal_value(self, typ, value):
        """[(kind, formula)] for one Principal value against the caller."""
        c = self.req.caller
        if typ == "*" or (typ == "AWS" and value == "*"):
            return [("wildcard", True)]
        if typ == "Service":
            return [("direct", c.kind == "service" and c.service.lower() == value.lower())]
        if typ in ("CanonicalUser", "Federated"):
            # Choice in the spec: U for every caller. READING: the kind of such a match is not
            # given; it is taken as `direct`.
            return [("direct", self.atoms.atom(("principal", typ, value)))]
        # AWS
        account = None
        if ACCOUNT_RE.match(value):
            account = value
        else:
            m = ROOT_RE.match(value)
            if m:
                account = m.group(1)
        if account is not None:
            ok = c.kind in ("user", "role", "session", "federated", "root") and c.account == account
            return [("account", ok)]
        if value.startswith("AIDA") or value.startswith("AROA"):
            if c.kind not in ("user", "role", "session", "federated"):
                return [("direct", False)]
            state, ids = self.req.key_state("aws:userid")
            kind = "role" if c.kind == "session" else "direct"
            # Spec §2: known -> compare; absent (the context is complete) or multi-valued -> F;
            # unknown or present-unknown -> U.
            if state == STATE_KNOWN:
                return [(kind, len(ids) == 1 and ids[0].split(":", 1)[0] == value)]
            if state == STATE_ABSENT:
                return [(kind, False)]
            return [(kind, self.atoms.atom(("principal", "AWS", value)))]
        if value.startswith("arn:"):
            out = []
            if c.kind not in ("service", "anonymous", "root") and value == c.arn:
                out.append(("direct", True))
            if c.kind == "session" and value == c.role_arn:
                out.append(("role", True))
            return out or [("direct", False)]
        # READING: any other AWS value (not an account, ARN or AIDA/AROA id) matches no one.
        return [("direct", False)]

    def principal_by_kind(self, s):
        """{kind: formula} for a Principal / NotPrincipal element of a principal-bearing layer."""
        kinds = {"direct": False, "role": False, "account": False, "wildcard": False}
        if s.principal is not None:
            for typ, value in s.principal:
                for kind, f in self.principal_value(typ, value):
                    kinds[kind] = f_or(kinds[kind], f)
            return kinds
        if s.not_principal is not None:
            if s.effect == "Deny" and self.req.permissions_boundary is not None:
                applies = True
            else:
                applies = self.not_principal_applies(s.not_principal)
            # READING: the kind of a NotPrincipal match is not given; it is taken as `wildcard`.
            kinds["wildcard"] = applies
            return kinds
        # READING: "a resource-policy statement with neither ... applies to no one" is applied to
        # every principal-bearing layer (resource policy, RCP, VPC endpoint policy).
        return kinds   # neither element: applies to no one

    def not_principal_applies(self, values):
        """Applies unless every identity of the caller is listed (§2)."""
        c = self.req.caller
        # identities: (name, label)
        if c.kind == "anonymous":
            identities = [("anonymous", None)]   # READING: anonymous answers to `*` only
        elif c.kind == "service":
            identities = [("service", c.service)]
        elif c.kind == "root":
            identities = [("account", c.account)]
        elif c.kind == "session":
            identities = [("own", c.arn), ("role", c.role_arn), ("account", c.account)]
        else:
            identities = [("own", c.arn), ("account", c.account)]
        all_listed = True
        for name, label in identities:
            listed = False
            for typ, value in values:
                if typ == "*" or (typ == "AWS" and value == "*"):
                    listed = True
                elif typ in ("CanonicalUser", "Federated"):
                    # READING: an unresolvable value may list any identity: one atom per value.
                    listed = f_or(listed, self.atoms.atom(("principal", typ, value)))
                elif typ == "Service":
                    if name == "service" and value.lower() == label.lower():
                        listed = True
                elif name == "account":
                    if value == label or (ROOT_RE.match(value) and ROOT_RE.match(value).group(1) == label):
                        listed = True
                elif name in ("own", "role") and value.startswith("arn:"):
                    if value == label:
                        listed = True
                elif name in ("own", "role") and (value.startswith("AIDA") or value.startswith("AROA")):
                    wanted = "role" if c.kind == "session" else "own"
                    if name == wanted:
                        for _, f in self.principal_value(typ, value):
                            listed = f_or(listed, f)
            all_listed = f_and(all_listed, listed)
        return f_not(all_listed)

    def conditions_apply(self, s, policy):
        parts = []
        for op, key, values in s.conditions:
            v = entry_value(op, key, values, policy, self.req)
            if v == U:
                parts.append(self.atoms.atom(("condition", op, key.lower(), tuple(values))))
            else:
                parts.append(v)
        return f_and(*parts)

    def statement(self, s, policy, with_principal):
        """{kind: formula} when with_principal, else one formula: does the statement apply?"""
        base = f_and(self.action_applies(s), self.resource_applies(s, policy))
        if base is not False:
            base = f_and(base, self.conditions_apply(s, policy))
        if not with_principal:
            return base
        kinds = self.principal_by_kind(s) if base is not False else {}
        return {k: f_and(base, f) for k, f in kinds.items()}

    def layer(self, policies, with_principal=False):
        """(allow formula, deny formula[, allow formulas by kind]) over a list of policies."""
        allow, deny = False, False
        by_kind = {"direct": False, "role": False, "account": False, "wildcard": False}
        for policy in policies:
            for s in policy.statements:
                r = self.statement(s, policy, with_principal)
                if with_principal:
                    applies = f_or(*r.values()) if r else False
                    if s.effect == "Allow":
                        for k, f in r.items():
                            by_kind[k] = f_or(by_kind[k], f)
                else:
                    applies = r
                if s.effect == "Allow":
                    allow = f_or(allow, applies)
                else:
                    deny = f_or(deny, applies)
        if with_principal:
            return allow, deny, by_kind
        return allow, deny


TRUST_ACTIONS = {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                 "sts:tagsession", "sts:setsourceidentity"}
RCP_SERVICES = {"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-identity", "logs",
                "dynamodb"}
ORDER = ["scp", "rcp", "permissions_boundary", "identity_policy", "resource_policy", "session_policy",
         "vpc_endpoint_policy", "role_trust_policy", "s3_block_public_access"]


def names_star(policy):
    """BPA without PolicyIsPublic: some Allow names `*` and has no Condition (§4 step 5)."""
    for s in policy.statements:
        if s.effect == "Allow" and not s.has_condition and s.principal is not None:
            for typ, value in s.principal:
                if typ == "*" or (typ == "AWS" and value == "*"):
                    return True
    return False


def evaluate(raw_request):
    """{"decision": ..., "denied_by": [...]} for one request (a dict in the spec's shape)."""
    req = Request(raw_request)
    if req.action_lower == "sts:getcalleridentity":
        return {"decision": "allowed", "denied_by": []}
    ev = Evaluator(req)
    c = req.caller
    trust = req.action_lower in TRUST_ACTIONS
    resource_layer = "role_trust_policy" if trust else "resource_policy"
    # Spec §4: the key policy is required for a kms: action on a key, or when one is given.
    kms_key = req.service == "kms" and (
        req.resource_policy is not None
        or (req.resource is not None and re.match(r"^arn:[^:]*:kms:[^:]*:[^:]*:key/", req.resource) is not None))
    has_rp = req.resource_policy is not None

    # --- layers that take part: formulas -------------------------------------------------------
    f = {}   # name -> formula
    deny_layers = []   # (layer type, deny formula)

    scp_levels = []
    if req.scp is not None and c.kind not in ("service", "anonymous") and not c.is_service_linked_role():
        for level in req.scp:
            allow, deny = ev.layer(level)
            scp_levels.append(allow)
            deny_layers.append(("scp", deny))
    if req.rcp is not None and req.service in RCP_SERVICES:
        for level in req.rcp:
            _, deny, _ = ev.layer(level, with_principal=True)
            deny_layers.append(("rcp", deny))   # RCPFullAWSAccess: every level allows

    identity_parts = c.has_identity_layers()
    id_allow = b_allow = s_allow = True
    boundary_needed = session_needed = False
    if identity_parts:
        id_allow, id_deny = ev.layer(req.identity_policies)
        deny_layers.append(("identity_policy", id_deny))
        if req.permissions_boundary is not None:
            boundary_needed = True
            b_allow, b_deny = ev.layer([req.permissions_boundary])
            deny_layers.append(("permissions_boundary", b_deny))
        if req.session_policy is not None:
            session_needed = True
            s_allow, s_deny = ev.layer([req.session_policy])
            deny_layers.append(("session_policy", s_deny))
        elif c.kind == "federated":
            session_needed = True
            s_allow = False   # a federated user without a session policy has no permissions

    r_kind = {"direct": False, "role": False, "account": False, "wildcard": False}
    r_any = False
    if has_rp:
        r_any, r_deny, r_kind = ev.layer([req.resource_policy], with_principal=True)
        deny_layers.append((resource_layer, r_deny))
    vpce_allow = True
    if req.vpc_endpoint_policy is not None:
        vpce_allow, vpce_deny, _ = ev.layer([req.vpc_endpoint_policy], with_principal=True)
        deny_layers.append(("vpc_endpoint_policy", vpce_deny))

    # same account (§4 step 4 and step 5)
    if req.resource_account is None:
        # Spec §4: an unknown resource account is the same account when there is no resource
        # policy, else one atom — in step 4 and step 5 alike.
        same_grant = same_bpa = ev.atoms.atom(("resource_account",)) if has_rp else True
    else:
        same_grant = same_bpa = (req.principal_account == req.resource_account)
    if c.kind in ("service", "anonymous"):
        same_bpa = False   # never "of the resource's account" (services are exempt anyway)

    identity = f_and(id_allow, b_allow if boundary_needed else True, s_allow if session_needed else True)

    # --- step 4: grant --------------------------------------------------------------------------
    if c.kind in ("service", "anonymous"):
        grant = r_any
        resource_required = True
    elif c.kind == "root":
        if trust or kms_key:
            # READING: with no resource policy for a trust/kms action the root user is refused too.
            grant = r_any
            resource_required = True
        else:
            grant = f_or(same_grant, r_any)
            resource_required = f_not(same_grant)
    elif trust or kms_key:
        same_case = f_or(r_kind["direct"], r_kind["role"],
                         f_and(f_or(r_kind["account"], r_kind["wildcard"]), identity))
        cross_case = f_and(r_any, identity)
        grant = f_or(f_and(same_grant, same_case), f_and(f_not(same_grant), cross_case))
        resource_required = True
    else:
        same_case = f_or(identity, r_kind["direct"], r_kind["wildcard"],
                         f_and(r_kind["role"], b_allow if boundary_needed else True,
                               s_allow if session_needed else True),
                         f_and(r_kind["account"], identity))
        cross_case = f_and(r_any, identity)
        grant = f_or(f_and(same_grant, same_case), f_and(f_not(same_grant), cross_case))
        resource_required = f_not(same_grant)

    # --- step 5: S3 Block Public Access ---------------------------------------------------------
    bpa_refuses = False
    if req.service == "s3" and req.bpa.get("RestrictPublicBuckets") is True:
        if "PolicyIsPublic" in req.bpa:
            public = req.bpa["PolicyIsPublic"] is True
        else:
            public = has_rp and names_star(req.resource_policy)
        if public and c.kind != "service":
            bpa_refuses = f_not(same_bpa)

    # --- everything as formulas; enumerate the atoms ----------------------------------------------
    named = {
        "grant": grant, "resource_required": resource_required, "bpa": bpa_refuses,
        "vpce_allow": vpce_allow, "id_allow": id_allow, "b_allow": b_allow, "s_allow": s_allow,
        "r_any": r_any,
    }
    for i, allow in enumerate(scp_levels):
        named[f"scp{i}"] = allow
    for i, (_, deny) in enumerate(deny_layers):
        named[f"deny{i}"] = deny

    used = set()
    for formula in named.values():
        f_atoms(formula, used)
    used = sorted(used)
    if len(used) > MAX_ATOMS:
        raise RequestError(f"{len(used)} unknown atoms: more than {MAX_ATOMS}, exact enumeration refused")

    outcomes = set()
    denied_by = set()
    denying = []   # the layer set of each assignment that denies
    for bits in itertools.product((False, True), repeat=len(used)):
        asg = dict(zip(used, bits))
        val = {k: f_value(formula, asg) for k, formula in named.items()}
        explicit = {layer for i, (layer, _) in enumerate(deny_layers) if val[f"deny{i}"]}
        if explicit:
            outcomes.add("explicit_deny")
            denied_by |= explicit
            denying.append(explicit)
            continue
        refusing = set()
        if any(not val[f"scp{i}"] for i in range(len(scp_levels))):
            refusing.add("scp")
        if not val["grant"]:
            # READING: "needed by the rule that applies to the caller" is taken as: every user,
            # role, session or federated caller needs its identity layers.
            if identity_parts:
                if not val["id_allow"]:
                    refusing.add("identity_policy")
                if boundary_needed and not val["b_allow"]:
                    refusing.add("permissions_boundary")
                if session_needed and not val["s_allow"]:
                    refusing.add("session_policy")
            if not val["r_any"] and (val["resource_required"] or has_rp):
                refusing.add(resource_layer)
        if val["bpa"]:
            refusing.add("s3_block_public_access")
        if not val["vpce_allow"]:
            refusing.add("vpc_endpoint_policy")
        if refusing:
            outcomes.add("implicit_deny")
            denied_by |= refusing
            denying.append(refusing)
        else:
            outcomes.add("allowed")

    decision = outcomes.pop() if len(outcomes) == 1 else "conditional"
    if decision != "conditional" and denying:
        # Spec §4: a definite decision names the layers that refuse in every case, if any.
        certain = set.intersection(*denying)
        denied_by = certain or denied_by
    return {"decision": decision, "denied_by": [x for x in ORDER if x in denied_by]}


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def run_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            case = load_json(line)
            cid = case.get("id", n)
            if isinstance(cid, RawNumber):
                cid = int(cid) if re.fullmatch(r"-?[0-9]+", cid) else cid
            try:
                out = {"id": cid, **evaluate(case.get("request"))}
            except RequestError as e:
                out = {"id": cid, "error": str(e)}
            print(json.dumps(out))


def run_check(path):
    with open(path, encoding="utf-8") as fh:
        cases = load_json(fh.read())
    bad = 0
    for case in cases:
        try:
            got = evaluate(case["request"])
        except RequestError as e:
            got = {"error": str(e)}
        want = case["expect"]
        if got != {"decision": want["decision"], "denied_by": want["denied_by"]}:
            bad += 1
            print(f"MISMATCH {case['name']} ({case.get('url', '')}): expected {json.dumps(want)}, got {json.dumps(got)}")
    print(f"{len(cases) - bad}/{len(cases)} cases agree", file=sys.stderr)
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return run_check(argv[2])
    if len(argv) == 2 and not argv[1].startswith("-"):
        run_jsonl(argv[1])
        return 0
    print(__doc__.split("Usage", 1)[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
