#!/usr/bin/env python3
"""Validates SARIF files three ways and prints one JSON report; for tests (tests/github.rs).

    validate_sarif.py --schema SARIF-2.1.0.JSON --multitool SARIF.MULTITOOL FILE.sarif...

1. The SARIF 2.1.0 JSON schema (Draft 4, Python jsonschema), as code scanning's upload action does.
2. `Sarif.Multitool validate --rule-kind "Sarif;Gh"` (npm @microsoft/sarif-multitool 5.7.0): the SARIF spec's
   rules plus its GitHub ingestion rules (GH1xxx/GH2xxx). Its exit code is 0 even when it finds errors, so
   its output log (a SARIF file itself) is read instead; a run that did not execute successfully is an
   error. The native binary is called directly: the npm wrapper passes its arguments through a shell, so
   the semicolons of "Sarif;Gh" would split the command.
3. What github/codeql-action/upload-sarif and code scanning reject and the multitool does not check (read in
   the upload action's source and GitHub's SARIF documentation): two runs of one file with the same tool and
   automationDetails.id ("multiple runs with the same category"), a result without a location, a location
   URI with a scheme (the multitool silently reports nothing at all for such a file), and the size limits
   (10 MB gzipped, 20 runs, 25,000 results a run, 1,000 locations a result, 20 tags a rule; descriptions
   over 1,024 characters are a warning).

Output: {"files": {FILE: {"errors": [...], "warnings": [...], "notes": [...]}}}; exit 0 when no file has an
error, 1 otherwise, 2 when a validator could not run.
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def schema_check(schema, doc):
    import jsonschema

    out = []
    for e in jsonschema.Draft4Validator(schema).iter_errors(doc):
        out.append("schema: /" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
    return out


def multitool_check(multitool, path):
    errors, warnings, notes = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "validation.sarif")
        proc = subprocess.run(
            [multitool, "validate", path, "--output", log, "--log", "ForceOverwrite",
             "--rule-kind", "Sarif;Gh", "--level", "Error;Warning;Note"],
            capture_output=True, text=True,
        )
        if not os.path.exists(log):
            raise RuntimeError(f"Sarif.Multitool wrote no log (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
        with open(log, encoding="utf-8-sig") as f:
            result_log = json.load(f)
    for run in result_log.get("runs", []):
        for inv in run.get("invocations", []):
            if not inv.get("executionSuccessful", False):
                errors.append(f"multitool: execution not successful: {json.dumps(inv)[:2000]}")
            for n in (inv.get("toolExecutionNotifications") or []) + (inv.get("toolConfigurationNotifications") or []):
                if n.get("level", "warning") == "error":
                    errors.append("multitool notification: " + json.dumps(n.get("message"))[:2000])
        rules = {r.get("id"): r for r in run.get("tool", {}).get("driver", {}).get("rules", [])}
        for r in run.get("results", []):
            level = r.get("level", "warning")
            msg = r.get("message", {})
            text = msg.get("text")
            if text is None:
                template = (rules.get(r.get("ruleId"), {}).get("messageStrings", {}).get(msg.get("id"), {}).get("text"))
                args = msg.get("arguments", [])
                text = template or msg.get("id", "")
                for i, a in enumerate(args):
                    text = text.replace("{%d}" % i, str(a))
            line = f"multitool {r.get('ruleId')}: {text}"
            {"error": errors, "warning": warnings}.get(level, notes).append(line)
    return errors, warnings, notes


def github_check(path, doc):
    errors, warnings = [], []
    with open(path, "rb") as f:
        size = len(gzip.compress(f.read()))
    if size > 10 * 1024 * 1024:
        errors.append(f"github: {size} bytes gzipped, over the 10 MB upload limit")
    runs = doc.get("runs") or []
    if len(runs) > 20:
        errors.append(f"github: {len(runs)} runs, over the limit of 20 a file")
    keys = {}
    for i, run in enumerate(runs):
        driver = (run.get("tool") or {}).get("driver") or {}
        key = json.dumps([driver.get(k) for k in ("name", "fullName", "version", "semanticVersion", "guid")]
                         + [(run.get("automationDetails") or {}).get("id")])
        if key in keys:
            errors.append(f"github: runs {keys[key]} and {i} have the same tool and automationDetails.id: "
                          "upload-sarif refuses multiple runs with the same category")
        keys.setdefault(key, i)
        for j, rule in enumerate(driver.get("rules") or []):
            for field in ("shortDescription", "fullDescription"):
                text = (rule.get(field) or {}).get("text") or ""
                if len(text) > 1024:
                    warnings.append(f"github: runs/{i} rule {rule.get('id')} {field} has {len(text)} characters (over 1,024)")
            tags = (rule.get("properties") or {}).get("tags") or []
            if len(tags) > 20:
                errors.append(f"github: runs/{i} rule {rule.get('id')} has {len(tags)} tags (over 20)")
        results = run.get("results") or []
        if len(results) > 25000:
            errors.append(f"github: runs/{i} has {len(results)} results (over 25,000)")
        for k, result in enumerate(results):
            where = f"runs/{i}/results/{k}"
            locations = result.get("locations") or []
            if not locations:
                errors.append(f"github: {where} has no location")
            if len(locations) > 1000:
                errors.append(f"github: {where} has {len(locations)} locations (over 1,000)")
            for loc in locations + (result.get("relatedLocations") or []):
                uri = ((loc.get("physicalLocation") or {}).get("artifactLocation") or {}).get("uri")
                if uri is not None and (uri == "" or SCHEME.match(uri)):
                    errors.append(f"github: {where} location URI {uri!r} is empty or has a scheme")
    return errors, warnings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True)
    ap.add_argument("--multitool", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    report, bad = {}, False
    for path in a.files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = schema_check(schema, doc)
        m_errors, m_warnings, m_notes = multitool_check(a.multitool, path)
        g_errors, g_warnings = github_check(path, doc)
        entry = {"errors": errors + m_errors + g_errors, "warnings": m_warnings + g_warnings, "notes": m_notes}
        report[path] = entry
        bad |= bool(entry["errors"])
    print(json.dumps({"files": report}, indent=1, ensure_ascii=False))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a validator that cannot run must not look like a clean file
        print(f"validate_sarif.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
