#!/usr/bin/env python3
"""Checks every reply type in the command spec against the reply schemas Redis publishes.

Reads commands/*.toml and the per-command JSON reference files in $REDIS_REFERENCE_DIR (default:
../shared/reference/redis-commands from the repository root; the data stays outside the repo). For
each spec entry it checks that a reply matching the entry's `reply_schema` decodes into the entry's
`reply` type, and into the `reply` of each option that changes the reply. A schema that allows
several replies (oneOf/anyOf) may be split between the command's reply and its options' replies,
as long as every alternative is covered and every type matches one.

The reference describes Redis 7.0 (and 7.2). What came later is checked against newer servers'
command folders (`src/commands/*.json` of their source, which scripts/servers keeps in
~/.cache/sider/servers/<server>-<version>/commands), given as arguments or in
$REDIS_REFERENCE_EXTRA, colon-separated:

    python3 scripts/check-replies.py ~/.cache/sider/servers/redis-8.0.6 ~/.cache/sider/servers/valkey-9.1.2

A command the reference lacks is checked against every extra folder that has it; a command with an
option added after 7.0 that changes the reply (`ZRANK ... WITHSCORE`) is checked against the
reference and every extra folder, each time with only the options whose tokens that folder lists
for the command. A command newer than 7.0 that no folder describes (the vector sets come from a
module and have none; and every newer command when no extra folder is given) is reported as
unchecked, not as a failure.

The schemas describe RESP3 replies; sider's decoders accept the RESP2 shapes too (flat pairs for
maps, bulk strings for doubles), so the RESP3 shape is the one to check.

Compatibility, schema -> Rust:
  integer -> i64, u64, a caller-picked type; bool only when the schema allows just 0 and 1;
             Ttl, FieldExpire, FieldPersist (typed readings of expiry codes)
  number  -> f64, a caller-picked type
  boolean -> bool
  string  -> String, Bytes, a caller-picked type (K, V, M, F...); f64 or i64 when the string holds
             a number (a numeric `pattern`, or a description saying it is a float)
  "OK"    -> (), bool; another fixed word -> (), String
  null    -> Option<_>, bool (false), Vec/Set/Map (empty), ()
  array   -> Vec<T>, Set<T>, a tuple of its items, Map<K, V> or Vec<(A, B)> when it holds pairs
  object  -> Map<K, V>, Vec<(K, V)>
  any     -> Value fits every schema; an empty schema fits every type; a reply that is a
             caller-picked type as a whole (`reply = "T"`), which the caller decodes as it likes,
             fits every schema that never sends null
Option<T> where the schema never sends null is a mismatch too: it makes callers handle a None
that never comes.

Exit status: 0 when every entry matches or is listed in DIFFERENCES below; 1 on any unexplained
mismatch (against any folder), on a DIFFERENCES entry that no longer differs against any folder
(stale) or names no spec command, on a command of Redis 7.0 or older that the reference lacks, and
when the reference directory or a given extra folder is missing or holds no JSON files.
"""

import glob
import json
import os
import re
import sys
import tomllib

# Deliberate differences between the spec and the reference schemas: command -> why. This is the
# one place they are listed; the check passes over these commands and fails when one of them
# matches after all, so the list cannot go stale.
DIFFERENCES = {
    # -- The schema is wrong or incomplete for a Redis 7.0 server.
    "GEOHASH": "a member that does not exist gets a null element (the server code replies "
    "addReplyNull for it); the schema's items allow only strings",
    "OBJECT FREQ": "a missing key replies null (objectCommandLookupOrReply with shared.null); "
    "the schema says integer only",
    "OBJECT IDLETIME": "a missing key replies null, as OBJECT FREQ; the schema says integer only",
    "OBJECT REFCOUNT": "a missing key replies null, as OBJECT FREQ; the schema says integer only",
    "TYPE": "a missing key replies the status `none`, never null; the schema lists a null "
    "alternative that the server never sends",
    "LMOVE": "an empty source list replies null (as RPOPLPUSH does); the schema says string only",
    "INCRBYFLOAT": "the reply is a bulk string holding the new value as a float; the schema says "
    "`string` without saying it holds a number, and f64 is the useful type",
    "HINCRBYFLOAT": "the reply is a bulk string holding the new value as a float, as INCRBYFLOAT",
    "SCAN": "the cursor is a bulk string holding an integer (addReplyBulkLongLong); the schema "
    "says `string` without a numeric pattern, and i64 is what the cursor argument takes back",
    "HSCAN": "the cursor is a bulk string holding an integer, as SCAN",
    "SSCAN": "the cursor is a bulk string holding an integer, as SCAN",
    "ZSCAN": "the cursor is a bulk string holding an integer, as SCAN",
    "XPENDING": "summary form: with no pending entries the smallest and largest IDs and the "
    "consumer list are null (the schema omits null), and each consumer's count is a bulk string "
    "holding an integer (addReplyBulkLongLong), decoded as i64",
    "WAITAOF": "the replica count is an integer (addReplyLongLong, as the local count); the "
    "schema says `number`",
    "SENTINEL DEBUG": "the values of the parameter map are bulk strings holding milliseconds "
    "(addReplyBulkLongLong); the schema says `string`, and i64 is the useful type",
    "SENTINEL GET-MASTER-ADDR-BY-NAME": "an unknown master name replies a null array "
    "(addReplyNullArray); the schema omits null",
    # -- Our choice differs from the schema's shape, for a reason.
}


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def reference_dir():
    default = os.path.join(repo_root(), "..", "shared", "reference", "redis-commands")
    return os.path.normpath(os.environ.get("REDIS_REFERENCE_DIR", default))


# ---------------------------------------------------------------------------------------------
# Rust reply types


class Ty:
    """A parsed reply type: kind is 'unit', 'scalar' (name in `name`), 'param', 'Option', 'Vec',
    'Set', 'Map' or 'tuple'; `args` holds the type arguments."""

    def __init__(self, kind, name=None, args=()):
        self.kind, self.name, self.args = kind, name, list(args)

    def __str__(self):
        if self.kind == "unit":
            return "()"
        if self.kind in ("scalar", "param"):
            return self.name
        if self.kind == "tuple":
            return "(" + ", ".join(map(str, self.args)) + ")"
        return "%s<%s>" % (self.kind, ", ".join(map(str, self.args)))


# Typed readings of integer codes (sider's reply/expiry.rs), for a command's `also` methods.
CODES = {"Ttl", "FieldExpire", "FieldPersist"}
SCALARS = {"i64", "u64", "f64", "bool", "String", "Bytes", "Value"} | CODES
GENERICS = {"Option": 1, "Vec": 1, "Set": 1, "Map": 2}


def parse_type(text):
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[<>(),]", text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take(expected=None):
        nonlocal pos
        tok = peek()
        if tok is None or (expected is not None and tok != expected):
            raise ValueError("expected %r at token %d of %r" % (expected or "a type", pos, text))
        pos += 1
        return tok

    def ty():
        tok = take()
        if tok == "(":
            items = []
            while peek() != ")":
                items.append(ty())
                if peek() == ",":
                    take(",")
            take(")")
            return Ty("unit") if not items else Ty("tuple", args=items)
        if tok in GENERICS:
            take("<")
            args = [ty()]
            while peek() == ",":
                take(",")
                args.append(ty())
            take(">")
            if len(args) != GENERICS[tok]:
                raise ValueError("%s takes %d type arguments in %r" % (tok, GENERICS[tok], text))
            return Ty(tok, args=args)
        if tok in SCALARS:
            return Ty("scalar", tok)
        if re.fullmatch(r"[A-Z]", tok):
            return Ty("param", tok)
        raise ValueError("unknown type %r in %r" % (tok, text))

    result = ty()
    if peek() is not None:
        raise ValueError("trailing %r in %r" % (peek(), text))
    return result


# ---------------------------------------------------------------------------------------------
# Schemas


def alternatives(schema):
    return schema.get("oneOf", schema.get("anyOf"))


def is_any(schema):
    """An empty schema (only a description) or a recursive $ref: any reply."""
    return schema is None or "$ref" in schema or not [k for k in schema if k != "description"]


def admits_null(schema):
    if is_any(schema):
        return True
    alts = alternatives(schema)
    if alts is not None:
        return any(admits_null(a) for a in alts)
    return schema.get("type") == "null"


def without_null(schema):
    """The schema with its null alternatives removed, or None when only null is left."""
    alts = alternatives(schema)
    if alts is None:
        return None if schema.get("type") == "null" else schema
    rest = [r for r in (without_null(a) for a in alts) if r is not None]
    if not rest:
        return None
    return rest[0] if len(rest) == 1 else {"oneOf": rest}


def describe(schema):
    if is_any(schema):
        return "any"
    alts = alternatives(schema)
    if alts is not None:
        return "one of (" + " | ".join(describe(a) for a in alts) + ")"
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, list):
            return "[" + ", ".join(describe(i) for i in items) + "]"
        return "array of " + (describe(items) if isinstance(items, dict) else "any")
    return str(kind)


NUMERIC_PATTERN = re.compile(r"^\^?(\[0-9\][*+])(\(?\.\[0-9\][*+]\)?\??)?\$?$")


def numeric_string(schema):
    """'float', 'integer' or None: whether a string schema says it holds a number."""
    pattern = schema.get("pattern", "")
    if NUMERIC_PATTERN.match(pattern):
        return "float" if "." in pattern else "integer"
    text = schema.get("description", "").lower()
    if "floating point" in text or "as a double" in text or "float" in text:
        return "float"
    return None


def is_text(t):
    return t.kind == "param" or (t.kind == "scalar" and t.name in ("String", "Bytes"))


def fits(t, schema, strict=True):
    """None when a reply matching `schema` decodes into `t`; otherwise why not.

    With strict, an Option where the schema never sends null is a mismatch."""
    if is_any(schema) or (t.kind == "scalar" and t.name == "Value"):
        return None
    if t.kind == "Option":
        if not admits_null(schema):
            return "%s but the schema never sends null" % t if strict else fits(
                t.args[0], schema, strict)
        rest = without_null(schema)
        return None if rest is None else fits(t.args[0], rest, strict)
    alts = alternatives(schema)
    if alts is not None:
        for alt in alts:
            why = fits(t, alt, strict)
            if why:
                return why
        return None
    wrong = "%s cannot hold %s" % (t, describe(schema))
    if "const" in schema:
        value = schema["const"]
        if isinstance(value, bool):
            return None if t.kind == "scalar" and t.name == "bool" else wrong
        if isinstance(value, int):
            if t.kind == "scalar" and t.name in CODES:
                return None
            if t.kind == "param" or (t.kind == "scalar" and t.name in ("i64", "u64")):
                return None if t.name != "u64" or value >= 0 else wrong
            if t.kind == "scalar" and t.name == "bool" and value in (0, 1):
                return None
            return wrong
        if t.kind == "unit" or is_text(t):
            return None
        if t.kind == "scalar" and t.name == "bool" and value == "OK":
            return None
        return wrong
    kind = schema.get("type")
    if kind == "null":
        if t.kind in ("unit", "Vec", "Set", "Map") or (t.kind == "scalar" and t.name == "bool"):
            return None
        return wrong
    if kind == "integer":
        if t.kind == "param" or (t.kind == "scalar" and (t.name == "i64" or t.name in CODES)):
            return None
        if t.kind == "scalar" and t.name == "u64":
            return None if schema.get("minimum", -1) >= 0 else "%s: the integer may be negative" % t
        if t.kind == "scalar" and t.name == "bool":
            return "%s: the integer is not limited to 0 and 1" % t
        return wrong
    if kind == "number":
        return None if t.kind == "param" or (t.kind == "scalar" and t.name == "f64") else wrong
    if kind == "boolean":
        return None if t.kind == "scalar" and t.name == "bool" else wrong
    if kind == "string":
        if is_text(t):
            return None
        pattern = schema.get("pattern", "")
        if pattern.startswith("OK") and (t.kind == "unit" or t.name == "bool"):
            return None
        number = numeric_string(schema)
        if t.kind == "scalar" and t.name == "f64" and number:
            return None
        if t.kind == "scalar" and t.name in ("i64", "u64") and number == "integer":
            return None
        return wrong
    if kind == "array":
        return fits_array(t, schema, strict, wrong)
    if kind == "object":
        return fits_object(t, schema, strict, wrong)
    return "unknown schema type %r" % kind


def fits_array(t, schema, strict, wrong):
    items = schema.get("items")
    extra = schema.get("additionalItems")
    if t.kind in ("Vec", "Set"):
        elem = t.args[0]
        if isinstance(items, list):
            if (elem.kind == "tuple" and extra in (None, False)
                    and len(items) % len(elem.args) == 0
                    and not any(array_like(i) for i in items)):
                # A flat array regrouped into tuples: `Vec<(M, f64)>` over [member, score].
                for i, item in enumerate(items):
                    why = fits(elem.args[i % len(elem.args)], item, strict)
                    if why:
                        return "element (flat pairs) %d: %s" % (i, why)
                return None
            # Positional items decoded as a list: the element type must fit every position.
            for item in items + ([extra] if isinstance(extra, dict) else []):
                why = fits(elem, item, strict)
                if why:
                    return "element: " + why
            return None
        return fits_element(elem, items, strict)
    if t.kind == "tuple":
        n = len(t.args)
        if isinstance(items, list):
            low = len(items)
            high = len(items) if extra in (None, False) else schema.get("maxItems", 1 << 32)
            low = max(low if extra in (None, False) else 0, schema.get("minItems", 0))
            if not (low <= n <= high) and not (extra not in (None, False) and n >= len(items)):
                return "%s has %d elements, the schema %d to %d" % (t, n, low, high)
            for i, part in enumerate(t.args):
                item = items[i] if i < len(items) else extra
                why = fits(part, item if isinstance(item, dict) else {}, strict)
                if why:
                    return "element %d: %s" % (i, why)
            return None
        low, high = schema.get("minItems", 0), schema.get("maxItems", 1 << 32)
        if not (low <= n <= high):
            return "%s has %d elements, the schema %d to %d" % (t, n, low, high)
        for i, part in enumerate(t.args):
            why = fits(part, items if isinstance(items, dict) else {}, strict)
            if why:
                return "element %d: %s" % (i, why)
        return None
    if t.kind == "Map":
        # An array of pairs, or a flat array of alternating keys and values (RESP2 style).
        key, value = t.args
        if not isinstance(items, dict):
            return None if is_text(key) else wrong
        pair = pair_schema(items)
        if pair is not None:
            return fits(key, pair[0], strict) or fits(value, pair[1], strict)
        return fits(key, items, strict) or fits(value, items, strict)
    return wrong


def pair_schema(items):
    """(key schema, value schema) when `items` is a two-element positional array."""
    if items.get("type") == "array" and isinstance(items.get("items"), list):
        if len(items["items"]) == 2:
            return items["items"]
    return None


def fits_element(elem, items, strict):
    """An element type against an array's item schema. A tuple against items that are not arrays
    reads the flat RESP2 form: consecutive items regrouped (`Vec<(F, V)>` over field, value...)."""
    if not isinstance(items, dict) or is_any(items):
        return None
    if elem.kind == "tuple" and not array_like(items):
        for part in elem.args:
            why = fits(part, items, strict)
            if why:
                return "element (flat pairs): " + why
        return None
    why = fits(elem, items, strict)
    return "element: " + why if why else None


def array_like(schema):
    alts = alternatives(schema)
    if alts is not None:
        return any(array_like(a) for a in alts)
    return schema.get("type") == "array"


def fits_object(t, schema, strict, wrong):
    if t.kind == "Map":
        key, value = t.args
    elif t.kind == "Vec" and t.args[0].kind == "tuple" and len(t.args[0].args) == 2:
        key, value = t.args[0].args
    else:
        return wrong
    if not is_text(key) and not (key.kind == "scalar" and key.name == "Value"):
        return "map key %s cannot hold a string" % key
    values = list(schema.get("properties", {}).items())
    values += [("(pattern %s)" % p, s) for p, s in schema.get("patternProperties", {}).items()]
    if isinstance(schema.get("additionalProperties"), dict):
        values.append(("(other fields)", schema["additionalProperties"]))
    for name, sub in values:
        why = fits(value, sub, strict)
        if why:
            return "field %s: %s" % (name, why)
    return None


# ---------------------------------------------------------------------------------------------
# Versions: what is newer than the 7.0 reference


def parse_version(text):
    try:
        return tuple(int(p) for p in text.split("."))
    except (AttributeError, ValueError):
        return None


def newer_than_7_0(item):
    """Whether a spec command or argument came after Redis 7.0: a `since` past 7.0.x, or a
    `valkey` with no `since` (only Valkey has it)."""
    since = item.get("since")
    if since is None:
        return "valkey" in item
    version = parse_version(since)
    return version is None or version[:2] > (7, 0)


def spec_tokens(arg):
    """The tokens of an argument and of everything inside it."""
    out = {arg["token"].upper()} if arg.get("token") else set()
    for nested in ("oneof", "block"):
        for sub in arg.get(nested) or []:
            out |= spec_tokens(sub)
    return out


def doc_tokens(arguments):
    """The tokens of a reference file's argument tree."""
    out = set()
    for arg in arguments or []:
        if arg.get("token"):
            out.add(arg["token"].upper())
        out |= doc_tokens(arg.get("arguments"))
    return out


def has_newer_reply_option(args):
    for arg in args or []:
        if "reply" in arg and newer_than_7_0(arg):
            return True
        if has_newer_reply_option(arg.get("oneof")) or has_newer_reply_option(arg.get("block")):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# The check


def option_replies(args, known=None, path=""):
    """(option path, reply type text) of every argument that changes the reply.

    With `known` (the tokens a reference file lists for the command), an option added after 7.0
    is left out when none of its tokens is among them: that reference describes a server without
    it, whose schema has no reply for it."""
    out = []
    for arg in args or []:
        if known is not None and newer_than_7_0(arg):
            tokens = spec_tokens(arg)
            if tokens and not tokens & known:
                continue
        here = path + arg["name"]
        if "reply" in arg:
            out.append((here, arg["reply"]))
        for nested in ("oneof", "block"):
            out += option_replies(arg.get(nested), known, here + ".")
    return out


def check_entry(entry, schema, known=None):
    """A list of problems; empty when the entry's replies fit the schema."""
    types = [("reply", entry["reply"])] + [("option " + p, r) for p, r in
                                           option_replies(entry.get("arg"), known)]
    parsed = []
    for where, text in types:
        try:
            parsed.append((where, parse_type(text)))
        except ValueError as e:
            return ["%s: cannot parse %r: %s" % (where, text, e)]
    # A reply that is one caller-picked type as a whole (`reply = "T"`) is decoded however the
    # caller says: it fits any schema that never sends null (where one may, the spec says
    # `Option<T>`). Inside a type, caller-picked types stand for scalars.
    problems = [(w, t, None if t.kind == "param" and not admits_null(schema) else fits(t, schema))
                for w, t in parsed]
    if all(why is None for _, _, why in problems):
        return []
    alts = alternatives(schema)
    if alts is None or len(parsed) == 1:
        return ["%s %s: %s" % (w, t, why) for w, t, why in problems if why]
    # The command's reply and its options' replies may split the alternatives between them.
    out = []
    covered = set()
    for where, t in parsed:
        mine = [i for i, a in enumerate(alts) if fits(t, a, strict=False) is None]
        if not mine:
            out.append("%s %s fits none of %s" % (where, t, describe(schema)))
            continue
        covered.update(mine)
        why = fits(t, {"oneOf": [alts[i] for i in mine]})
        if why:
            out.append("%s %s: %s" % (where, t, why))
    for i, alt in enumerate(alts):
        if i not in covered:
            out.append("no reply type holds the alternative %s%s" % (
                describe(alt), (" (" + alt["description"] + ")") if "description" in alt else ""))
    return out


def load_reference(directory):
    schemas = {}
    for path in glob.glob(os.path.join(directory, "*.json")):
        with open(path) as f:
            for name, doc in json.load(f).items():
                full = (doc["container"] + " " + name) if doc.get("container") else name
                schemas[full.upper()] = doc
    return schemas


def extra_dirs(argv):
    """The newer servers' command folders: the command line's arguments, then
    $REDIS_REFERENCE_EXTRA (colon-separated). A server's folder holding `commands/` counts as
    its `commands/`."""
    given = list(argv) + [d for d in os.environ.get("REDIS_REFERENCE_EXTRA", "").split(":") if d]
    out = []
    for directory in given:
        if not glob.glob(os.path.join(directory, "*.json")) and os.path.isdir(
                os.path.join(directory, "commands")):
            directory = os.path.join(directory, "commands")
        out.append(os.path.normpath(directory))
    return out


def source_label(directory):
    """`valkey-9.1.2` for ~/.cache/sider/servers/valkey-9.1.2/commands; else the path."""
    for part in reversed(directory.split(os.sep)):
        if re.fullmatch(r"(redis|valkey)-\d+\.\d+\.\d+", part):
            return part
    return directory


def main():
    directory = reference_dir()
    if not os.path.isdir(directory):
        sys.exit("check-replies: FAIL: the reference directory %s does not exist. It holds the "
                 "reply schemas this check needs (one JSON file per command); set "
                 "REDIS_REFERENCE_DIR to where they are." % directory)
    reference = load_reference(directory)
    if not reference:
        sys.exit("check-replies: FAIL: no *.json reply schemas in %s" % directory)
    extras = []
    for extra in extra_dirs(sys.argv[1:]):
        schemas = load_reference(extra) if os.path.isdir(extra) else {}
        if not schemas:
            sys.exit("check-replies: FAIL: no *.json reply schemas in %s (given as a newer "
                     "server's command folder)" % extra)
        extras.append((source_label(extra), schemas))

    entries = []
    for path in sorted(glob.glob(os.path.join(repo_root(), "commands", "*.toml"))):
        with open(path, "rb") as f:
            spec = tomllib.load(f)
        for entry in spec.get("command", []):
            entries.append((os.path.basename(path), entry))
            # An `also` method is the same command with a reply of its own: checked as one more
            # entry.
            for also in entry.get("also", []):
                entries.append((os.path.basename(path), dict(entry, reply=also["reply"])))

    names = {e["name"] for _, e in entries}
    matched, no_schema, unchecked, explained, failures = 0, [], [], [], []
    checked_newer = {label: [] for label, _ in extras}
    for file, entry in entries:
        name = entry["name"]
        # The reference describes Redis 7.0 (and 7.2); a command it lacks, or an option added
        # later that changes the reply, is checked against the newer servers' schemas too.
        sources = []
        base = reference.get(name)
        if base is not None:
            sources.append(("7.0", base))
        if base is None or has_newer_reply_option(entry.get("arg")):
            for label, schemas in extras:
                if name in schemas:
                    sources.append((label, schemas[name]))
                    checked_newer[label].append(name)
        if not sources:
            if newer_than_7_0(entry):
                unchecked.append(name)
            else:
                failures.append("%s (%s): no reference file describes it" % (name, file))
            continue
        with_schema = [(label, doc) for label, doc in sources if "reply_schema" in doc]
        if not with_schema:
            no_schema.append(name)
            if name in DIFFERENCES:
                failures.append("%s: listed in DIFFERENCES but the reference has no schema" % name)
            continue
        problems = []
        for label, doc in with_schema:
            known = doc_tokens(doc.get("arguments"))
            found = check_entry(entry, doc["reply_schema"], known)
            problems += ["[%s] %s" % (label, p) for p in found] if len(with_schema) > 1 else found
        if name in DIFFERENCES:
            if problems:
                explained.append((name, problems))
            else:
                failures.append("%s: listed in DIFFERENCES but matches the schema now; remove "
                                "the entry" % name)
        elif problems:
            failures.append("%s (%s, reply %s):\n      %s" % (
                name, file, entry["reply"], "\n      ".join(problems)))
        else:
            matched += 1
    for name in sorted(set(DIFFERENCES) - names):
        failures.append("%s: listed in DIFFERENCES but not in the spec" % name)

    print("check-replies: %d spec entries against %s" % (len(entries), directory))
    for label, schemas in extras:
        print("  and, for what is newer than 7.0, %s (%d commands); used for %d: %s" % (
            label, len(schemas), len(checked_newer[label]), ", ".join(checked_newer[label])))
    print("  %d match their schema" % matched)
    print("  %d have no schema in the reference: %s" % (len(no_schema), ", ".join(no_schema)))
    print("  %d newer than 7.0 with no reference file%s (unchecked): %s" % (
        len(unchecked), " among the extra folders" if extras else
        "; give newer servers' command folders as arguments or in REDIS_REFERENCE_EXTRA",
        ", ".join(unchecked)))
    print("  %d differ on purpose (DIFFERENCES):" % len(explained))
    for name, problems in explained:
        print("    %-28s %s" % (name, DIFFERENCES[name]))
    if failures:
        print("  %d FAIL:" % len(failures))
        for failure in failures:
            print("    " + failure)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
