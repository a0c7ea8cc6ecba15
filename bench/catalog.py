#!/usr/bin/env python3
"""The catalog at scale: 100k synthetic products deployed, then the portal and the API under load.

Writes N descriptors (default 100,000) over D domains (5-15 columns each, two tags, 10 % restricted,
a third reading an earlier product of their domain), times `atrium deploy --no-run` of all of them
(one transaction), starts `atrium serve`, waits until the search index holds them, and loads the pages
and the API with wrk (50 connections, as a member of one team who reads two domains and holds a
grant): the home page, product pages (a different product on each request), a domain page,
`GET /api/v1/products?limit=50` (first pages and pages deep in the cursor), and a search. Reports
p50/p99 and requests/s, the server's RSS idle after start-up and after the load, and writes the
section "## The catalog at 100k products" of BENCHMARKS.md (one section per size, e.g. `--products 2000`
beside it, to compare; other sections are kept).

Run it with `make bench-catalog` (release build; wrk from Debian's packages). Usage:
    bench/catalog.py --atrium target/release/atrium --products 100000 --work bench/work-catalog --out BENCHMARKS.md
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request

WORDS = ("orders customers revenue invoices shipments returns payments refunds inventory stock "
         "suppliers parts leads campaigns clicks sessions churn margin forecast budget ledger "
         "accounts contracts claims tickets incidents deliveries warehouses routes carriers").split()
TYPES = ["int64", "string", "date", "float64", "bool", '"decimal(15,2)"', "timestamp"]


def section(products):
    """The report's heading: one section per catalog size, so that sizes can be compared."""
    size = f"{products // 1000}k" if products % 1000 == 0 else f"{products:,}"
    return f"## The catalog at {size} products"

READER_TEAM = "team-d000"


def descriptor(rng, domain, index, earlier):
    noun = WORDS[index % len(WORDS)]
    name = f"{noun}_{index}"
    restricted = rng.random() < 0.10
    lines = [
        "apiVersion: atrium/v1",
        "kind: DataProduct",
        "metadata:",
        f"  id: {domain}.{name}",
        f"  title: {noun.capitalize()} {index} of {domain}",
        f"  owner: team-{domain}",
        f"  description: {' '.join(rng.choice(WORDS) for _ in range(rng.randint(8, 24)))}",
        f"  tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
        f"  visibility: {'restricted' if restricted else 'internal'}",
        "inputs:",
    ]
    if earlier and rng.random() < 0.33:
        lines.append(f"  - {{ name: upstream, product: {rng.choice(earlier)} }}")
    else:
        lines.append("  - { name: raw, source: { kind: stream } }")
    lines += ["outputs:", f"  - name: {noun}", f"    description: One row per {noun} record.", "    columns:"]
    for column in range(rng.randint(5, 15)):
        kind = rng.choice(TYPES)
        extra = f", classification: {rng.choice(['internal', 'public', 'confidential'])}" if kind == "string" else ""
        lines.append(f"      - {{ name: {rng.choice(WORDS)}_{column}, type: {kind}{extra} }}")
    return f"{domain}.{name}", "\n".join(lines) + "\n"


def atrium_cli(args, *command, capture=False):
    done = subprocess.run([args.atrium_bin, "--data-dir", args.state, *command],
                          capture_output=True, text=True, env=args.env)
    if done.returncode != 0:
        sys.exit(f"atrium {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip() if capture else None


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def get(url, token):
    request = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return answer.read()


LUA_PATHS = """
local paths = {%s}
local token = "%s"
local counter = 0
request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
"""


def wrk(args, label, paths, token):
    script = os.path.join(args.work, "paths.lua")
    with open(script, "w") as out:
        out.write(LUA_PATHS % (", ".join(json.dumps(p) for p in paths), token))
    done = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                           "-s", script, args.base], capture_output=True, text=True, check=True)
    text = done.stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", text, re.M))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    if errors or socket_errors:
        sys.exit(f"{label}: failed requests\n{text}")
    row = (label, to_ms(percentiles["50"]), to_ms(percentiles["99"]), rate)
    print(f"  {label:<44} p50 {row[1]:7.2f} ms  p99 {row[2]:7.2f} ms  {rate:8.0f} req/s", flush=True)
    return row


def to_ms(value):
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--atrium", required=True)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--work", default="bench/work-catalog")
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--port", type=int, default=3991)
    args = parser.parse_args()
    args.atrium_bin = os.path.abspath(args.atrium)
    args.work = os.path.abspath(args.work)
    shutil.rmtree(args.work, ignore_errors=True)
    descriptors, args.state = os.path.join(args.work, "descriptors"), os.path.join(args.work, "state")
    args.env = dict(os.environ, RUST_LOG="warn")
    args.base = f"http://127.0.0.1:{args.port}"

    rng = random.Random(7)
    domains = [f"d{number:03}" for number in range(args.domains)]
    ids, by_domain = [], {domain: [] for domain in domains}
    for index in range(args.products):
        domain = domains[index % len(domains)]
        product_id, text = descriptor(rng, domain, index, by_domain[domain][-50:])
        folder = os.path.join(descriptors, domain)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{product_id.split('.')[1]}.yaml"), "w") as out:
            out.write(text)
        by_domain[domain].append(product_id)
        ids.append(product_id)
    print(f"deploying {args.products:,} products over {args.domains} domains (one transaction) …", flush=True)
    start = time.perf_counter()
    atrium_cli(args, "deploy", "--no-run", descriptors)
    deploy_seconds = time.perf_counter() - start
    print(f"  {deploy_seconds:.1f} s ({args.products / deploy_seconds:,.0f} products/s)", flush=True)
    start = time.perf_counter()
    atrium_cli(args, "deploy", "--no-run", descriptors)
    redeploy_seconds = time.perf_counter() - start
    print(f"  again, nothing changed: {redeploy_seconds:.1f} s", flush=True)

    # A member of one team (a writer of its domain), reader of a second domain, with a grant on a
    # restricted product of a third: the decision has something to do on every request.
    for domain in domains[:3]:
        atrium_cli(args, "domain", "add", domain, "--owner", f"team-{domain}")
    atrium_cli(args, "user", "add", "reader", "--team", READER_TEAM, "--role", f"{domains[1]}:reader")
    atrium_cli(args, "grant", "add", by_domain[domains[2]][0], "--to", "user:reader")
    token = atrium_cli(args, "token", "create", "--user", "reader", capture=True)

    server = subprocess.Popen([args.atrium_bin, "--data-dir", args.state, "serve", "--addr",
                               f"127.0.0.1:{args.port}"], env=args.env)
    try:
        start = time.perf_counter()
        while True:
            try:
                answer = json.loads(get(f"{args.base}/api/v1/search?q=orders&limit=1", token))
                if answer.get("total", 0) > 0:
                    break
            except OSError:
                pass
            if time.perf_counter() - start > 600:
                sys.exit("the search index did not fill in 10 minutes")
            time.sleep(0.5)
        index_seconds = time.perf_counter() - start
        print(f"  served and searchable {index_seconds:.1f} s after start", flush=True)
        time.sleep(5)
        idle_before = rss_mib(server.pid)

        # Product pages of the domains the reader reads (restricted ones included).
        readable = [p for p in ids if p.split(".")[0] in domains[:2]]
        sample = random.Random(11).sample(readable, min(2000, len(readable)))
        first_page = json.loads(get(f"{args.base}/api/v1/products?limit=50", token))
        visible = sum(d["product_count"] for d in json.loads(get(f"{args.base}/api/v1/domains", token)))
        print(f"  the reader sees {visible:,} of {len(ids):,} products; RSS idle {idle_before:.0f} MiB", flush=True)
        cursors, cursor = [], None
        for page in range(40):
            url = f"{args.base}/api/v1/products?limit=50" + (f"&cursor={cursor}" if cursor else "")
            answer = json.loads(get(url, token))
            if not answer:
                break
            cursor = answer[-1]["id"]
            cursors.append(cursor)
        deep = [f"/api/v1/products?limit=50&cursor={c}" for c in cursors]
        assert first_page, "the first page is empty"

        print(f"load: wrk, {args.connections} connections, {args.duration} s each", flush=True)
        rows = [
            wrk(args, "home page `/`", ["/"], token),
            wrk(args, "product page `/products/{id}` (2,000 products)", [f"/products/{p}" for p in sample], token),
            wrk(args, "domain page `/domains/{name}`", [f"/domains/{d}" for d in domains[:2]], token),
            wrk(args, "`GET /api/v1/products?limit=50`", ["/api/v1/products?limit=50"], token),
            wrk(args, "`GET /api/v1/products?limit=50&cursor=…` (40 pages)", deep, token),
            wrk(args, "`GET /api/v1/products/{id}` (2,000 products)", [f"/api/v1/products/{p}" for p in sample], token),
            wrk(args, "`GET /api/v1/search?q=…` (4 queries)",
                ["/api/v1/search?q=orders", "/api/v1/search?q=customer+revenue",
                 "/api/v1/search?q=shipments_12", "/api/v1/search?q=ledgr"], token),
        ]
        time.sleep(5)
        idle_after = rss_mib(server.pid)
        print(f"  RSS idle after the load {idle_after:.0f} MiB", flush=True)
    finally:
        server.terminate()
        server.wait()
    write_report(args, deploy_seconds, redeploy_seconds, index_seconds, idle_before, idle_after, rows, visible)


def write_report(args, deploy_seconds, redeploy_seconds, index_seconds, idle_before, idle_after, rows, visible):
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB"
    heading = section(args.products)
    lines = [
        heading,
        "",
        f"`make bench-catalog` (`bench/catalog.py --products {args.products}`), release build, embedded SQLite, on"
        f" {machine}, {time.strftime('%Y-%m-%d')}. {args.products:,} synthetic products over {args.domains} domains"
        " (5–15 columns, two tags, 10 % restricted, a third reading an earlier product of their domain). Load:"
        f" wrk on the same machine, {args.connections} connections, {args.duration} s per row, as a team member"
        f" who sees {visible:,} products (their domain, a domain they read, a grant) — the decision and the"
        " access filter run on every request, the bearer token is checked on every request.",
        "",
        f"- deploy of all {args.products:,} in one transaction (`atrium deploy --no-run`, process start"
        f" included): **{deploy_seconds:.1f} s** ({args.products / deploy_seconds:,.0f} products/s); the same"
        f" deploy again, nothing changed: {redeploy_seconds:.1f} s",
        f"- `atrium serve` answering and its search index filled from the catalog: {index_seconds:.1f} s after start",
        f"- RSS idle: **{idle_before:.0f} MiB** after start-up, **{idle_after:.0f} MiB** after the load (target < 150 MB)",
        "",
        "| request | p50 (ms) | p99 (ms) | requests/s |",
        "|---|---:|---:|---:|",
    ]
    for label, p50, p99, rate in rows:
        lines.append(f"| {label} | {p50:.2f} | {p99:.2f} | {rate:,.0f} |")
    lines += ["", "Targets: product and home page p99 < 30 ms at 50 connections, `GET /api/v1/products?limit=50`"
              " p99 < 20 ms, idle RSS < 150 MB.", ""]
    text = "\n".join(lines)
    existing = open(args.out).read() if os.path.exists(args.out) else "# Benchmarks\n"
    start = existing.find(heading + "\n")
    if start >= 0:
        end = existing.find("\n## ", start + len(heading))
        existing = existing[:start] + text + (existing[end + 1:] if end >= 0 else "")
    else:
        existing = existing.rstrip() + "\n\n" + text
    with open(args.out, "w") as out:
        out.write(existing)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
