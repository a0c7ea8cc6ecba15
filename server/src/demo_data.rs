//! `atrium demo-data`: writes the TPC-H tables as CSV files (with a header) for the demo mesh,
//! generated in-process by `tpchgen` at a given scale factor.

use std::fmt::Display;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tpchgen::csv::{CustomerCsv, LineItemCsv, NationCsv, OrderCsv, PartCsv, PartSuppCsv, RegionCsv, SupplierCsv};
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator, PartSuppGenerator,
    RegionGenerator, SupplierGenerator,
};

#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`", .path.display())]
pub struct DemoDataError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// Which demo domain reads each table: its file goes to that domain's `data/` folder, next to
/// the descriptors that read it (a `file` input reads only under its descriptor's folder).
const DOMAIN_OF_TABLE: &[(&str, &str)] = &[
    ("nation", "crm"),
    ("region", "crm"),
    ("customer", "crm"),
    ("part", "supply"),
    ("supplier", "supply"),
    ("partsupp", "supply"),
    ("orders", "sales"),
    ("lineitem", "sales"),
];

/// Writes the eight TPC-H tables into `<mesh>/<domain>/data/`, each beside the domain that reads
/// it; returns the files with their row counts.
pub fn generate_for_mesh(mesh: &Path, scale_factor: f64) -> Result<Vec<(PathBuf, usize)>, DemoDataError> {
    let staging = mesh.join(".demo-data");
    let written = generate(&staging, scale_factor)?;
    let mut placed = Vec::with_capacity(written.len());
    for (path, rows) in written {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let domain = DOMAIN_OF_TABLE
            .iter()
            .find(|(table, _)| *table == stem)
            .map_or("shared", |(_, domain)| domain);
        let folder = mesh.join(domain).join("data");
        let target = folder.join(format!("{stem}.csv"));
        std::fs::create_dir_all(&folder)
            .and_then(|()| std::fs::rename(&path, &target))
            .map_err(|source| DemoDataError {
                path: target.clone(),
                source,
            })?;
        placed.push((target, rows));
    }
    let _ = std::fs::remove_dir(&staging);
    Ok(placed)
}

/// Writes the eight TPC-H tables into `dir`; returns the files with their row counts.
pub fn generate(dir: &Path, scale_factor: f64) -> Result<Vec<(PathBuf, usize)>, DemoDataError> {
    std::fs::create_dir_all(dir).map_err(|source| DemoDataError {
        path: dir.to_owned(),
        source,
    })?;
    let sf = scale_factor;
    Ok(vec![
        write(
            dir,
            "nation",
            NationCsv::header(),
            NationGenerator::new(sf, 1, 1).iter().map(NationCsv::new),
        )?,
        write(
            dir,
            "region",
            RegionCsv::header(),
            RegionGenerator::new(sf, 1, 1).iter().map(RegionCsv::new),
        )?,
        write(
            dir,
            "part",
            PartCsv::header(),
            PartGenerator::new(sf, 1, 1).iter().map(PartCsv::new),
        )?,
        write(
            dir,
            "supplier",
            SupplierCsv::header(),
            SupplierGenerator::new(sf, 1, 1).iter().map(SupplierCsv::new),
        )?,
        write(
            dir,
            "partsupp",
            PartSuppCsv::header(),
            PartSuppGenerator::new(sf, 1, 1).iter().map(PartSuppCsv::new),
        )?,
        write(
            dir,
            "customer",
            CustomerCsv::header(),
            CustomerGenerator::new(sf, 1, 1).iter().map(CustomerCsv::new),
        )?,
        write(
            dir,
            "orders",
            OrderCsv::header(),
            OrderGenerator::new(sf, 1, 1).iter().map(OrderCsv::new),
        )?,
        write(
            dir,
            "lineitem",
            LineItemCsv::header(),
            LineItemGenerator::new(sf, 1, 1).iter().map(LineItemCsv::new),
        )?,
    ])
}

fn write<R: Display>(
    dir: &Path,
    table: &str,
    header: &str,
    rows: impl Iterator<Item = R>,
) -> Result<(PathBuf, usize), DemoDataError> {
    let path = dir.join(format!("{table}.csv"));
    let error = |source| DemoDataError {
        path: path.clone(),
        source,
    };
    let mut out = BufWriter::new(File::create(&path).map_err(error)?);
    writeln!(out, "{header}").map_err(error)?;
    let mut count = 0;
    for row in rows {
        writeln!(out, "{row}").map_err(error)?;
        count += 1;
    }
    out.flush().map_err(error)?;
    Ok((path, count))
}
