//! `make bench-search`: builds indexes of synthetic products (10k, 100k, 1M by default; 5–40
//! columns each, descriptions from a word list, realistic names) and reports the build
//! throughput, the index size, the process's memory, and the latency (p50/p99) of a fixed mixed
//! set of queries with facets and the access filter, beside SQLite FTS5 over the same documents
//! and queries in the same run; and how long a change takes to be searchable after its commit.
//!
//! `cargo run --release -p atrium-search --example bench_search -- [--sizes 10000,100000] [--out FILE]`

use std::time::{Duration, Instant};

use atrium_search::{
    Audience, AudienceKey, Change, DocKind, SearchDoc, SearchIndex, SearchRequest, Signals, parse_query,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

const BUSINESS: &[&str] = &[
    "customer",
    "order",
    "orders",
    "revenue",
    "invoice",
    "payment",
    "shipment",
    "supplier",
    "part",
    "stock",
    "warehouse",
    "region",
    "nation",
    "segment",
    "campaign",
    "audience",
    "lead",
    "account",
    "contract",
    "ledger",
    "receivable",
    "payable",
    "margin",
    "discount",
    "price",
    "product",
    "category",
    "brand",
    "store",
    "channel",
    "session",
    "click",
    "visit",
    "cart",
    "checkout",
    "refund",
    "return",
    "claim",
    "policy",
    "premium",
    "risk",
    "score",
    "forecast",
    "budget",
    "cost",
    "employee",
    "salary",
    "team",
    "project",
    "ticket",
    "incident",
    "device",
    "sensor",
    "reading",
    "event",
    "status",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "lifetime",
    "value",
    "churn",
    "retention",
    "cohort",
    "funnel",
    "conversion",
    "inventory",
    "delivery",
    "carrier",
    "route",
];
const FILLER: &[&str] = &[
    "one",
    "row",
    "per",
    "with",
    "the",
    "and",
    "for",
    "each",
    "from",
    "by",
    "as",
    "of",
    "cleaned",
    "joined",
    "deduplicated",
    "aggregated",
    "published",
    "every",
    "hour",
    "day",
    "used",
    "to",
    "measure",
    "track",
    "report",
    "latest",
    "history",
    "all",
    "active",
    "closed",
    "open",
    "net",
    "gross",
    "total",
    "average",
];
const DOMAINS: &[&str] = &[
    "sales",
    "crm",
    "supply",
    "finance",
    "marketing",
    "hr",
    "support",
    "logistics",
    "web",
    "risk",
];
const TAGS: &[&str] = &[
    "pii",
    "gold",
    "silver",
    "raw",
    "kpi",
    "finance",
    "core",
    "experimental",
    "gdpr",
    "daily",
];
const STATUSES: &[&str] = &["active", "active", "active", "active", "draft", "deprecated"];

/// A small deterministic generator (xorshift64*), so every run indexes the same documents.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

fn product(i: usize, rng: &mut Rng) -> SearchDoc {
    let domain = rng.pick(DOMAINS);
    let (a, b) = (rng.pick(BUSINESS), rng.pick(BUSINESS));
    let name = format!("{a}_{b}_{i}");
    let id = format!("{domain}.{name}");
    let columns: Vec<String> = (0..5 + rng.below(36))
        .map(|_| {
            format!(
                "{}_{}",
                rng.pick(BUSINESS),
                rng.pick(&["id", "at", "amount", "name", "code", "count"])
            )
        })
        .collect();
    let body: Vec<&str> = (0..12 + rng.below(30))
        .map(|_| {
            if rng.below(3) == 0 {
                rng.pick(BUSINESS)
            } else {
                rng.pick(FILLER)
            }
        })
        .collect();
    let restricted = rng.below(10) == 0;
    let owner = format!("team-{domain}");
    let mut audience = vec![
        AudienceKey::Domain(domain.to_owned()),
        AudienceKey::Owner(owner.clone()),
        AudienceKey::Product(id.clone()),
    ];
    if !restricted {
        audience.push(AudienceKey::Everyone);
    }
    let status = rng.pick(STATUSES);
    SearchDoc {
        kind: Some(DocKind::Product),
        product: Some(id.clone()),
        title: format!("{} {}", capitalize(a), b),
        names: vec![id.clone(), name],
        columns,
        body: body.join(" "),
        domain: Some(domain.to_owned()),
        owner: Some(owner),
        tags: vec![rng.pick(TAGS).to_owned(), rng.pick(TAGS).to_owned()],
        status: Some(status.to_owned()),
        visibility: Some(if restricted { "restricted" } else { "internal" }.to_owned()),
        audience,
        signals: Signals {
            reads: rng.next() % 500,
            deprecated: status == "deprecated",
            ..Signals::default()
        },
        id,
        ..SearchDoc::default()
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The mixed set: (label, Atrium query, FTS5 MATCH expression, domain filter).
const QUERIES: &[(&str, &str, &str, Option<&str>)] = &[
    ("single word", "revenue", "revenue", None),
    ("two words", "customer orders", "customer OR orders", None),
    ("phrase", "\"daily revenue\"", "\"daily revenue\"", None),
    ("fuzzy", "custmer", "custm*", None),
    (
        "long identifier",
        "customer_lifetime_value_by_region_and_quarter_v2",
        "customer OR lifetime OR value OR by OR region OR and OR quarter OR v2",
        None,
    ),
    ("filtered", "orders domain:sales", "orders", Some("sales")),
];

fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index.min(samples.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// A user of two domains holding a few grants: the access filter of an ordinary caller.
fn user() -> Audience {
    Audience::Keys(vec![
        AudienceKey::Everyone,
        AudienceKey::Owner("ann".to_owned()),
        AudienceKey::Owner("team-sales".to_owned()),
        AudienceKey::Domain("sales".to_owned()),
        AudienceKey::Domain("crm".to_owned()),
        AudienceKey::Product("hr.salary_budget_17".to_owned()),
        AudienceKey::Product("finance.ledger_margin_99".to_owned()),
    ])
}

struct Row {
    size: usize,
    build_secs: f64,
    docs_per_sec: f64,
    index_mib: f64,
    rss_mib: f64,
    peak_mib: f64,
    atrium: Vec<(String, Duration, Duration)>,
    atrium_all: (Duration, Duration),
    fts5_build_secs: f64,
    fts5: Vec<(String, Duration, Duration)>,
    fts5_all: (Duration, Duration),
    change_visible: Duration,
}

/// The `size` products of one run, the same every time: made on the fly, so that the process's
/// memory is the index's rather than a list of documents.
fn documents(size: usize) -> impl Iterator<Item = SearchDoc> {
    let mut rng = Rng(0x00A7_1A1B_5EA2_C400 ^ size as u64);
    (0..size).map(move |i| product(i, &mut rng))
}

async fn fts5_build(size: usize, path: &std::path::Path) -> (DatabaseConnection, f64) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(url).await.expect("sqlite");
    let started = Instant::now();
    db.execute_unprepared(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, names, columns, body, \
         domain UNINDEXED, owner UNINDEXED, status UNINDEXED, tag UNINDEXED, audience UNINDEXED, \
         tokenize = 'porter unicode61')",
    )
    .await
    .expect("fts5");
    db.execute_unprepared("BEGIN").await.expect("begin");
    let mut docs = documents(size).peekable();
    while docs.peek().is_some() {
        let chunk: Vec<SearchDoc> = docs.by_ref().take(400).collect();
        let mut sql = String::from(
            "INSERT INTO docs (id, title, names, columns, body, domain, owner, status, tag, audience) VALUES ",
        );
        let mut values = Vec::new();
        for (n, doc) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?,?,?,?,?,?,?,?,?)");
            let audience: Vec<String> = doc.audience.iter().map(AudienceKey::term).collect();
            for value in [
                doc.id.clone(),
                doc.title.clone(),
                doc.names.join(" ").replace(['_', '.'], " "),
                doc.columns.join(" ").replace('_', " "),
                doc.body.clone(),
                doc.domain.clone().unwrap_or_default(),
                doc.owner.clone().unwrap_or_default(),
                doc.status.clone().unwrap_or_default(),
                doc.tags.first().cloned().unwrap_or_default(),
                format!(" {} ", audience.join(" ")),
            ] {
                values.push(sea_orm::Value::from(value));
            }
        }
        db.execute_raw(Statement::from_sql_and_values(sea_orm::DbBackend::Sqlite, sql, values))
            .await
            .expect("insert");
    }
    db.execute_unprepared("COMMIT").await.expect("commit");
    (db, started.elapsed().as_secs_f64())
}

/// One ranked, faceted, access-filtered FTS5 query: the top 20 by BM25 and the counts per
/// domain, status and owner over every match the caller may see.
async fn fts5_query(db: &DatabaseConnection, matched: &str, domain: Option<&str>, keys: &[String]) -> usize {
    let visible = keys
        .iter()
        .map(|key| format!("instr(audience, ' {} ') > 0", key.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" OR ");
    let domain_clause = domain.map(|d| format!(" AND domain = '{d}'")).unwrap_or_default();
    let filter = format!("docs MATCH ?1{domain_clause} AND ({visible})");
    let top =
        format!("SELECT id, bm25(docs, 0, 3.0, 3.0, 2.0, 1.0) AS rank FROM docs WHERE {filter} ORDER BY rank LIMIT 20");
    let mut found = 0;
    let args = || vec![sea_orm::Value::from(matched.to_owned())];
    found += db
        .query_all_raw(Statement::from_sql_and_values(sea_orm::DbBackend::Sqlite, top, args()))
        .await
        .expect("top")
        .len();
    for facet in ["domain", "status", "owner"] {
        let sql = format!("SELECT {facet}, count(*) FROM docs WHERE {filter} GROUP BY {facet}");
        found += db
            .query_all_raw(Statement::from_sql_and_values(sea_orm::DbBackend::Sqlite, sql, args()))
            .await
            .expect("facet")
            .len();
    }
    found
}

async fn run_size(size: usize, rounds: usize, atrium_only: bool) -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    let (index, _) = SearchIndex::open(&dir.path().join("index")).expect("an index");
    let started = Instant::now();
    index.rebuild(documents(size), 1).expect("builds");
    let build_secs = started.elapsed().as_secs_f64();
    let (rss, peak) = rss_mib();
    #[allow(clippy::cast_precision_loss)]
    let index_mib = index.size_bytes() as f64 / (1024.0 * 1024.0);

    let audience = user();
    let mut atrium = Vec::new();
    let mut everything = Vec::new();
    for (label, query, _, _) in QUERIES {
        let request = SearchRequest {
            query: parse_query(query),
            limit: 20,
            offset: 0,
            explain: false,
        };
        let _ = index.search(&request, &audience).expect("warms");
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            let results = index.search(&request, &audience).expect("searches");
            samples.push(started.elapsed());
            std::hint::black_box(results);
        }
        everything.extend(samples.iter().copied());
        let p50 = percentile(&mut samples, 0.5);
        let p99 = percentile(&mut samples, 0.99);
        atrium.push(((*label).to_owned(), p50, p99));
    }
    let atrium_all = (percentile(&mut everything, 0.5), percentile(&mut everything, 0.99));

    // A change through the same path the platform takes: one product replaced, committed, seen.
    let mut changed = documents(size).nth(size / 2).expect("a product");
    changed.title = "Zebra quasar telemetry".to_owned();
    let started = Instant::now();
    index
        .apply(
            vec![Change::Product {
                id: changed.id.clone(),
                docs: vec![changed],
            }],
            2,
        )
        .expect("applies");
    let request = SearchRequest {
        query: parse_query("zebra quasar"),
        limit: 1,
        offset: 0,
        explain: false,
    };
    let seen = index.search(&request, &Audience::Everything).expect("searches").total;
    let change_visible = started.elapsed();
    assert_eq!(seen, 1, "the change is searchable");
    drop(index);

    let fts5 = if atrium_only {
        for (label, p50, p99) in &atrium {
            eprintln!("  {label:<16} p50 {} p99 {} ms", ms(*p50), ms(*p99));
        }
        Fts5Figures::default()
    } else {
        fts5_side(size, rounds, &audience, &dir.path().join("fts5.db")).await
    };
    #[allow(clippy::cast_precision_loss)]
    Row {
        size,
        build_secs,
        docs_per_sec: size as f64 / build_secs,
        index_mib,
        rss_mib: rss,
        peak_mib: peak,
        atrium,
        atrium_all,
        fts5_build_secs: fts5.build_secs,
        fts5: fts5.per_query,
        fts5_all: fts5.all,
        change_visible,
    }
}

/// FTS5's figures for one size: its build time, and the mixed set's latencies.
#[derive(Default)]
struct Fts5Figures {
    build_secs: f64,
    per_query: Vec<(String, Duration, Duration)>,
    all: (Duration, Duration),
}

/// The same documents and queries in SQLite FTS5, with the same access filter.
async fn fts5_side(size: usize, rounds: usize, audience: &Audience, path: &std::path::Path) -> Fts5Figures {
    let keys: Vec<String> = match audience {
        Audience::Keys(keys) => keys.iter().map(AudienceKey::term).collect(),
        Audience::Everything => Vec::new(),
    };
    let (db, build_secs) = fts5_build(size, path).await;
    let mut per_query = Vec::new();
    let mut all = Vec::new();
    for (label, _, matched, domain) in QUERIES {
        let _ = fts5_query(&db, matched, *domain, &keys).await;
        // FTS5 takes seconds a query at a million: fewer rounds there (the p99 of 10 is their max).
        let fts_rounds = rounds.min(if size >= 1_000_000 {
            10
        } else if size >= 100_000 {
            30
        } else {
            rounds
        });
        let mut samples = Vec::with_capacity(fts_rounds);
        for _ in 0..fts_rounds {
            let started = Instant::now();
            std::hint::black_box(fts5_query(&db, matched, *domain, &keys).await);
            samples.push(started.elapsed());
        }
        all.extend(samples.iter().copied());
        let p50 = percentile(&mut samples, 0.5);
        let p99 = percentile(&mut samples, 0.99);
        per_query.push(((*label).to_owned(), p50, p99));
    }
    Fts5Figures {
        build_secs,
        per_query,
        all: (percentile(&mut all, 0.5), percentile(&mut all, 0.99)),
    }
}

fn report(rows: &[Row], rounds: usize) -> String {
    let mut out = String::new();
    out.push_str("## Search: Tantivy beside SQLite FTS5\n\n");
    out.push_str(&format!(
        "`make bench-search` (`cargo run --release -p atrium-search --example bench_search`), on this machine \
         (2 cores). Synthetic products, one document each (5–40 column names, a description of 12–41 words \
         from a word list, two tags, 10 % restricted). Each query of the mixed set ran {rounds} times after a \
         warm-up (FTS5: 30 times at 100k, 10 at 1M, where its p99 is its slowest), as an ordinary user (two domains, two grants: the access filter is a clause of the query), \
         with the top 20 and the facet counts (domain, tag, owner, status, classification, type). FTS5 ran the \
         same documents (porter tokenizer, BM25 weighted like Atrium's fields) with the same filter and three \
         facet counts (domain, status, owner: `GROUP BY` over the matches); fuzzy has no FTS5 equivalent, \
         a prefix query stands in.\n\n"
    ));
    out.push_str("| products | build | docs/s | index | RSS (peak) | Atrium p50 / p99 (all queries) | FTS5 p50 / p99 | FTS5 ÷ Atrium (p50) | change searchable |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let ratio = row.fts5_all.0.as_secs_f64() / row.atrium_all.0.as_secs_f64().max(1e-9);
        out.push_str(&format!(
            "| {} | {:.1} s | {:.0} | {:.0} MiB | {:.0} MiB ({:.0}) | {} / {} ms | {} / {} ms | {:.1}× | {} ms |\n",
            row.size,
            row.build_secs,
            row.docs_per_sec,
            row.index_mib,
            row.rss_mib,
            row.peak_mib,
            ms(row.atrium_all.0),
            ms(row.atrium_all.1),
            ms(row.fts5_all.0),
            ms(row.fts5_all.1),
            ratio,
            ms(row.change_visible),
        ));
    }
    out.push_str("\nPer query (p50 / p99, ms):\n\n| products | query | Atrium | FTS5 |\n|---:|---|---:|---:|\n");
    for row in rows {
        for ((label, p50, p99), (_, f50, f99)) in row.atrium.iter().zip(&row.fts5) {
            out.push_str(&format!(
                "| {} | {label} | {} / {} | {} / {} |\n",
                row.size,
                ms(*p50),
                ms(*p99),
                ms(*f50),
                ms(*f99)
            ));
        }
    }
    out.push_str("\nFTS5 build times: ");
    out.push_str(
        &rows
            .iter()
            .map(|row| format!("{} products {:.1} s", row.size, row.fts5_build_secs))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(".\n");
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sizes: Vec<usize> = value("--sizes")
        .unwrap_or_else(|| "10000,100000,1000000".to_owned())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    let rounds: usize = value("--rounds").and_then(|r| r.parse().ok()).unwrap_or(100);
    // Atrium's side only, printed, no report: for looking at the index's own figures quickly.
    let atrium_only = args.iter().any(|arg| arg == "--atrium-only");
    let mut rows = Vec::new();
    for size in sizes {
        eprintln!("indexing {size} products…");
        let row = run_size(size, rounds, atrium_only).await;
        eprintln!(
            "{size}: build {:.1} s, Atrium p50 {} p99 {} ms, FTS5 p50 {} p99 {} ms",
            row.build_secs,
            ms(row.atrium_all.0),
            ms(row.atrium_all.1),
            ms(row.fts5_all.0),
            ms(row.fts5_all.1)
        );
        rows.push(row);
    }
    if atrium_only {
        return;
    }
    let text = report(&rows, rounds);
    print!("{text}");
    if let Some(out) = value("--out") {
        let existing = std::fs::read_to_string(&out).unwrap_or_default();
        let start = existing.find("## Search: Tantivy beside SQLite FTS5");
        let updated = match start {
            Some(start) => {
                let end = existing[start + 10..]
                    .find("\n## ")
                    .map_or(existing.len(), |i| start + 10 + i + 1);
                format!("{}{}{}", &existing[..start], text, &existing[end..])
            }
            None => format!("{}\n\n{text}", existing.trim_end()),
        };
        std::fs::write(&out, updated).expect("writes the report");
    }
}
