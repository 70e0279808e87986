#!/usr/bin/env python3
"""Turns the raw JSON lines under the bench output directory into the markdown tables of
bench/RESULTS.md. Usage: summarize.py OUT_DIR > summary.md"""
import json
import os
import statistics
import sys


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def group(rows):
    out = {}
    for r in rows:
        out.setdefault(r["label"], []).append(r)
    return out


def spread(values, fmt="{:.2f}"):
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def loads(runs):
    ls = [r["load1"] for r in runs]
    return f"{min(ls):.1f}–{max(ls):.1f}"


def codec_tables(out):
    rows = load(os.path.join(out, "codec.jsonl"))
    if not rows:
        return
    print("### Codec (codec_bench), medians of %d runs (min–max)\n" % max(r["run"] for r in rows))
    print("| run | archive MB | s | MB/s (uncompressed) | records/s | CPU s (user+sys) | MB per CPU-s | peak RSS MB | file MB | load1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, runs in group(rows).items():
        secs = [r["seconds"] for r in runs]
        mbs = [r["mb_s"] for r in runs]
        recs = [r["rec_s"] for r in runs]
        cpu = [r["user_s"] + r["sys_s"] for r in runs]
        cpumb = [r["mb_per_cpu_s"] for r in runs]
        rss = max(r["maxrss_mb"] for r in runs)
        base = runs[0].get("baseline_rss_mb", 0)
        rss_text = f"{rss:.0f}" + (f" (pool {base:.0f})" if base else "")
        print(f"| {label} | {runs[0]['archive_bytes'] / 1e6:.0f} | {spread(secs)} | {spread(mbs, '{:.0f}')} | "
              f"{spread(recs, '{:,.0f}')} | {spread(cpu)} | {spread(cpumb, '{:.0f}')} | {rss_text} | "
              f"{runs[0]['file_bytes'] / 1e6:.0f} | {loads(runs)} |")
    print()


def timed_table(path, title, ratio_base=None):
    rows = load(path)
    if not rows:
        return {}
    print(f"### {title}, medians of {max(r['run'] for r in rows)} runs (min–max)\n")
    print("| command | s | MB/s | rows/s | CPU s (user+sys) | peak RSS MB | ratio | load1 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    medians = {}
    groups = group(rows)
    for label, runs in groups.items():
        medians[label] = statistics.median(r["wall"] for r in runs)
    for label, runs in groups.items():
        walls = [r["wall"] for r in runs]
        med = medians[label]
        b = runs[0]["bytes"]
        n = runs[0]["rows"]
        mbs = f"{b / med / 1e6:.0f}" if b else ""
        rps = f"{n / med:,.0f}" if n else ""
        cpu = spread([r["user"] + r["sys"] for r in runs])
        rss = max(r["maxrss_kb"] for r in runs) / 1024
        ratio = ""
        if ratio_base:
            base = ratio_base(label)
            if base and base in medians and base != label:
                ratio = f"{med / medians[base]:.2f}x time of “{base}”"
        print(f"| {label} | {spread(walls)} | {mbs} | {rps} | {cpu} | {rss:.0f} | {ratio} | {loads(runs)} |")
    print()
    return medians


def sizes(path, title):
    rows = load(path)
    if rows:
        print(f"{title}: " + ", ".join(f"{r['file']} {r['bytes']:,} B" for r in rows) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "build-bench/bench-out"
    codec_tables(out)
    timed_table(os.path.join(out, "codec-baselines.jsonl"), "Baselines on the same archive")
    sizes(os.path.join(out, "codec-sizes.jsonl"), "Compressed sizes (largest archive; zstd1/zstd3 = zstd CLI on the plain file)")

    def base(label):
        if label.startswith("import:"):
            return "import: sqlite3 .import (tsv)"
        if label.startswith("export:"):
            return "export: sqlite3 .dump > file"
        return None

    rows = load(os.path.join(out, "sqlite.jsonl"))
    n = max((r["rows"] for r in rows), default=0)
    medians = timed_table(os.path.join(out, "sqlite.jsonl"), f"SQLite, {n:,} rows", base)
    sizes(os.path.join(out, "sqlite-sizes.jsonl"), "File sizes")
    if medians:
        b = medians.get("import: sqlite3 .import (tsv)")
        d = medians.get("import: decant -i file.ndjson")
        if b and d:
            verdict = "MET" if d <= b / 0.9 else "NOT MET"
            print(f"Import target (decant time <= 1.11 x sqlite3 .import): {d:.2f} s vs {b:.2f} s = "
                  f"{d / b:.2f}x -> {verdict} (speed {b / d:.2f}x of sqlite3)\n")

    def redis_base(label):
        if label.startswith("import:"):
            return "import: redis-cli --pipe (SET)"
        return None

    rows = load(os.path.join(out, "redis.jsonl"))
    n = max((r["rows"] for r in rows), default=0)
    medians = timed_table(os.path.join(out, "redis.jsonl"), f"Redis, {n:,} string keys (and one list of {n:,} elements)",
                          redis_base)
    sizes(os.path.join(out, "redis-sizes.jsonl"), "File sizes")
    if medians:
        b = medians.get("import: redis-cli --pipe (SET)")
        d = medians.get("import: decant --conflict replace")
        if b and d:
            verdict = "MET" if b / d >= 0.9 else "NOT MET"
            print(f"Import target (decant speed >= 0.9x redis-cli --pipe): {d:.2f} s vs {b:.2f} s = "
                  f"{b / d:.2f}x -> {verdict}\n")
        e = medians.get("export: decant -o file.ndjson")
        if e:
            verdict = "MET" if n / e >= 300000 else "NOT MET"
            print(f"Export target (>= 300,000 keys/s): {n / e:,.0f} keys/s -> {verdict}\n")

    rows = load(os.path.join(out, "lightrag.jsonl"))
    n = max((r["rows"] for r in rows), default=0)
    tool = "JSON dir -> Redis: lightrag.tools.migrate_llm_cache"
    medians = timed_table(os.path.join(out, "lightrag.jsonl"), f"LightRAG LLM cache, {n:,} default:extract records",
                          lambda label: tool if not label.startswith("floor") else None)
    if medians:
        d = medians.get("JSON dir -> Redis: decant export piped to decant import")
        b = medians.get(tool)
        if b and d:
            rss = {label: max(r["maxrss_kb"] for r in rows if r["label"] == label) for label in medians}
            memory = rss[tool] / rss["JSON dir -> Redis: decant export piped to decant import"]
            print(f"LightRAG target (>= 20x faster, <= 1/10 of the memory of migrate_llm_cache): {b / d:.1f}x faster, "
                  f"{memory:.1f}x less memory -> {'MET' if b / d >= 20 and memory >= 10 else 'NOT MET'}\n")

    def pg_base(label):
        for prefix, base in (("import:", "import: psql COPY FROM STDIN"), ("export:", "export: psql COPY TO STDOUT > file"),
                             ("sqlite->pg:", "sqlite->pg: pgloader")):
            if label.startswith(prefix):
                return base
        return None

    rows = load(os.path.join(out, "postgres.jsonl"))
    n = max((r["rows"] for r in rows), default=0)
    medians = timed_table(os.path.join(out, "postgres.jsonl"), f"PostgreSQL, {n:,} rows", pg_base)
    sizes(os.path.join(out, "postgres-sizes.jsonl"), "File sizes")
    for what, mine, base, goal in (
            ("Import", "import: decant -i file.ndjson", "import: psql COPY FROM STDIN", 0.9),
            ("Export", "export: decant -o file.ndjson.zst", "export: psql COPY TO STDOUT > file", 0.9),
            ("SQLite -> PostgreSQL", "sqlite->pg: decant export | decant import", "sqlite->pg: pgloader", 1.0)):
        d, b = medians.get(mine), medians.get(base)
        if b and d:
            print(f"{what} target (speed >= {goal}x of {base}): {d:.2f} s vs {b:.2f} s = speed {b / d:.2f}x -> "
                  f"{'MET' if b / d >= goal else 'NOT MET'}\n")


if __name__ == "__main__":
    main()
