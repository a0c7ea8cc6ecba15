//! The data fence: what inputs and outbound requests may reach. One place decides, and every
//! reader calls it:
//! - a `file` input only under its descriptor's folder (after resolving `..` and symlinks) or
//!   under a root the operator lists;
//! - an `object` input only from the object-store prefixes the operator lists, never `file://`,
//!   never inside the platform's own store;
//! - every outbound HTTP request (`url` inputs, the New-product URL preview, later webhooks and
//!   sinks) only to http(s), never to loopback, link-local or private addresses unless the
//!   operator allows them, checked again on every redirect and on every resolved address, with a
//!   size cap and a timeout, the body read as it streams.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

/// What the operator allows beyond the defaults.
#[derive(Debug, Clone)]
pub struct Fence {
    /// Folders `file` inputs may read under besides their descriptor's own (canonical paths).
    pub file_roots: Vec<PathBuf>,
    /// Object-store prefixes `object` inputs may read, e.g. `s3://landing/`.
    pub object_prefixes: Vec<String>,
    /// Loopback or private addresses outbound requests may reach anyway (e.g. `127.0.0.1`).
    pub allowed_addresses: Vec<IpAddr>,
    /// Every private, loopback and link-local address is allowed (a closed network).
    pub allow_private_networks: bool,
    /// The most bytes one fetch reads.
    pub max_fetch_bytes: u64,
    pub fetch_timeout: Duration,
}

impl Default for Fence {
    fn default() -> Self {
        Self {
            file_roots: Vec::new(),
            object_prefixes: Vec::new(),
            allowed_addresses: Vec::new(),
            allow_private_networks: false,
            max_fetch_bytes: 256 * 1024 * 1024,
            fetch_timeout: Duration::from_secs(300),
        }
    }
}

impl Fence {
    /// The file a `file` input reads: `path` under `base_dir` (the descriptor's folder) or, for a
    /// descriptor without one, under the first configured root that has it; refused when the
    /// resolved file (symlinks followed) lies outside the folder and every root.
    pub fn file(&self, base_dir: Option<&Path>, path: &str) -> Result<PathBuf, String> {
        let candidates: Vec<&Path> = match base_dir {
            Some(base) => vec![base],
            None if self.file_roots.is_empty() => {
                return Err(
                    "a descriptor sent without its folder reads files only under the roots the operator lists ([fence] file_roots)"
                        .to_owned(),
                );
            }
            None => self.file_roots.iter().map(PathBuf::as_path).collect(),
        };
        for base in candidates {
            let joined = base.join(path);
            let Ok(resolved) = joined.canonicalize() else {
                continue;
            };
            let base = base.canonicalize().unwrap_or_else(|_| base.to_owned());
            let inside = resolved.starts_with(&base) || self.file_roots.iter().any(|root| resolved.starts_with(root));
            if !inside {
                return Err(format!(
                    "`{path}` resolves to {}, outside the descriptor's folder and the roots the operator lists",
                    resolved.display()
                ));
            }
            if !resolved.is_file() {
                return Err(format!("{} is not a file", resolved.display()));
            }
            return Ok(resolved);
        }
        Err(format!(
            "no file `{path}` under {}",
            match base_dir {
                Some(base) => base.display().to_string(),
                None => "the configured roots".to_owned(),
            }
        ))
    }

    /// Whether an `object` input may read `uri`, given the platform's own store root.
    pub fn object(&self, uri: &str, own_store: &Url) -> Result<Url, String> {
        let url = self.object_outside_platform(uri, own_store)?;
        if !self
            .object_prefixes
            .iter()
            .any(|prefix| url.as_str().starts_with(prefix.as_str()))
        {
            return Err(format!(
                "`{uri}` is not under an object store the operator allows ([fence] object_prefixes: {})",
                if self.object_prefixes.is_empty() {
                    "none".to_owned()
                } else {
                    self.object_prefixes.join(", ")
                }
            ));
        }
        Ok(url)
    }

    /// The part of [`Fence::object`] no configuration changes: never a local file, never the
    /// platform's own store (another product's data is read through a `product` input).
    pub fn object_outside_platform(&self, uri: &str, own_store: &Url) -> Result<Url, String> {
        let url = Url::parse(uri).map_err(|error| format!("`{uri}` is not a URI: {error}"))?;
        if url.scheme() == "file" {
            return Err("`file://` objects are not read; use a `file` input under the descriptor's folder".to_owned());
        }
        let own = own_store.as_str().trim_end_matches('/');
        if url.as_str() == own || url.as_str().starts_with(&format!("{own}/")) {
            return Err(
                "the platform's own store is not an input; read another product through a `product` input and its grant"
                    .to_owned(),
            );
        }
        Ok(url)
    }

    /// Whether an outbound request may go to `url` (its scheme and, for an address, the address).
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("only http and https are fetched, not `{}`", url.scheme()));
        }
        match url.host() {
            None => Err("the URL has no host".to_owned()),
            Some(url::Host::Ipv4(address)) => self.check_address(IpAddr::V4(address)),
            Some(url::Host::Ipv6(address)) => self.check_address(IpAddr::V6(address)),
            Some(url::Host::Domain(_)) => Ok(()),
        }
    }

    /// Whether an outbound request may reach `address`.
    pub fn check_address(&self, address: IpAddr) -> Result<(), String> {
        if self.allow_private_networks || self.allowed_addresses.contains(&address) || is_public(address) {
            Ok(())
        } else {
            Err(format!(
                "{address} is a loopback, link-local or private address; the operator may allow it ([fence] allowed_addresses)"
            ))
        }
    }

    /// Fetches `url` through the fence: every redirect and every resolved address checked, at
    /// most `max_fetch_bytes`, within `fetch_timeout`. The error is in words.
    pub async fn fetch(&self, url: &str) -> Result<bytes::Bytes, String> {
        let parsed = Url::parse(url).map_err(|error| format!("`{url}` is not a URL: {error}"))?;
        self.check_url(&parsed)?;
        let for_redirects = self.clone();
        let client = reqwest::Client::builder()
            .timeout(self.fetch_timeout)
            .dns_resolver(Arc::new(FencedResolver(self.clone())))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    return attempt.error("more than 5 redirects");
                }
                let target = attempt.url().to_string();
                match for_redirects.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(reason) => attempt.error(format!("a redirect to {target}: {reason}")),
                }
            }))
            .build()
            .map_err(|error| error.to_string())?;
        let mut response = client
            .get(parsed)
            .send()
            .await
            .map_err(|error| atrium_types::error_chain(&error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the server answered {status}"));
        }
        let cap = self.max_fetch_bytes;
        if response.content_length().is_some_and(|length| length > cap) {
            return Err(format!("the answer is larger than the limit of {cap} bytes"));
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| atrium_types::error_chain(&error))?
        {
            if body.len() as u64 + chunk.len() as u64 > cap {
                return Err(format!("the answer is larger than the limit of {cap} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

/// Resolves names with the system resolver and keeps only the addresses the fence allows, so
/// that a name pointing at a private address is refused like the address itself.
struct FencedResolver(Fence);

impl reqwest::dns::Resolve for FencedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let fence = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|address| fence.check_address(address.ip()).is_ok())
                .collect();
            if allowed.is_empty() {
                let reason = match found.first() {
                    Some(address) => fence.check_address(address.ip()).err().unwrap_or_default(),
                    None => "no address".to_owned(),
                };
                return Err(format!("{host}: {reason}").into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), unspecified, broadcast, multicast or documentation space.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn private_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme_and_address() {
        let fence = Fence::default();
        let check = |text: &str| fence.check_url(&Url::parse(text).expect("a URL"));
        assert!(check("https://example.com/x.csv").is_ok());
        assert!(check("http://127.0.0.1:8080/x.csv").is_err());
        assert!(check("http://[::1]/x").is_err());
        assert!(check("http://169.254.169.254/latest/meta-data").is_err());
        assert!(check("ftp://example.com/x").is_err());
        assert!(check("file:///etc/hostname").is_err());
        let allowing = Fence {
            allowed_addresses: vec![ip("127.0.0.1")],
            ..Fence::default()
        };
        assert!(
            allowing
                .check_url(&Url::parse("http://127.0.0.1:9/x").expect("a URL"))
                .is_ok()
        );
        assert!(
            allowing
                .check_url(&Url::parse("http://10.0.0.1/x").expect("a URL"))
                .is_err()
        );
    }

    #[test]
    fn files_stay_under_their_folder_or_a_root() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let folder = dir.path().join("mesh");
        let outside = dir.path().join("secret.csv");
        std::fs::create_dir_all(folder.join("data")).expect("folders");
        std::fs::write(folder.join("data/orders.csv"), "a\n1\n").expect("a file");
        std::fs::write(&outside, "a\n1\n").expect("a file");
        let fence = Fence::default();
        assert!(fence.file(Some(&folder), "data/orders.csv").is_ok());
        let escaped = fence.file(Some(&folder), "../secret.csv").expect_err("outside");
        assert!(escaped.contains("outside the descriptor's folder"), "{escaped}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, folder.join("data/link.csv")).expect("a symlink");
            assert!(
                fence.file(Some(&folder), "data/link.csv").is_err(),
                "a symlink out is followed and refused"
            );
        }
        assert!(fence.file(None, "data/orders.csv").is_err(), "no folder, no roots");
        let rooted = Fence {
            file_roots: vec![folder.canonicalize().expect("canonical")],
            ..Fence::default()
        };
        assert!(rooted.file(None, "data/orders.csv").is_ok());
        assert!(rooted.file(Some(dir.path()), "secret.csv").is_ok(), "its own folder");
    }

    #[test]
    fn objects_come_from_allowed_stores_only() {
        let own = Url::parse("s3://lake/atrium/").expect("a URL");
        let fence = Fence {
            object_prefixes: vec!["s3://lake/".to_owned()],
            ..Fence::default()
        };
        assert!(fence.object("s3://lake/landing/x.csv", &own).is_ok());
        assert!(
            fence
                .object("s3://lake/atrium/hr/employees/part-0.parquet", &own)
                .is_err()
        );
        assert!(fence.object("s3://other/x.csv", &own).is_err());
        assert!(fence.object("file:///tmp/x.csv", &own).is_err());
    }
}
