#!/usr/bin/env python3
"""Compare a module's declared options (library/<m> --describe) with its sidecar doc.

One source of truth: the Go spec. The sidecar must document every declared option,
nothing else, with the same type, required flag, default, choices and aliases.
"""
import json
import subprocess
import sys

import yaml


def sidecar_options(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for key in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        if key not in doc:
            raise SystemExit(f"{path}: missing {key}")
    documentation = doc["DOCUMENTATION"]
    if isinstance(documentation, str):
        documentation = yaml.safe_load(documentation)
    return documentation.get("options") or {}


def compare(module, declared, documented):
    problems = []
    for name in sorted(set(declared) - set(documented)):
        problems.append(f"option {name!r} is declared in Go but not documented")
    for name in sorted(set(documented) - set(declared)):
        problems.append(f"option {name!r} is documented but not declared in Go")
    for name in sorted(set(declared) & set(documented)):
        d, doc = declared[name], documented[name] or {}
        if not doc.get("description"):
            problems.append(f"option {name!r} has no description")
        if doc.get("type", "str") != d["type"]:
            problems.append(f"option {name!r}: type {doc.get('type', 'str')!r} documented, {d['type']!r} declared")
        if bool(doc.get("required", False)) != d["required"]:
            problems.append(f"option {name!r}: required={doc.get('required', False)} documented, {d['required']} declared")
        if "default" in d and doc.get("default") != d["default"]:
            problems.append(f"option {name!r}: default {doc.get('default')!r} documented, {d['default']!r} declared")
        if "default" not in d and doc.get("default") is not None:
            problems.append(f"option {name!r}: default {doc.get('default')!r} documented, none declared")
        if sorted(map(str, doc.get("choices") or [])) != sorted(map(str, d.get("choices") or [])):
            problems.append(f"option {name!r}: choices {doc.get('choices')} documented, {d.get('choices')} declared")
        if sorted(doc.get("aliases") or []) != sorted(d.get("aliases") or []):
            problems.append(f"option {name!r}: aliases {doc.get('aliases')} documented, {d.get('aliases')} declared")
        if d.get("elements") and doc.get("elements") != d["elements"]:
            problems.append(f"option {name!r}: elements {doc.get('elements')!r} documented, {d['elements']!r} declared")
        if d.get("no_log") and not doc.get("no_log"):
            problems.append(f"option {name!r} is no_log in Go; document it with no_log: true")
    return [f"{module}: {p}" for p in problems]


def main(library, modules):
    problems = []
    for module in modules:
        described = json.loads(subprocess.run([f"{library}/{module}", "--describe"], check=True,
                                              capture_output=True, text=True).stdout)
        problems += compare(module, described["options"], sidecar_options(f"{library}/{module}.yml"))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
