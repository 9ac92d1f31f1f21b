"""Held-out fidelity of `mockllm engine fit` + `mockllm engine simulate` (scripts/engine-fidelity).

For each deployment table: fit on two input/output shapes, predict every point of the other
shapes, count the points whose mean TTFT, mean ITL and request throughput are all within the
tolerance of the table. Prints one table per deployment, then the share over all of them.
"""
import csv
import glob
import json
import math
import os
import subprocess
import sys
import tempfile
import time

REQUIRED = ["concurrency", "input_tokens", "output_tokens", "ttft_ms", "itl_ms", "request_throughput"]


def read_table(path):
    with open(path, newline="") as f:
        lines = [line for line in f if line.strip() and not line.lstrip().startswith("#")]
    rows = list(csv.DictReader(lines))
    points = []
    for row in rows:
        row = {k.strip().lower(): v for k, v in row.items()}
        points.append({
            "concurrency": int(float(row["concurrency"])),
            "shape": (int(float(row["input_tokens"])), int(float(row["output_tokens"]))),
            "ttft": float(row["ttft_ms"]),
            "itl": float(row["itl_ms"]),
            "rps": float(row["request_throughput"]),
        })
    return points


def training_shapes(shapes):
    """The shape with the most tokens per request, and the one whose input/output ratio is
    farthest (in log) from it."""
    first = max(shapes, key=lambda s: (s[0] + s[1], s[0]))
    ratio = lambda s: math.log(s[0] / s[1])
    second = max((s for s in shapes if s != first), key=lambda s: (abs(ratio(s) - ratio(first)), s[0] + s[1]))
    return [first, second]


def shape_text(s):
    return f"{s[0]}/{s[1]}"


def main(argv):
    binary = argv[0]
    args = argv[1:]
    train_override = None
    tolerance = 0.25
    tables = []
    while args:
        a = args.pop(0)
        if a == "--train":
            train_override = [tuple(int(x) for x in s.replace("x", "/").split("/")) for s in args.pop(0).split(",")]
        elif a == "--tolerance":
            tolerance = float(args.pop(0))
        else:
            tables.append(a)
    if not tables:
        tables = sorted(glob.glob("Tests/Engine/data/*.csv"))

    total_in = total = 0
    summary = []
    for table in tables:
        points = read_table(table)
        shapes = sorted({p["shape"] for p in points})
        train = train_override or training_shapes(shapes)
        held = [p for p in points if p["shape"] not in train]
        name = os.path.basename(table)
        with tempfile.TemporaryDirectory() as tmp:
            profile = os.path.join(tmp, "profile.yaml")
            started = time.time()
            fit = subprocess.run(
                [binary, "engine", "fit", table, "--shapes", ",".join(shape_text(s) for s in train), "--output", profile]
                + os.environ.get("ENGINE_FIT_ARGS", "").split(),
                capture_output=True, text=True)
            fit_seconds = time.time() - started
            if fit.returncode != 0:
                print(f"{name}: engine fit failed ({fit.returncode}): {fit.stderr.strip()}", file=sys.stderr)
                return 1
            print(f"== {name}: fitted on {', '.join(shape_text(s) for s in train)} in {fit_seconds:.0f} s; "
                  f"{len(held)} held-out points")
            # The modes and the budget the fit chose (the profile's lines without the comments).
            with open(profile) as f:
                lines = f.read().splitlines()
            chosen = [line.strip() for line in lines
                      if line.split(":")[0] in ("max_num_batched_tokens", "kv_cache_tokens", "kv_admission", "prefill")]
            memory = [line.strip() for line in lines if line.strip().startswith("memory_ms:")]
            chosen.append("step time: " + (f"roofline ({memory[0]})" if memory else "sum"))
            print("   " + ", ".join(chosen))
            print(f"{'shape':<11}{'users':>6}{'TTFT ms':>10}{'sim':>10}{'err':>7}{'ITL ms':>9}{'sim':>9}{'err':>7}"
                  f"{'req/s':>9}{'sim':>9}{'err':>7}  within")
            inside = 0
            for p in held:
                run = subprocess.run(
                    [binary, "engine", "simulate", "--profile", profile, "--concurrency", str(p["concurrency"]),
                     "--input-tokens", str(p["shape"][0]), "--output-tokens", str(p["shape"][1]), "--json"],
                    capture_output=True, text=True)
                if run.returncode != 0:
                    print(f"engine simulate failed: {run.stderr.strip()}", file=sys.stderr)
                    return 1
                r = json.loads(run.stdout)
                sim = (r["ttft_ms"]["mean"], r["itl_ms"]["mean"], r["request_throughput"])
                meas = (p["ttft"], p["itl"], p["rps"])
                errs = [s / m - 1 for s, m in zip(sim, meas)]
                ok = all(abs(e) <= tolerance for e in errs)
                inside += ok
                print(f"{shape_text(p['shape']):<11}{p['concurrency']:>6}{meas[0]:>10.1f}{sim[0]:>10.1f}{errs[0]:>+7.0%}"
                      f"{meas[1]:>9.2f}{sim[1]:>9.2f}{errs[1]:>+7.0%}{meas[2]:>9.3f}{sim[2]:>9.3f}{errs[2]:>+7.0%}"
                      f"  {'yes' if ok else 'no'}")
            share = inside / len(held) if held else 0
            print(f"{name}: {inside} of {len(held)} held-out points within {tolerance:.0%} ({share:.0%})\n")
            summary.append((name, inside, len(held)))
            total_in += inside
            total += len(held)
    print("deployment".ljust(48) + "held-out points within" )
    for name, inside, n in summary:
        print(f"{name:<48}{inside} of {n} ({inside / n if n else 0:.0%})")
    print(f"{'all':<48}{total_in} of {total} ({total_in / total if total else 0:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
