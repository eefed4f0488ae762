"""docs/openapi.yaml against the server as built.

The server's routes come from the route tables of src/api_*.c (every
`{"METHOD", "/pattern", handler, ROLE_X, FLAGS}` entry, ":param" mapped to
"{param}"); the documented operations from docs/openapi.yaml, read with
PyYAML when it is installed and otherwise with the small line reader below
(which, when PyYAML is there, is checked to agree with it). Then:

- every route is documented with its method, and every documented
  operation exists (operations marked `x-static` are served outside the
  router: the dashboard's files);
- each operation's `x-min-role`, `x-agent-token` and public `security: []`
  match the route's role and flags;
- every error code the server can send is in the Error schema;
- the running binary knows every documented operation: asked without
  credentials, each answers 401 (or, when public, its own answer), never
  404 "no such route" or 405, and that status is one the spec lists.
"""
import glob
import os
import re

import lib

ROOT = lib.ROOT
SPEC = os.path.join(ROOT, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "patch", "delete", "head", "options")

ROUTE_RE = re.compile(
    r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*([^{}]*?)\s*\}', re.S)
ROLE_NAMES = {"ROLE_NONE": "none", "0": "none", "ROLE_AGENT": "agent", "ROLE_VIEWER": "viewer",
              "ROLE_OPERATOR": "operator", "ROLE_ADMIN": "admin"}


def server_routes():
    """{(METHOD, "/openapi/{path}"): {"role", "public", "agent", "file"}} from src/api_*.c."""
    routes = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "api_*.c"))):
        with open(path) as f:
            text = f.read()
        # Only look inside route tables: "const struct route NAME[] = { ... };"
        for table in re.finditer(r"const\s+struct\s+route\s+\w+\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\};", text, re.S):
            for m in ROUTE_RE.finditer(table.group(1)):
                method, pattern, _handler, role, flags = m.groups()
                oa_path = re.sub(r":([A-Za-z_][A-Za-z0-9_]*)", r"{\1}", pattern)
                key = (method, oa_path)
                assert key not in routes, f"{method} {pattern} is in two route tables"
                routes[key] = {"role": ROLE_NAMES.get(role, role), "public": "ROUTE_PUBLIC" in flags,
                               "agent": "ROUTE_AGENT" in flags, "file": os.path.relpath(path, ROOT)}
    return routes


def _scalar(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    if v == "true":
        return True
    if v == "false":
        return False
    if v == "[]":
        return []
    return v


def spec_operations_by_lines(text):
    """The operations of the spec's paths: a reader for the layout this file keeps.

    Paths sit at two spaces under `paths:`, methods at four, an operation's
    own keys at six. Returns {(METHOD, path): {"x-min-role", "x-agent-token",
    "x-static", "public", "responses"}}.
    """
    ops, in_paths, path, op, in_responses = {}, False, None, None, False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            in_paths = line.startswith("paths:")
            path = op = None
            continue
        if not in_paths:
            continue
        s = line.strip()
        if indent == 2 and s.endswith(":"):
            path, op = _scalar(s[:-1]), None
        elif indent == 4 and path and s[:-1] in METHODS and s.endswith(":"):
            op = {"responses": set(), "public": False}
            ops[(s[:-1].upper(), path)] = op
            in_responses = False
        elif indent == 4:
            op = None
        elif indent == 6 and op is not None:
            key, _, value = s.partition(":")
            in_responses = key == "responses"
            if key in ("x-min-role", "x-agent-token", "x-static"):
                op[key] = _scalar(value)
            elif key == "security":
                op["public"] = _scalar(value) == []
        elif indent == 8 and op is not None and in_responses and s.endswith(":"):
            op["responses"].add(_scalar(s[:-1]))
    return ops


def spec_operations():
    with open(SPEC) as f:
        text = f.read()
    by_lines = spec_operations_by_lines(text)
    try:
        import yaml
    except ImportError:
        return by_lines
    doc = yaml.safe_load(text)
    ops = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            ops[(method.upper(), path)] = {
                "x-min-role": op.get("x-min-role"), "x-agent-token": op.get("x-agent-token", False),
                "x-static": op.get("x-static", False), "public": op.get("security") == [],
                "responses": {str(k) for k in op.get("responses", {})}}
    # The fallback reader must see what PyYAML sees.
    assert set(by_lines) == set(ops), f"line reader disagrees: {set(by_lines) ^ set(ops)}"
    for key, op in ops.items():
        lo = by_lines[key]
        for field in ("x-min-role", "public", "responses"):
            assert lo.get(field) == op[field], f"line reader: {key} {field} {lo.get(field)!r} != {op[field]!r}"
        assert bool(lo.get("x-agent-token", False)) == bool(op["x-agent-token"]), key
        assert bool(lo.get("x-static", False)) == bool(op["x-static"]), key
    return ops


def test_route_tables_are_found():
    routes = server_routes()
    # The core's routes are always there; a broken regex finds none.
    assert ("GET", "/api/health") in routes, routes
    assert ("PUT", "/api/vms/{id}/heartbeat") in routes, routes
    assert routes[("PUT", "/api/vms/{id}/heartbeat")]["agent"]
    assert routes[("POST", "/api/auth/login")]["public"]
    assert len(routes) >= 20, len(routes)


def test_every_route_is_documented():
    routes, ops = server_routes(), spec_operations()
    missing = sorted(f"{m} {p} ({r['file']})" for (m, p), r in routes.items() if (m, p) not in ops)
    assert not missing, "routes missing from docs/openapi.yaml:\n  " + "\n  ".join(missing)


def test_every_documented_operation_exists():
    routes, ops = server_routes(), spec_operations()
    extra = sorted(f"{m} {p}" for (m, p), op in ops.items() if not op.get("x-static") and (m, p) not in routes)
    assert not extra, "documented but not in any src/api_*.c route table:\n  " + "\n  ".join(extra)


def test_roles_and_flags_match():
    routes, ops = server_routes(), spec_operations()
    wrong = []
    for key, r in routes.items():
        op = ops.get(key)
        if op is None:
            continue  # reported by test_every_route_is_documented
        want_role = "none" if r["public"] else r["role"]
        if op.get("x-min-role") != want_role:
            wrong.append(f"{key}: x-min-role {op.get('x-min-role')!r}, server {want_role!r}")
        if bool(op.get("x-agent-token")) != r["agent"]:
            wrong.append(f"{key}: x-agent-token {op.get('x-agent-token')!r}, server {r['agent']}")
        if op["public"] != r["public"]:
            wrong.append(f"{key}: spec public={op['public']}, server public={r['public']}")
        if not r["public"] and not {"401", "403"} <= op["responses"]:
            wrong.append(f"{key}: an authenticated route must list 401 and 403")
    assert not wrong, "\n".join(wrong)


def _error_codes_in_spec():
    """The Error schema's code enum, read from the text (no YAML needed)."""
    with open(SPEC) as f:
        text = f.read()
    m = re.search(r"\n    Error:\n(.*?)\n    \w", text, re.S)
    assert m, "no components.schemas.Error in the spec"
    e = re.search(r"enum:\s*\[([^\]]*)\]", m.group(1), re.S)
    assert e, "the Error schema has no code enum"
    return {c.strip() for c in e.group(1).split(",") if c.strip()}


def _error_codes_in_server():
    codes = set()
    for path in glob.glob(os.path.join(ROOT, "src", "*.c")):
        with open(path) as f:
            text = f.read()
        codes |= {c for _, c in re.findall(r'reply_error\(\s*\w+\s*,\s*(\d{3})\s*,\s*"([a-z_]+)"', text)}
        codes |= {c for _, c in re.findall(r'answer_early\([^;]*?(\d{3})\s*,\s*"([a-z_]+)"', text, re.S)}
    return codes


def test_error_codes_documented():
    spec, server = _error_codes_in_spec(), _error_codes_in_server()
    assert {"validation_failed", "not_found", "unauthorized"} <= server, server
    missing = sorted(server - spec)
    assert not missing, f"error codes the server sends but the Error schema lacks: {missing}"


def _concrete(path):
    """A request path for a documented one: {ids} become plausible values."""
    return re.sub(r"\{([^}]+)\}", lambda m: "1" if m.group(1) != "id" or "/vms/" not in path else "vm-x", path)


def test_binary_serves_every_documented_operation():
    srv = lib.shared()
    ops = spec_operations()
    wrong = []
    for (method, path), op in sorted(ops.items()):
        if op.get("x-static"):
            continue
        r = srv.anon.request(method, _concrete(path))
        err = (r.json or {}).get("error", {}) if isinstance(r.json, dict) else {}
        if r.status == 405 or (r.status == 404 and "route" in err.get("message", "")):
            wrong.append(f"{method} {path}: {r.status} {r.body[:120]}")
            continue
        if not op["public"] and r.status != 401:
            wrong.append(f"{method} {path}: without credentials answered {r.status}, not 401")
        elif str(r.status) not in op["responses"]:
            wrong.append(f"{method} {path}: answered {r.status}, which the spec does not list")
    assert not wrong, "\n".join(wrong)


def test_spec_is_valid_openapi():
    try:
        import yaml
        from openapi_spec_validator import validate
    except ImportError:
        return  # the validator is optional; the checks above need neither
    with open(SPEC) as f:
        validate(yaml.safe_load(f))
