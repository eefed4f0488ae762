#!/usr/bin/env python3
"""Runs the black-box API tests: every test_* function of every
tests/api/test_*.py (or of the files named on the command line), in file
order. Prints one line per test and closes with `api: N passed, M failed`.
"""
import glob
import importlib.util
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lib  # noqa: E402


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    label = os.environ.get("TEST_LABEL", "api")
    files = argv or sorted(glob.glob(os.path.join(HERE, "test_*.py")))
    only = os.environ.get("TEST_ONLY")
    if not os.path.exists(lib.BINARY):
        print(f"{label}: {lib.BINARY} is missing: run make first")
        return 2
    passed = failed = 0
    failures = []
    t_all = time.monotonic()
    try:
        for path in files:
            mod = load(path)
            tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.isfunction)
                     if n.startswith("test_") and f.__module__ == mod.__name__]
            tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
            for name, fn in tests:
                if only and only not in name:
                    continue
                t0 = time.monotonic()
                try:
                    fn()
                    passed += 1
                    print(f"ok   {os.path.basename(path)}::{name} ({time.monotonic() - t0:.2f}s)", flush=True)
                except Exception:
                    failed += 1
                    failures.append(f"{os.path.basename(path)}::{name}")
                    print(f"FAIL {os.path.basename(path)}::{name}", flush=True)
                    traceback.print_exc()
            if hasattr(mod, "teardown_module"):
                mod.teardown_module()
    finally:
        lib.cleanup_all()
    for report in lib.sanitizer_reports:
        failed += 1
        failures.append("sanitizer report")
        print("SANITIZER " + report)
    for f in failures:
        print(f"failed: {f}")
    print(f"({time.monotonic() - t_all:.1f}s)")
    print(f"{label}: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
