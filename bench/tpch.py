#!/usr/bin/env python3
"""TPC-H through Atrium, beside DuckDB on the same Parquet files.

Deploys TPC-H at a scale factor as products of three domains (lineitem and orders in `sales`;
customer, nation and region in `crm`; part, supplier and partsupp in `supply`), measures the
ingestion (CSV -> Delta table) of each, runs the 22 TPC-H queries through `POST /api/v1/query`
(the path users hit: visibility, memory, time and row limits included) and the same queries in
DuckDB over the very Parquet files of the products' tables, then measures stream appends with
durable acknowledgement. Prints the figures and writes them to BENCHMARKS.md.

Run it with `make bench` (release build, a virtualenv with duckdb). Usage:
    bench/tpch.py --atrium target/release/atrium --sf 1 --work bench/work --out BENCHMARKS.md
"""

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import duckdb

TABLES = {
    "sales": {
        "lineitem": [
            ("l_orderkey", "int64"), ("l_partkey", "int64"), ("l_suppkey", "int64"), ("l_linenumber", "int32"),
            ("l_quantity", "decimal(15,2)"), ("l_extendedprice", "decimal(15,2)"), ("l_discount", "decimal(15,2)"),
            ("l_tax", "decimal(15,2)"), ("l_returnflag", "string"), ("l_linestatus", "string"),
            ("l_shipdate", "date"), ("l_commitdate", "date"), ("l_receiptdate", "date"),
            ("l_shipinstruct", "string"), ("l_shipmode", "string"), ("l_comment", "string"),
        ],
        "orders": [
            ("o_orderkey", "int64"), ("o_custkey", "int64"), ("o_orderstatus", "string"),
            ("o_totalprice", "decimal(15,2)"), ("o_orderdate", "date"), ("o_orderpriority", "string"),
            ("o_clerk", "string"), ("o_shippriority", "int32"), ("o_comment", "string"),
        ],
    },
    "crm": {
        "customer": [
            ("c_custkey", "int64"), ("c_name", "string"), ("c_address", "string"), ("c_nationkey", "int64"),
            ("c_phone", "string"), ("c_acctbal", "decimal(15,2)"), ("c_mktsegment", "string"), ("c_comment", "string"),
        ],
        "nation": [("n_nationkey", "int64"), ("n_name", "string"), ("n_regionkey", "int64"), ("n_comment", "string")],
        "region": [("r_regionkey", "int64"), ("r_name", "string"), ("r_comment", "string")],
    },
    "supply": {
        "part": [
            ("p_partkey", "int64"), ("p_name", "string"), ("p_mfgr", "string"), ("p_brand", "string"),
            ("p_type", "string"), ("p_size", "int32"), ("p_container", "string"),
            ("p_retailprice", "decimal(15,2)"), ("p_comment", "string"),
        ],
        "supplier": [
            ("s_suppkey", "int64"), ("s_name", "string"), ("s_address", "string"), ("s_nationkey", "int64"),
            ("s_phone", "string"), ("s_acctbal", "decimal(15,2)"), ("s_comment", "string"),
        ],
        "partsupp": [
            ("ps_partkey", "int64"), ("ps_suppkey", "int64"), ("ps_availqty", "int32"),
            ("ps_supplycost", "decimal(15,2)"), ("ps_comment", "string"),
        ],
    },
}
DOMAIN_OF = {table: domain for domain, tables in TABLES.items() for table in tables}
RUNS = 3


def descriptor(domain, table, columns, data_dir):
    lines = [
        "apiVersion: atrium/v1",
        "kind: DataProduct",
        "metadata:",
        f"  id: {domain}.{table}",
        f"  title: TPC-H {table}",
        f"  owner: team-{domain}",
        f"  description: The TPC-H `{table}` table, for the benchmark.",
        "inputs:",
        f"  - {{ name: raw, source: {{ kind: file, format: csv, path: \"{data_dir}/{table}.csv\" }} }}",
        "outputs:",
        f"  - name: {table}",
        f"    description: One row per {table} record.",
        "    columns:",
    ]
    for name, kind in columns:
        extra = ", classification: internal" if kind == "string" else ""
        quoted = f'"{kind}"' if "," in kind else kind
        lines.append(f"      - {{ name: {name}, type: {quoted}{extra} }}")
    return "\n".join(lines) + "\n"


TOKEN = ""


def http(method, url, body=None, headers=None):
    headers = dict(headers or {}, authorization=f"Bearer {TOKEN}")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.status, response.headers, response.read()


def qualify(sql, duck):
    """Names each table reference `<domain>.<table>`, at the places DuckDB's parser finds them (a
    column alias such as `nation` in Q9 stays as it is)."""
    tree = json.loads(duck.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and node.get("table_name") in DOMAIN_OF:
                found.append((node["query_location"], node["table_name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    for location, table in sorted(set(found), reverse=True):
        assert sql[location:location + len(table)] == table, (table, location)
        sql = sql[:location] + f"{DOMAIN_OF[table]}.{table}" + sql[location + len(table):]
    return sql


def best_of(run):
    run()  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--atrium", required=True)
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--work", default="bench/work")
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--port", type=int, default=3990)
    args = parser.parse_args()
    atrium = os.path.abspath(args.atrium)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    # The data lies under the descriptors' folder: a `file` input reads only under its descriptor's.
    descriptors, state = os.path.join(work, "descriptors"), os.path.join(work, "state")
    data = os.path.join(descriptors, "data")
    os.makedirs(descriptors)
    env = dict(os.environ, RUST_LOG="warn")
    env["ATRIUM_ENGINE__MEMORY_LIMIT_MB"] = "12288"
    env["ATRIUM_ENGINE__QUERY_MAX_ROWS"] = "1000000"
    env["ATRIUM_ENGINE__QUERY_TIMEOUT_SECS"] = "600"

    print(f"generating TPC-H SF{args.sf:g} as CSV …", flush=True)
    start = time.perf_counter()
    subprocess.run([atrium, "demo-data", "--scale", str(args.sf), "--out", data], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    print(f"  {time.perf_counter() - start:.1f} s", flush=True)

    for domain, tables in TABLES.items():
        for table, columns in tables.items():
            with open(os.path.join(descriptors, f"{table}.yaml"), "w") as out:
                out.write(descriptor(domain, table, columns, os.path.relpath(data, descriptors)))
    subprocess.run([atrium, "--data-dir", state, "deploy", "--no-run", descriptors], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    # The API is reached as a signed-in admin, with a token (the operator's CLI makes both).
    subprocess.run([atrium, "--data-dir", state, "user", "add", "bench", "--admin"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    global TOKEN
    TOKEN = subprocess.run([atrium, "--data-dir", state, "token", "create", "--user", "bench"], check=True,
                           env=env, capture_output=True, text=True).stdout.strip()

    print("ingestion: CSV -> Delta table, one run per product", flush=True)
    ingestion = []
    for table, domain in DOMAIN_OF.items():
        csv_path = os.path.join(data, f"{table}.csv")
        size = os.path.getsize(csv_path)
        start = time.perf_counter()
        done = subprocess.run([atrium, "--data-dir", state, "run", f"{domain}.{table}"], env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0 or "succeeded" not in done.stdout:
            sys.exit(f"the run of {domain}.{table} failed:\n{done.stdout}\n{done.stderr}")
        duck = duckdb.connect()
        target = os.path.join(work, f"duck-{table}.parquet")
        start = time.perf_counter()
        duck.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', header = true)) TO '{target}' (FORMAT parquet)")
        duck_seconds = time.perf_counter() - start
        duck.close()
        ingestion.append((f"{domain}.{table}", size, seconds, duck_seconds))
        print(f"  {domain}.{table:<9} {size / 1e6:8.1f} MB  atrium {seconds:6.2f} s ({size / 1e6 / seconds:6.1f} MB/s)"
              f"  duckdb {duck_seconds:6.2f} s ({size / 1e6 / duck_seconds:6.1f} MB/s)", flush=True)

    server = subprocess.Popen([atrium, "--data-dir", state, "serve", "--addr", f"127.0.0.1:{args.port}"], env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                http("GET", f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        duck = duckdb.connect()
        extension = glob.glob(os.path.join(os.path.dirname(duckdb.__file__), "..", "duckdb_extension_tpch",
                                           "extensions", "*", "tpch.duckdb_extension"))
        duck.execute(f"LOAD '{extension[0]}'")
        queries = [row[0] for row in duck.execute("SELECT query FROM tpch_queries() ORDER BY query_nr").fetchall()]
        duck.close()
        duck = duckdb.connect()
        duck.execute(f"SET threads = {os.cpu_count()}")
        for table, domain in DOMAIN_OF.items():
            files = os.path.join(state, "store", domain, table, table, "*.parquet")
            duck.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{files}')")

        print("queries: best and median of 3 after a warm-up, seconds", flush=True)
        results = []
        for number, sql in enumerate(queries, start=1):
            body = json.dumps({"sql": qualify(sql, duck)}).encode()
            headers = {"content-type": "application/json", "accept": "application/vnd.apache.arrow.stream"}
            try:
                atrium_best, atrium_median = best_of(lambda: http("POST", f"{base}/api/v1/query", body, headers))
            except urllib.error.HTTPError as error:
                atrium_best = atrium_median = None
                print(f"  Q{number:02}: atrium failed: {error.read().decode()[:300]}", flush=True)
            duck_best, duck_median = best_of(lambda: duck.execute(sql).fetchall())
            results.append((number, atrium_best, atrium_median, duck_best, duck_median))
            shown = f"{atrium_best:7.3f}" if atrium_best is not None else "  error"
            print(f"  Q{number:02}  atrium {shown}  duckdb {duck_best:7.3f}", flush=True)

        print("stream appends, JSON lines of 10,000 rows, 4 clients, durable acknowledgement", flush=True)
        stream_rate = stream_benchmark(atrium, state, env, base, descriptors)
        sql_files = []
        for number, sql in enumerate(queries, start=1):
            path = os.path.join(args.work, f"q{number:02}.sql")
            with open(path, "w") as out:
                out.write(qualify(sql, duck))
            sql_files.append(path)
    finally:
        server.terminate()
        server.wait()
    access_cost = access_benchmark(atrium, state, env, sql_files)
    write_report(args, ingestion, results, stream_rate, access_cost)


def access_benchmark(atrium, state, env, sql_files):
    """The 22 queries as a user who reads through grants (the decision per table, an audit row per
    product read) beside the operator's unaudited baseline, in one process, alternately."""
    print("access checks and audit: the 22 queries through grants, and without checks or audit", flush=True)
    run = lambda *argv: subprocess.run([atrium, "--data-dir", state, *argv], check=True, env=env,
                                       stdout=subprocess.DEVNULL)
    run("user", "add", "reader")
    for table, domain in DOMAIN_OF.items():
        run("grant", "add", f"{domain}.{table}", "--to", "user:reader")
    # In this process, so that the two differ by the checks and the audit alone.
    local = dict(env, ATRIUM_ENGINE__QUERY_WORKERS="0")
    done = subprocess.run([atrium, "--data-dir", state, "bench-access", "--user", "reader", "--rounds", str(RUNS),
                           *sql_files], check=True, env=local, capture_output=True, text=True)
    print(done.stdout, end="", flush=True)
    last = done.stdout.strip().splitlines()[-1].split()
    # "total checked X s baseline Y s overhead Z %"
    return float(last[2]), float(last[5]), float(last[8])


def stream_benchmark(atrium, state, env, base, descriptors):
    events = """apiVersion: atrium/v1
kind: DataProduct
metadata: { id: sales.clicks, title: Clicks, owner: team-sales, description: Clicks for the benchmark. }
inputs:
  - { name: clicks, source: { kind: stream } }
outputs:
  - name: clicks
    description: One row per click.
    columns:
      - { name: click_id, type: int64 }
      - { name: page, type: string, classification: internal }
      - { name: email, type: string, classification: pii, pii: hash }
"""
    status, _, _ = http("POST", f"{base}/api/v1/products", events.encode(), {"content-type": "application/yaml"})
    batch_rows, batches_per_client, clients = 10_000, 10, 4

    def batch(offset):
        return "".join(
            json.dumps({"click_id": offset + i, "page": f"/p/{i % 97}", "email": f"user{i % 5000}@example.com"}) + "\n"
            for i in range(batch_rows)
        ).encode()

    bodies = [batch(i * batch_rows) for i in range(batches_per_client)]

    def client():
        for body in bodies:
            http("POST", f"{base}/api/v1/products/sales.clicks/inputs/clicks/rows", body,
                 {"content-type": "application/x-ndjson"})

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    rows = batch_rows * batches_per_client * clients
    rate = rows / seconds
    print(f"  {rows} rows in {seconds:.2f} s: {rate:,.0f} rows/s", flush=True)
    return rows, seconds, rate


def write_report(args, ingestion, results, stream_rate, access_cost):
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB"
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`bench/tpch.py --sf {args.sf:g}`), release build, on {machine},"
        f" DuckDB {duckdb.__version__}. Query times: best of {RUNS} after a warm-up (median in brackets).",
        "How the figures are made and what they say: [bench/README.md](bench/README.md).",
        "",
        f"## TPC-H SF{args.sf:g}: the 22 queries",
        "",
        "Atrium: `POST /api/v1/query` (Arrow IPC answer) over the products `sales.lineitem`, `sales.orders`,"
        " `crm.customer`, `crm.nation`, `crm.region`, `supply.part`, `supply.supplier`, `supply.partsupp` at"
        " their published Delta versions. DuckDB: the same queries over the same Parquet files.",
        "",
        "| query | Atrium (s) | DuckDB (s) | Atrium / DuckDB |",
        "|---|---:|---:|---:|",
    ]
    atrium_total = duck_total = 0.0
    complete = True
    for number, a_best, a_median, d_best, d_median in results:
        if a_best is None:
            complete = False
            lines.append(f"| Q{number:02} | error | {d_best:.3f} ({d_median:.3f}) | — |")
            continue
        atrium_total += a_best
        duck_total += d_best
        lines.append(f"| Q{number:02} | {a_best:.3f} ({a_median:.3f}) | {d_best:.3f} ({d_median:.3f}) |"
                     f" {a_best / d_best:.2f}× |")
    ratio = atrium_total / duck_total if duck_total else float("nan")
    lines += [
        f"| **total** | **{atrium_total:.2f}** | **{duck_total:.2f}** | **{ratio:.2f}×** |",
        "",
        "Target: total ≤ 1.3× DuckDB." + ("" if complete else " Queries that failed are left out of the totals."),
        "",
        "## Ingestion: CSV → table",
        "",
        "Atrium: `atrium run` of each product (read and type-check the CSV against the contract, write one Delta"
        " version), process start included. DuckDB: `COPY (SELECT * FROM read_csv(…)) TO '….parquet'`.",
        "",
        "| product | CSV (MB) | Atrium (s) | Atrium (MB/s) | DuckDB (s) | DuckDB (MB/s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    total_bytes = sum(size for _, size, _, _ in ingestion)
    total_atrium = sum(s for _, _, s, _ in ingestion)
    total_duck = sum(d for _, _, _, d in ingestion)
    for product, size, seconds, duck_seconds in ingestion:
        lines.append(f"| {product} | {size / 1e6:.1f} | {seconds:.2f} | {size / 1e6 / seconds:.1f} |"
                     f" {duck_seconds:.2f} | {size / 1e6 / duck_seconds:.1f} |")
    lines += [
        f"| **all** | **{total_bytes / 1e6:.1f}** | **{total_atrium:.2f}** | **{total_bytes / 1e6 / total_atrium:.1f}** |"
        f" **{total_duck:.2f}** | **{total_bytes / 1e6 / total_duck:.1f}** |",
        "",
        "## Stream appends",
        "",
        f"{stream_rate[0]:,} rows as JSON lines, 10,000 rows per request, 4 concurrent clients, each request answered"
        f" once its rows are written and fsynced with the PII handling applied: {stream_rate[1]:.2f} s,"
        f" **{stream_rate[2]:,.0f} rows/s** (target ≥ 50,000).",
        "",
        "## The cost of the access checks and the audit",
        "",
        "The 22 queries in one process (`atrium bench-access`, query workers off so that nothing else differs),"
        " each as a user who reads the 8 products through grants — the decision per table, one audit row per"
        " product read — and as the operator's baseline without checks or audit rows, alternately; best of"
        f" {RUNS} after a warm-up: **{access_cost[0]:.2f} s** against **{access_cost[1]:.2f} s**, an overhead of"
        f" **{access_cost[2]:+.1f} %** (target: within 5 %).",
        "",
    ]
    # Sections other tools write (the hostile-query suite's figures) are kept as they are.
    kept = ""
    if os.path.exists(args.out):
        with open(args.out) as previous:
            text = previous.read()
        marker = text.find("\n## Hostile queries")
        if marker >= 0:
            kept = text[marker:]
    with open(args.out, "w") as out:
        out.write("\n".join(lines) + kept)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
