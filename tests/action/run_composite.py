#!/usr/bin/env python3
"""Runs a composite GitHub Action (action.yml) the way the runner does, outside GitHub, for tests.

    run_composite.py ACTION_YML [--input NAME=VALUE]...

What it emulates, and nothing more (anything else fails loudly, so a test never passes on a step it did not
really run):
- inputs: `required` and `default`; unknown inputs are an error.
- steps: `run` with `shell: bash` only (run as the runner does: `bash --noprofile --norc -eo pipefail FILE`),
  `id`, `name`, `env`, `if` (`success()`, `always()`, `failure()`, `cancelled()`, or none = success()),
  `working-directory`. `uses` steps are refused.
- expressions `${{ ... }}` in `env`, `if`, `working-directory` and the action's `outputs`: `inputs.NAME`,
  `steps.ID.outputs.NAME`, `steps.ID.outcome`, `github.action_path`, `github.workspace`, `runner.os`,
  `runner.arch`, `runner.temp`. A `${{` inside `run` is refused: scripts must take inputs from env.
- file commands: each step gets a fresh GITHUB_OUTPUT (NAME=VALUE and NAME<<DELIM forms) and GITHUB_PATH;
  GITHUB_STEP_SUMMARY is passed through from the caller's environment; GITHUB_ACTION_PATH is the action's
  directory; the working directory is GITHUB_WORKSPACE.

The caller's environment supplies GITHUB_WORKSPACE, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP and the rest. Prints
one JSON document on stdout: {"outputs": {...}, "steps": [{"id", "name", "outcome", "exit_code"}],
"exit_code": 0 or 1}; the steps' own output goes to stderr. Exits 0 when it could run the action (whatever
the action's result), 2 when the action uses something this emulator does not support.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Unsupported(Exception):
    pass


def parse_output_file(path):
    """GITHUB_OUTPUT's two forms: NAME=VALUE and NAME<<DELIM ... DELIM."""
    outputs = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            if i == len(lines):
                raise Unsupported(f"GITHUB_OUTPUT: no closing {delim!r} for {name}")
            i += 1
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        else:
            raise Unsupported(f"GITHUB_OUTPUT: malformed line {line!r}")
    return outputs


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    action_yml = os.path.abspath(args[0])
    given = {}
    rest = args[1:]
    while rest:
        if rest[0] != "--input" or len(rest) < 2 or "=" not in rest[1]:
            raise Unsupported(f"bad arguments: {rest}")
        name, value = rest[1].split("=", 1)
        given[name] = value
        rest = rest[2:]

    with open(action_yml, encoding="utf-8") as f:
        action = yaml.safe_load(f)
    if action.get("runs", {}).get("using") != "composite":
        raise Unsupported("not a composite action")
    declared = action.get("inputs") or {}
    for name in given:
        if name not in declared:
            raise Unsupported(f"unknown input {name!r} (the action declares {sorted(declared)})")
    inputs = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in given:
            inputs[name] = given[name]
        elif spec.get("required") and "default" not in spec:
            print(f"Input required and not supplied: {name}", file=sys.stderr)
            print(json.dumps({"outputs": {}, "steps": [], "exit_code": 1}))
            return 0
        else:
            inputs[name] = str(spec.get("default", ""))

    action_path = os.path.dirname(action_yml)
    env_base = dict(os.environ)
    workspace = env_base.get("GITHUB_WORKSPACE") or os.getcwd()
    steps_ctx = {}

    def lookup(expr):
        parts = expr.split(".")
        if len(parts) == 2 and parts[0] == "inputs":
            if parts[1] not in inputs:
                raise Unsupported(f"${{{{ {expr} }}}}: no such input")
            return inputs[parts[1]]
        if len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
            return steps_ctx.get(parts[1], {}).get("outputs", {}).get(parts[3], "")
        if len(parts) == 3 and parts[0] == "steps" and parts[2] == "outcome":
            return steps_ctx.get(parts[1], {}).get("outcome", "")
        simple = {
            "github.action_path": action_path,
            "github.workspace": workspace,
            "runner.os": env_base.get("RUNNER_OS", ""),
            "runner.arch": env_base.get("RUNNER_ARCH", ""),
            "runner.temp": env_base.get("RUNNER_TEMP", ""),
        }
        if expr in simple:
            return simple[expr]
        raise Unsupported(f"expression not supported by this emulator: ${{{{ {expr} }}}}")

    def expand(value):
        return EXPR.sub(lambda m: lookup(m.group(1)), str(value))

    failed = False

    def condition(step):
        cond = step.get("if")
        if cond is None:
            return not failed
        cond = str(cond).strip()
        m = EXPR.fullmatch(cond)
        if m:
            cond = m.group(1)
        table = {"success()": not failed, "always()": True, "failure()": failed, "cancelled()": False}
        if cond not in table:
            raise Unsupported(f"if: {cond!r} is not supported by this emulator")
        return table[cond]

    results = []
    with tempfile.TemporaryDirectory(prefix="composite-") as tmp:
        for index, step in enumerate(action["runs"].get("steps") or []):
            step_id = step.get("id") or f"__{index}"
            record = {"id": step_id, "name": step.get("name", ""), "outcome": "skipped", "exit_code": None}
            results.append(record)
            if "uses" in step:
                raise Unsupported(f"step {step_id}: 'uses' steps are not emulated")
            if step.get("shell") != "bash":
                raise Unsupported(f"step {step_id}: shell {step.get('shell')!r} (only bash is emulated)")
            script = step["run"]
            if "${{" in script:
                raise Unsupported(f"step {step_id}: ${{{{ }}}} inside run (pass values through env instead)")
            if not condition(step):
                steps_ctx[step_id] = {"outputs": {}, "outcome": "skipped"}
                continue
            env = dict(env_base)
            for key, value in (step.get("env") or {}).items():
                env[key] = expand(value)
            output_file = os.path.join(tmp, f"output-{index}")
            path_file = os.path.join(tmp, f"path-{index}")
            script_file = os.path.join(tmp, f"step-{index}.sh")
            for p in (output_file, path_file):
                open(p, "w").close()
            with open(script_file, "w", encoding="utf-8") as f:
                f.write(script)
            env.update({
                "GITHUB_OUTPUT": output_file,
                "GITHUB_PATH": path_file,
                "GITHUB_ACTION_PATH": action_path,
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": workspace,
            })
            cwd = workspace
            if step.get("working-directory"):
                cwd = os.path.join(workspace, expand(step["working-directory"]))
            print(f"##[group]Run {step.get('name') or step_id}", file=sys.stderr, flush=True)
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", script_file],
                env=env, cwd=cwd, stdout=sys.stderr, stderr=sys.stderr,
            )
            print("##[endgroup]", file=sys.stderr, flush=True)
            outcome = "success" if proc.returncode == 0 else "failure"
            # The runner reads the file commands whatever the step's result.
            steps_ctx[step_id] = {"outputs": parse_output_file(output_file), "outcome": outcome}
            record.update(outcome=outcome, exit_code=proc.returncode)
            if proc.returncode != 0:
                print(f"##[error]Process completed with exit code {proc.returncode}.", file=sys.stderr)
                failed = True
        outputs = {name: expand((spec or {}).get("value", "")) for name, spec in (action.get("outputs") or {}).items()}
    print(json.dumps({"outputs": outputs, "steps": results, "exit_code": 1 if failed else 0}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Unsupported as e:
        print(f"run_composite.py: {e}", file=sys.stderr)
        sys.exit(2)
