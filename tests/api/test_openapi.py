"""docs/openapi.yaml against the server as built.

The server's routes come from the route tables of src/api_*.c (every
`{"METHOD", "/pattern", handler, ROLE_X, FLAGS}` entry, ":param" mapped to
"{param}"); the documentation from docs/openapi.yaml, read with PyYAML when
it is installed, else from docs/openapi.json, its JSON copy (regenerate it
with `python3 tests/api/test_openapi.py --write-json`; when PyYAML is there
a test fails if the copy is stale). Then:

- every route is documented with its method, and every documented
  operation exists (operations marked `x-static` are served outside the
  router: the dashboard's files);
- each operation's `x-min-role`, `x-agent-token` and public `security: []`
  match the route's role and flags;
- every error code the server can send is in the Error schema;
- the running binary knows every documented operation: asked without
  credentials, each answers 401 (or, when public, its own answer), never
  404 "no such route" or 405, and that status is one the spec lists;
- real answers of a server filled with demo data match the documented
  schemas: required fields, types, enums, RFC 3339 timestamps, and no
  field the schema does not name.
"""
import glob
import json
import os
import re
import sys

import lib

ROOT = lib.ROOT
SPEC = os.path.join(ROOT, "docs", "openapi.yaml")
SPEC_JSON = os.path.join(ROOT, "docs", "openapi.json")
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


def load_spec():
    """The OpenAPI document as a dict: from the YAML when PyYAML is there, else the JSON copy."""
    try:
        import yaml
    except ImportError:
        with open(SPEC_JSON) as f:
            return json.load(f)
    with open(SPEC) as f:
        return yaml.safe_load(f)


def spec_operations():
    """{(METHOD, path): {"x-min-role", "x-agent-token", "x-static", "public", "responses"}}."""
    ops = {}
    for path, item in load_spec()["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            ops[(method.upper(), path)] = {
                "x-min-role": op.get("x-min-role"), "x-agent-token": op.get("x-agent-token", False),
                "x-static": op.get("x-static", False), "public": op.get("security") == [],
                "responses": {str(k) for k in op.get("responses", {})}}
    return ops


def test_json_copy_is_current():
    try:
        import yaml  # noqa: F401
    except ImportError:
        return  # nothing to compare against; the JSON copy is what the tests read
    with open(SPEC_JSON) as f:
        copy = json.load(f)
    assert copy == load_spec(), ("docs/openapi.json is stale: run "
                                 "python3 tests/api/test_openapi.py --write-json")


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
    """The Error schema's code enum."""
    return set(load_spec()["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])


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


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def check_schema(doc, schema, value, where, errors, strict=True):
    """Appends to errors what in value breaks schema (the subset of OpenAPI 3.0 this spec uses).

    strict: fields the schema (with its allOf parts) does not name are errors.
    """
    if len(errors) > 20:
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return check_schema(doc, doc["components"]["schemas"][name], value, where, errors, strict)
    if value is None:
        if not schema.get("nullable"):
            errors.append(f"{where}: null, but the schema is not nullable")
        return
    for sub in schema.get("allOf", []):
        merged = dict(sub, nullable=True) if schema.get("nullable") else sub
        check_schema(doc, merged, value, where, errors, strict=False)
    t = schema.get("type")
    if t == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif t in TYPES:
        ok = isinstance(value, TYPES[t])
    else:
        ok = True
    if not ok:
        errors.append(f"{where}: {type(value).__name__} {str(value)[:40]!r}, documented as {t}")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if schema.get("format") == "date-time" and not RFC3339.match(value):
        errors.append(f"{where}: {value!r} is not an RFC 3339 UTC time with seconds")
    if t == "array":
        for i, item in enumerate(value[:50]):
            check_schema(doc, schema.get("items", {}), item, f"{where}[{i}]", errors)
    if isinstance(value, dict) and strict:  # allOf parts: the whole checks the fields
        props = _all_properties(doc, schema)
        for key in _all_required(doc, schema):
            if key not in value:
                errors.append(f"{where}: required field {key!r} is missing")
        extra = schema.get("additionalProperties")
        for key, v in value.items():
            if key in props:
                check_schema(doc, props[key], v, f"{where}.{key}", errors)
            elif isinstance(extra, dict):
                check_schema(doc, extra, v, f"{where}.{key}", errors)
            elif props and extra is not True:
                errors.append(f"{where}: field {key!r} is not documented")


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _all_properties(doc, schema):
    schema = _resolve(doc, schema)
    props = dict(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        props.update(_all_properties(doc, sub))
    return props


def _all_required(doc, schema):
    schema = _resolve(doc, schema)
    req = list(schema.get("required", []))
    for sub in schema.get("allOf", []):
        req += _all_required(doc, sub)
    return req


def _documented_schema(doc, method, path, status):
    op = doc["paths"][path][method.lower()]
    resp = op["responses"][str(status)]
    if "$ref" in resp:
        resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    return resp["content"]["application/json"]["schema"]


def test_answers_match_the_schemas():
    doc = load_spec()
    srv = lib.own(lib.Server(["--dev"]).start())
    r = srv.admin.post("/api/seed-test-data")
    assert r.status == 201, r
    vm = srv.admin.get("/api/vms?limit=1").json["items"][0]
    customer = srv.admin.get("/api/customers?limit=1").json["items"][0]
    # A heartbeat, an action and an update, so that those lists have items.
    vm_new, agent = lib.make_vm(srv)
    assert srv.operator.post(f"/api/vms/{vm_new['id']}/restart").status == 202
    hb = lib.heartbeat(srv.client(agent), vm_new["id"], load1=0.5, uptime_s=100, api_quota_percent=3)
    srv.admin.post("/api/updates", {"version": "9.9.9", "description": "schema test"})
    srv.admin.post("/api/channels", {"url": "http://127.0.0.1:9/hook"})
    srv.admin.post("/api/tokens", {"name": "schema-test", "role": "viewer"})
    alert = srv.operator.post("/api/alerts", {"type": "schema_test", "severity": "info", "message": "m"})
    assert alert.status == 201, alert
    update = srv.admin.get("/api/updates").json["items"][0]
    action = srv.admin.get(f"/api/vms/{vm_new['id']}/actions").json["items"][0]
    checks = [
        ("GET", "/", "/", 200, srv.anon),
        ("GET", "/api/health", "/api/health", 200, srv.anon),
        ("GET", "/api/auth/me", "/api/auth/me", 200, srv.admin),
        ("GET", "/api/customers", "/api/customers", 200, srv.viewer),
        ("GET", "/api/customers/{id}", f"/api/customers/{customer['id']}", 200, srv.viewer),
        ("GET", "/api/customers/{id}/vms", f"/api/customers/{customer['id']}/vms", 200, srv.viewer),
        ("GET", "/api/vms", "/api/vms?limit=1000", 200, srv.viewer),
        ("GET", "/api/vms/{id}", f"/api/vms/{vm['id']}", 200, srv.viewer),
        ("GET", "/api/vms/{id}/metrics", f"/api/vms/{vm['id']}/metrics?hours=24", 200, srv.viewer),
        ("GET", "/api/vms/{id}/metrics", f"/api/vms/{vm['id']}/metrics?hours=24&step=3600", 200, srv.viewer),
        ("GET", "/api/vms/{id}/actions", f"/api/vms/{vm_new['id']}/actions", 200, srv.viewer),
        ("GET", "/api/metrics/fleet", "/api/metrics/fleet", 200, srv.viewer),
        ("GET", "/api/alerts", "/api/alerts?limit=1000", 200, srv.viewer),
        ("GET", "/api/alerts/{id}", f"/api/alerts/{alert.json['id']}", 200, srv.viewer),
        ("GET", "/api/updates", "/api/updates", 200, srv.viewer),
        ("GET", "/api/updates/{id}", f"/api/updates/{update['id']}", 200, srv.viewer),
        ("GET", "/api/channels", "/api/channels", 200, srv.admin),
        ("GET", "/api/tokens", "/api/tokens", 200, srv.admin),
        ("GET", "/api/users", "/api/users", 200, srv.admin),
        ("GET", "/api/audit", "/api/audit", 200, srv.admin),
        ("GET", "/api/vms/{id}", "/api/vms/no-such-vm", 404, srv.viewer),
        ("GET", "/api/vms", "/api/vms?limit=0", 400, srv.viewer),
        ("POST", "/api/customers", "/api/customers", 403, srv.viewer),
        ("GET", "/api/vms", "/api/vms", 401, srv.anon),
    ]
    errors = []
    for method, doc_path, path, status, client in checks:
        r = client.request(method, path)
        if r.status != status:
            errors.append(f"{method} {path}: expected {status}, got {r.status} {r.body[:100]}")
            continue
        check_schema(doc, _documented_schema(doc, method, doc_path, status), r.json, f"{method} {path}", errors)
    # Answers of writes made above.
    check_schema(doc, _documented_schema(doc, "PUT", "/api/vms/{id}/heartbeat", 200), hb.json, "heartbeat", errors)
    check_schema(doc, _documented_schema(doc, "POST", "/api/alerts", 201), alert.json, "POST /api/alerts", errors)
    check_schema(doc, {"$ref": "#/components/schemas/Action"}, action, "action", errors)
    r = srv.admin.post("/api/vms", {"hostname": "schema-host", "ip_address": "10.250.250.250",
                                    "customer_id": customer["id"], "cpu_cores": 1, "memory_gb": 1, "disk_gb": 10})
    assert r.status == 201, r
    check_schema(doc, _documented_schema(doc, "POST", "/api/vms", 201), r.json, "POST /api/vms", errors)
    r = srv.admin.post(f"/api/updates/{update['id']}/rollout", {"batch_percent": 50})
    if r.status == 202:
        check_schema(doc, _documented_schema(doc, "POST", "/api/updates/{id}/rollout", 202), r.json, "rollout", errors)
    else:
        errors.append(f"POST /api/updates/{update['id']}/rollout: {r.status} {r.body[:100]}")
    r = srv.anon.post("/api/auth/login", {"username": "admin", "password": lib.ADMIN_PASSWORD})
    assert r.status == 200, r
    check_schema(doc, _documented_schema(doc, "POST", "/api/auth/login", 200), r.json, "login", errors)
    assert not errors, "answers that differ from docs/openapi.yaml:\n  " + "\n  ".join(errors[:25])


def write_json():
    """Regenerates docs/openapi.json from docs/openapi.yaml (needs PyYAML)."""
    import yaml
    with open(SPEC) as f:
        doc = yaml.safe_load(f)
    with open(SPEC_JSON, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(SPEC_JSON, ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-json"]:
        write_json()
    else:
        sys.exit("usage: python3 tests/api/test_openapi.py --write-json  (run the tests with tests/api/run.py)")
