"""Seeded generator of random small requests for the differential test of the policy engine.

Writes JSONL, one {"id": N, "request": {...}} per line, in the request format of
docs/EVALUATION.md §1 -- the input of tests/reference/iam_eval.py and of the Rust engine:

    python3 tests/reference/gen_policy_corpus.py --seed 7 --count 3000 > corpus.jsonl

Same seed and count, same bytes. Every principal kind, same/cross/unknown resource account, every
layer (identity, boundary, session, SCP and RCP levels, resource policy incl. trust and key
policies, VPC endpoint policy, S3 Block Public Access), Allow/Deny, Action/NotAction,
Resource/NotResource, Principal/NotPrincipal, every operator family with IfExists / ForAnyValue /
ForAllValues and Null, the five key states and policy variables. A few requests are invalid on
purpose (both sides must reject them). Requests are kept to at most 10 possibly-unknown atoms
(a generous upper bound of §2.3's count), below the 12 exact enumeration needs.

With --stats, the decision distribution (computed with iam_eval.py) is printed to stderr.
"""

import argparse
import json
import os
import random
import sys

A, B, C = "111122223333", "444455556666", "777788889999"
ORG, OTHER_ORG = "o-a1b2c3d4e5", "o-zzzzzzzzzz"
MAX_ESTIMATED_ATOMS = 10

BUCKETS = ["data-a", "data-b", "logs-a"]
KEYS = ["home/alice/cv.txt", "home/bob/x.csv", "public/index.html", "a*b/file", "team/data/r.json"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    def pick(self, *options):
        return self.r.choice(options)

    def chance(self, p):
        return self.r.random() < p

    def scalar_or_list(self, values):
        if len(values) == 1 and self.chance(0.5):
            return values[0]
        return list(values)

    # -- the caller -------------------------------------------------------------------------------

    def caller(self):
        acct = self.pick(A, A, A, B)
        kind = self.pick("user", "user", "role", "session", "session", "session", "federated", "root",
                         "service", "anonymous", "slr")
        ctx = {}
        if kind == "user":
            name = self.pick("alice", "bob")
            arn = f"arn:aws:iam::{acct}:user/{self.pick('', 'staff/')}{name}"
            ctx["aws:username"] = name
            ctx["aws:userid"] = f"AIDA{name.upper()}0001"
        elif kind == "role":
            arn = f"arn:aws:iam::{acct}:role/{self.pick('', 'svc/')}app"
        elif kind == "slr":
            arn = f"arn:aws:iam::{acct}:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMR"
            if self.chance(0.5):
                arn = f"arn:aws:sts::{acct}:assumed-role/AWSServiceRoleForEMR/emr"
                ctx["aws:PrincipalArn"] = f"arn:aws:iam::{acct}:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMR"
        elif kind == "session":
            role = self.pick("app", "ci")
            arn = f"arn:aws:sts::{acct}:assumed-role/{role}/s-{self.pick('1', '2')}"
            ctx["aws:userid"] = f"AROA{role.upper()}0001:s"
            if self.chance(0.4):
                ctx["aws:PrincipalArn"] = f"arn:aws:iam::{acct}:role/{self.pick('', 'svc/')}{role}"
        elif kind == "federated":
            arn = f"arn:aws:sts::{acct}:federated-user/jane"
        elif kind == "root":
            arn = f"arn:aws:iam::{acct}:root"
        elif kind == "service":
            arn = self.pick("cloudtrail.amazonaws.com", "ec2.amazonaws.com", "logging.s3.amazonaws.com")
            acct = None
        else:
            arn = "anonymous"
            acct = None
        return kind, arn, acct, ctx

    # -- action and resource ----------------------------------------------------------------------

    def action_resource(self, caller_acct):
        action = self.pick("s3:GetObject", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt",
                           "kms:Encrypt", "sts:AssumeRole", "sts:TagSession", "ec2:RunInstances",
                           "iam:CreateUser", "lambda:InvokeFunction", "sqs:SendMessage", "dynamodb:GetItem",
                           "secretsmanager:GetSecretValue")
        if self.chance(0.01):
            action = "sts:GetCallerIdentity"
        if self.chance(0.05):
            action = action.upper() if self.chance(0.5) else action.lower()
        acct = self.pick(A, B, caller_acct or A, caller_acct or A, caller_acct or A)
        svc = action.split(":")[0].lower()
        if svc == "s3":
            bucket = self.pick(*BUCKETS)
            res = f"arn:aws:s3:::{bucket}" if action.lower() == "s3:listbucket" else f"arn:aws:s3:::{bucket}/{self.pick(*KEYS)}"
        elif svc == "kms":
            res = f"arn:aws:kms:us-east-1:{acct}:key/{self.pick('k1', 'k2')}"
        elif svc == "sts":
            res = f"arn:aws:iam::{acct}:role/{self.pick('target', 'admin')}"
        elif svc == "iam":
            res = f"arn:aws:iam::{acct}:user/new"
        elif svc == "ec2":
            res = f"arn:aws:ec2:{self.pick('us-east-1', 'eu-west-1')}:{acct}:instance/i-1"
        elif svc == "sqs":
            res = f"arn:aws:sqs:us-east-1:{acct}:q"
        elif svc == "dynamodb":
            res = f"arn:aws:dynamodb:us-east-1:{acct}:table/t"
        elif svc == "secretsmanager":
            res = f"arn:aws:secretsmanager:us-east-1:{acct}:secret:db-AbCdEf"
        else:
            res = f"arn:aws:lambda:us-east-1:{acct}:function:f"
        return action, res, svc

    def action_patterns(self, action):
        svc, name = action.split(":")
        pool = [action, action, action, f"{svc}:*", f"{svc}:*", "*", f"{svc}:{name[:3]}*", f"{svc}:?{name[1:]}", f"{svc.upper()}:{name.lower()}",
                "s3:Get*", "kms:*", "ec2:*", "iam:*", "sts:AssumeRole", "s3:PutObject", "sqs:*"]
        n = self.pick(1, 1, 1, 2)
        return self.scalar_or_list([self.pick(*pool) for _ in range(n)])

    def resource_patterns(self, res):
        parts = res.split(":", 5)
        pool = ["*", "*", res, res, res, ":".join(parts[:5] + ["*"]),
                "arn:aws:s3:::data-?/*", "arn:aws:s3:::data-a/home/${aws:username}/*",
                "arn:aws:s3:::data-a/home/${aws:username, 'alice'}/*",
                "arn:aws:s3:::${aws:PrincipalTag/team}-a/*", "arn:aws:s3:::data-a/a${*}b/*",
                "arn:aws:s3:::data-a/a*b/*", f"arn:aws:kms:*:{A}:key/*", f"arn:aws:iam::{A}:role/*",
                "arn:aws:*:us-east-1:*:*", f"arn:aws:sqs:us-east-1:{B}:q", "arn:aws:s3:::*log*", "arn:aws:ec2:*:*:instance/*"]
        n = self.pick(1, 1, 2)
        return self.scalar_or_list([self.pick(*pool) for _ in range(n)])

    # -- principals -------------------------------------------------------------------------------

    def principal_values(self, caller_arn, caller_acct, ctx):
        acct = caller_acct or A
        pool = [
            "*", {"AWS": "*"}, {"AWS": acct}, {"AWS": f"arn:aws:iam::{acct}:root"}, {"AWS": B},
            {"AWS": caller_arn if caller_arn.startswith("arn:") else f"arn:aws:iam::{A}:user/alice"},
            {"AWS": caller_arn if caller_arn.startswith("arn:") else f"arn:aws:iam::{A}:user/alice"},
            {"AWS": caller_arn if caller_arn.startswith("arn:") else f"arn:aws:iam::{A}:user/alice"},
            "*", {"AWS": acct},
            {"AWS": ctx.get("aws:PrincipalArn", f"arn:aws:iam::{acct}:role/app")},
            {"AWS": f"arn:aws:iam::{acct}:role/ci"},
            {"Service": self.pick("cloudtrail.amazonaws.com", "EC2.amazonaws.com", "lambda.amazonaws.com")},
            {"AWS": self.pick("AIDAALICE0001", "AROAAPP0001", "AIDABOB0001")},
            {"AWS": [f"arn:aws:iam::{A}:user/alice", B]},
        ]
        if self.chance(0.03):
            pool.append({self.pick("CanonicalUser", "Federated"): self.pick("79a59df900b949e55d96a1e698fbace", "cognito-identity.amazonaws.com")})
        return self.pick(*pool)

    # -- conditions -------------------------------------------------------------------------------

    KEYS = {
        "aws:SourceIp": "ip", "aws:CurrentTime": "date", "aws:EpochTime": "date", "aws:username": "str",
        "aws:PrincipalTag/team": "str", "aws:TagKeys": "strmulti", "aws:PrincipalOrgID": "org",
        "aws:MultiFactorAuthPresent": "bool", "aws:SecureTransport": "bool", "s3:prefix": "strmulti",
        "s3:max-keys": "num", "aws:SourceArn": "arn", "aws:SourceVpce": "str", "aws:PrincipalArn": "arn",
        "aws:RequestTag/env": "str", "aws:userid": "str",
    }

    def value_for(self, kind, for_policy):
        r = self
        if kind == "ip":
            if for_policy:
                return r.pick("192.0.2.0/24", "203.0.113.0/24", "10.0.0.0/8", "2001:db8::/32", "2001:db8:1::/48",
                              "198.51.100.7", "0.0.0.0/0", "::/0")
            return r.pick("192.0.2.10", "203.0.113.200", "10.1.2.3", "2001:db8:1::5", "2001:db9::1", "198.51.100.7")
        if kind == "date":
            if for_policy:
                return r.pick("2026-01-01T00:00:00Z", "2025-06-30", "1767225600", "2026-01-01T01:00:00+01:00",
                              "2026-01-01T00:00:00.500Z", "not-a-date")
            return r.pick("2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", "2026-03-01T10:00:00Z", 1767225600,
                          "1767225600", "2026-01-01T00:00:00.250Z")
        if kind == "bool":
            return r.pick(True, False, "true", "false", "TRUE")
        if kind == "num":
            return r.pick(10, 100, "50", 100.0, "1000", "abc") if for_policy else r.pick(10, 100, 1000, "50")
        if kind == "org":
            return r.pick(ORG, OTHER_ORG, "o-*") if for_policy else r.pick(ORG, OTHER_ORG)
        if kind == "arn":
            if for_policy:
                return r.pick(f"arn:aws:iam::{A}:role/app", f"arn:aws:iam::{A}:role/*", f"arn:aws:iam::*:user/alice",
                              f"arn:aws:s3:::data-a", "arn:aws:s3:::data-*", f"arn:aws:iam::{A}:user/staff/alice", "*")
            return r.pick(f"arn:aws:iam::{A}:role/app", f"arn:aws:iam::{A}:user/staff/alice", "arn:aws:s3:::data-a",
                          f"arn:aws:iam::{B}:role/app", "not-an-arn")
        # strings
        if for_policy:
            return r.pick("alice", "bob", "data", "ops", "Data", "env", "team", "home/alice/", "home/*", "d?ta",
                          "vpce-1a2b", "${aws:username}", "${aws:PrincipalTag/team, 'ops'}", "a${*}b", "${$}x", "prod")
        return r.pick("alice", "bob", "data", "ops", "DATA", "env", "team", "home/alice/", "vpce-1a2b", "a*b", "prod")

    def operator(self, kind):
        fam = {
            "ip": ["IpAddress", "NotIpAddress"],
            "date": ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
                     "DateGreaterThanEquals"],
            "bool": ["Bool", "Bool", "StringEquals"],
            "num": ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
                    "NumericGreaterThan", "NumericGreaterThanEquals"],
            "arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike"],
        }.get(kind, ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
                     "StringLike", "StringNotLike", "BinaryEquals"])
        op = self.pick(*fam)
        if self.chance(0.02):
            return "StringFuzzyMatch"   # not an operator: the entry is U
        if self.chance(0.1):
            return "Null"
        mod = self.r.random()
        if kind in ("strmulti",) and mod < 0.6:
            op = self.pick("ForAnyValue:", "ForAllValues:") + op
        elif mod < 0.12:
            op = self.pick("ForAnyValue:", "ForAllValues:") + op
        if self.chance(0.2):
            op += "IfExists"
        return op

    def condition(self):
        block = {}
        for _ in range(self.pick(1, 1, 1, 2)):
            key = self.pick(*self.KEYS)
            kind = self.KEYS[key]
            op = self.operator(kind)
            if op == "Null":
                vals = [self.pick(True, False, "true", "false")]
            else:
                vals = [self.value_for(kind if kind != "strmulti" else "str", True) for _ in range(self.pick(1, 1, 2))]
            written_key = key if not self.chance(0.1) else key.upper()
            block.setdefault(op, {})[written_key] = self.scalar_or_list(vals)
        return block

    def context_value(self, key):
        kind = self.KEYS[key]
        if kind == "strmulti" or (self.chance(0.08)):
            n = self.pick(1, 2, 3)
            vals = []
            for _ in range(n):
                v = self.value_for("str" if kind == "strmulti" else kind, False)
                if v not in vals:
                    vals.append(v)
            return vals
        return self.value_for(kind, False)

    # -- statements and documents -----------------------------------------------------------------

    def statement(self, action, res, principal_layer, caller, trust=False):
        kind, arn, acct, ctx = caller
        s = {}
        if self.chance(0.3):
            s["Sid"] = self.pick("S1", "S2", "Deny1")
        s["Effect"] = "Allow" if self.chance(0.75) else "Deny"
        if principal_layer:
            if self.chance(0.1):
                s["NotPrincipal"] = self.principal_values(arn, acct, ctx)
                if s["NotPrincipal"] == "*":
                    s["NotPrincipal"] = {"AWS": B}
            elif self.chance(0.98):
                s["Principal"] = self.principal_values(arn, acct, ctx)
        if self.chance(0.12):
            s["NotAction"] = self.action_patterns(self.pick("s3:GetObject", "iam:CreateUser", "kms:Decrypt"))
        else:
            s["Action"] = self.action_patterns(action)
        if trust and self.chance(0.7):
            pass   # trust policies name no resource
        elif self.chance(0.1):
            s["NotResource"] = self.resource_patterns(res)
        elif self.chance(0.95):
            s["Resource"] = self.resource_patterns(res)
        if self.chance(0.35):
            s["Condition"] = self.condition()
        return s

    def document(self, action, res, principal_layer, caller, trust=False, n=None):
        n = n or self.pick(1, 1, 2, 3)
        stmts = [self.statement(action, res, principal_layer, caller, trust) for _ in range(n)]
        if self.chance(0.4):
            # an Allow made for this very request, so that "allowed" is not rare
            kind, arn, acct, _ = caller
            s = {"Effect": "Allow", "Action": self.pick(action, "*", action.split(":")[0] + ":*")}
            if not trust:
                s["Resource"] = self.pick(res, "*")
            if principal_layer:
                if kind == "service":
                    s["Principal"] = {"Service": arn}
                elif kind == "anonymous" or self.chance(0.2):
                    s["Principal"] = "*"
                else:
                    s["Principal"] = {"AWS": self.pick(arn, acct, arn)}
            stmts.insert(self.r.randrange(len(stmts) + 1), s)
        doc = {}
        v = self.r.random()
        if v < 0.87:
            doc["Version"] = "2012-10-17"
        elif v < 0.95:
            doc["Version"] = "2008-10-17"
        doc["Statement"] = stmts[0] if len(stmts) == 1 and self.chance(0.3) else stmts
        w = self.r.random()
        if w < 0.15:
            return {"name": self.pick("p1", "managed/Dev", "inline"), "document": doc}
        if w < 0.22:
            return json.dumps(doc)
        return doc

    def full_access(self):
        return self.pick({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                         {"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}})

    # -- one request ------------------------------------------------------------------------------

    def request(self):
        caller = self.caller()
        kind, arn, acct, ctx0 = caller
        action, res, svc = self.action_resource(acct)
        req = {"principal": arn}
        if acct and self.chance(0.05):
            req["principal_account"] = acct
        req["action"] = action
        if self.chance(0.9):
            req["resource"] = res
        # resource account
        if svc == "s3":
            if self.chance(0.75):
                req["resource_account"] = self.pick(A, B, acct or A, acct or A)
        elif self.chance(0.05):
            req["resource_account"] = self.pick(A, B)

        # context and key states
        context = dict(ctx0) if self.chance(0.85) else {}
        unknown, present_unknown = [], []
        for key in self.r.sample(sorted(self.KEYS), self.pick(1, 2, 3, 4, 5)):
            state = self.r.random()
            if state < 0.5:
                context[key if not self.chance(0.1) else key.lower()] = self.context_value(key)
            elif state < 0.62:
                present_unknown.append(key)
            elif state < 0.76:
                unknown.append(key)
            elif state < 0.79:
                context[key] = []   # empty array = absent
            # else absent
        if self.chance(0.05):
            unknown.append("aws:RequestTag/*")
        if context:
            req["context"] = context
        if unknown:
            req["unknown_keys"] = unknown
        if present_unknown:
            req["present_unknown_keys"] = present_unknown

        trust = action.lower() in ("sts:assumerole", "sts:tagsession")
        if kind in ("user", "role", "session", "federated", "slr") or self.chance(0.2):
            req["identity_policies"] = [self.document(action, res, False, caller) for _ in range(self.pick(0, 1, 1, 2, 3))]
        if self.chance(0.2):
            req["permissions_boundary"] = self.document(action, res, False, caller)
        if (kind in ("session", "federated") and self.chance(0.45)) or self.chance(0.05):
            req["session_policy"] = self.document(action, res, False, caller)
        if self.chance(0.25):
            levels = []
            for _ in range(self.pick(1, 2, 3)):
                level = []
                if self.chance(0.8):
                    level.append(self.full_access())
                if self.chance(0.4):
                    level.append(self.document(action, res, False, caller, n=1))
                levels.append(level)
            req["scp"] = levels
        if self.chance(0.2):
            req["rcp"] = [[self.document(action, res, True, caller, n=1)] if self.chance(0.6) else []
                          for _ in range(self.pick(1, 2))]
        if self.chance(0.6) or trust:
            if self.chance(0.92) or not trust:
                req["resource_policy"] = self.document(action, res, True, caller, trust=trust)
        if self.chance(0.12):
            req["vpc_endpoint_policy"] = self.document(action, res, True, caller, n=self.pick(1, 2))
        if svc == "s3" and self.chance(0.2):
            bpa = {"RestrictPublicBuckets": self.chance(0.8)}
            if self.chance(0.4):
                bpa["PolicyIsPublic"] = self.chance(0.6)
            req["s3_block_public_access"] = bpa

        if self.chance(0.01):
            req[self.pick("identity_policy", "Resource", "boundary")] = {}   # a typo: must be rejected
        if self.chance(0.005):
            req["principal"] = self.pick("arn:aws:iam::1234:user/x", "alice", "arn:aws:s3:::bucket")
        return req


def estimated_atoms(req):
    """A generous upper bound of the distinct unknown atoms of §2.3 (over every document)."""
    lower = lambda k: k.lower()
    ctx = {lower(k): v for k, v in req.get("context", {}).items()}
    lists = [lower(k) for k in req.get("unknown_keys", []) + req.get("present_unknown_keys", [])]

    def indefinite(key):
        key = lower(key)
        if key in ctx:
            v = ctx[key]
            return isinstance(v, list) and len(v) > 1
        return any(key.startswith(e[:-1]) if e.endswith("*") else key == e for e in lists)

    def vars_indefinite(text):
        if not isinstance(text, str):
            return False
        out = False
        i = text.find("${")
        while i >= 0:
            j = text.find("}", i)
            if j < 0:
                break
            body = text[i + 2:j].split(",")[0].strip()
            if body not in ("*", "?", "$") and indefinite(body):
                out = True
            i = text.find("${", j)
        return out

    atoms = set()

    def docs():
        def unwrap(d):
            if isinstance(d, str):
                d = json.loads(d)
            if isinstance(d, dict) and "document" in d:
                d = d["document"]
                if isinstance(d, str):
                    d = json.loads(d)
            return d
        for d in req.get("identity_policies", []):
            yield unwrap(d)
        for f in ("permissions_boundary", "session_policy", "resource_policy", "vpc_endpoint_policy"):
            if f in req:
                yield unwrap(req[f])
        for f in ("scp", "rcp"):
            for level in req.get(f, []):
                for d in level:
                    yield unwrap(d)

    for d in docs():
        stmts = d["Statement"] if isinstance(d["Statement"], list) else [d["Statement"]]
        for s in stmts:
            for el in ("Resource", "NotResource"):
                pats = s.get(el, [])
                for p in ([pats] if isinstance(pats, str) else pats):
                    if p != "*" and ("resource" not in req or vars_indefinite(p)):
                        atoms.add(("r", p))
            for el in ("Principal", "NotPrincipal"):
                p = s.get(el)
                if isinstance(p, dict):
                    for typ, vals in p.items():
                        for v in ([vals] if isinstance(vals, str) else vals):
                            if typ in ("CanonicalUser", "Federated") or v.startswith("AIDA") or v.startswith("AROA"):
                                atoms.add(("p", typ, v))
            for op, entries in s.get("Condition", {}).items():
                for key, vals in entries.items():
                    vl = vals if isinstance(vals, list) else [vals]
                    if indefinite(key) or any(vars_indefinite(v) for v in vl) or "Fuzzy" in op:
                        atoms.add(("c", op, lower(key), json.dumps(vl)))
    return len(atoms) + 1   # + the resource account


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--stats", action="store_true", help="print the decision distribution to stderr")
    args = ap.parse_args()
    g = Gen(random.Random(args.seed))
    out = []
    while len(out) < args.count:
        req = g.request()
        if estimated_atoms(req) > MAX_ESTIMATED_ATOMS:
            continue
        out.append({"id": len(out) + 1, "request": req})
    for case in out:
        sys.stdout.write(json.dumps(case) + "\n")
    if args.stats:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import iam_eval
        from collections import Counter
        dist = Counter()
        for case in out:
            try:
                dist[iam_eval.evaluate(iam_eval.load_json(json.dumps(case["request"])))["decision"]] += 1
            except iam_eval.RequestError:
                dist["error"] += 1
        for k, v in dist.most_common():
            print(f"{k:14} {v:6}  {100 * v / len(out):5.1f}%", file=sys.stderr)


if __name__ == "__main__":
    main()
