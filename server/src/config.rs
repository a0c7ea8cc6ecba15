//! The typed configuration: built-in defaults, then `atrium.toml`, then `ATRIUM_SECTION__KEY`
//! environment variables, then command-line flags. Unknown keys are rejected wherever they come
//! from. The loader takes the environment as a parameter so that tests pass their own.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The file read from the working directory when no `--config` is given.
pub const DEFAULT_CONFIG_FILE: &str = "atrium.toml";
const ENV_PREFIX: &str = "ATRIUM_";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub database: DatabaseConfig,
    pub engine: EngineConfig,
    pub auth: AuthConfig,
    pub fence: FenceConfig,
    pub testing: TestingConfig,
}

/// Hooks for the browser tests; never set in production.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TestingConfig {
    /// A file holding seconds to move the server's clock by (grant expiries, sessions, tokens).
    pub clock_offset_file: Option<PathBuf>,
}

/// Sign-in and sessions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Sign-in through an OpenID Connect provider, besides local accounts.
    pub oidc: Option<OidcConfig>,
    /// A session unused this long ends, in hours.
    pub session_idle_hours: u64,
    /// A session ends this long after sign-in, however active, in hours.
    pub session_max_hours: u64,
    /// Mark the session cookie `Secure` even when no proxy says the request came over HTTPS.
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            oidc: None,
            session_idle_hours: 12,
            session_max_hours: 7 * 24,
            secure_cookies: false,
        }
    }
}

/// An OpenID Connect provider (authorization code with PKCE).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer; its `/.well-known/openid-configuration` is read on first use.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// Where the provider sends the browser back: `<this server>/auth/oidc/callback`.
    pub redirect_url: String,
    #[serde(default = "default_scopes", deserialize_with = "list")]
    pub scopes: Vec<String>,
    /// The ID-token claim that lists the user's groups.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// What the sign-in button says: "Sign in with …".
    #[serde(default = "default_label")]
    pub label: String,
    /// What a group gives beyond the team of its name: `team:NAME`, `DOMAIN:ROLE` or `admin`,
    /// e.g. `"data-platform" = ["admin"]`, `"sales-analysts" = ["team:team-sales", "sales:reader"]`.
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(str::to_owned).to_vec()
}

fn default_groups_claim() -> String {
    "groups".to_owned()
}

fn default_label() -> String {
    "single sign-on".to_owned()
}

/// The data fence: what inputs and outbound requests may reach beyond the defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FenceConfig {
    /// Folders `file` inputs may read under, besides their descriptor's own folder.
    #[serde(deserialize_with = "list")]
    pub file_roots: Vec<PathBuf>,
    /// Object-store prefixes `object` inputs may read, e.g. `s3://landing/`.
    #[serde(deserialize_with = "list")]
    pub object_prefixes: Vec<String>,
    /// Loopback or private addresses outbound requests may reach, e.g. `127.0.0.1`.
    #[serde(deserialize_with = "list")]
    pub allowed_addresses: Vec<std::net::IpAddr>,
    /// Allow every loopback, link-local and private address (a closed network).
    pub allow_private_networks: bool,
    /// The most one fetch (a `url` input, a URL preview) reads, in MiB.
    pub max_fetch_mb: u64,
    /// How long one fetch may take, in seconds.
    pub fetch_timeout_secs: u64,
}

impl Default for FenceConfig {
    /// The fence's own defaults: nothing beyond them allowed.
    fn default() -> Self {
        let fence = atrium_platform::Fence::default();
        Self {
            file_roots: fence.file_roots,
            object_prefixes: fence.object_prefixes,
            allowed_addresses: fence.allowed_addresses,
            allow_private_networks: fence.allow_private_networks,
            max_fetch_mb: fence.max_fetch_bytes / (1024 * 1024),
            fetch_timeout_secs: fence.fetch_timeout.as_secs(),
        }
    }
}

/// A list from a TOML array, or from one text of comma-separated items (an environment variable).
fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Items {
        One(String),
        Many(Vec<String>),
    }
    let items = match Items::deserialize(deserializer)? {
        Items::One(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        Items::Many(items) => items,
    };
    items
        .iter()
        .map(|item| {
            item.parse::<T>()
                .map_err(|error| serde::de::Error::custom(format!("`{item}`: {error}")))
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// The memory one run or query may use, in MiB. A query runs in a worker process whose data
    /// memory the operating system holds to this plus a headroom of 256 MiB.
    pub memory_limit_mb: usize,
    /// How many queries run at once, each in its own worker process (more wait, within their
    /// time limit); 0 runs queries inside the server's process, without the memory bound.
    pub query_workers: usize,
    /// The secret of keyed PII hashes; unset: generated once into `<data-dir>/pii.key`.
    pub pii_secret: Option<SecretString>,
    /// The most rows a query returns.
    pub query_max_rows: usize,
    /// How long a query may run, in seconds.
    pub query_timeout_secs: u64,
    /// How often `serve` looks for due schedules, in seconds.
    pub scheduler_poll_secs: u64,
    /// How often `serve` folds the rows pushed to stream inputs into their products (a run of each
    /// product that received rows since its last run), in seconds; 0 turns micro-batches off.
    pub stream_batch_secs: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            memory_limit_mb: 1024,
            query_workers: 4,
            pii_secret: None,
            query_max_rows: 10_000,
            query_timeout_secs: 30,
            scheduler_poll_secs: 15,
            stream_batch_secs: 30,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Where `atrium serve` listens.
    pub addr: SocketAddr,
    /// The built site (wasm, JS, CSS, public assets), as `make build` lays it out.
    pub site_root: PathBuf,
    /// The largest request body (a descriptor, stream rows, an upload), in MiB.
    pub max_body_mb: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            site_root: PathBuf::from("target/site"),
            max_body_mb: 64,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The data directory: the embedded catalog database, the stream buffers and (without `url`)
    /// the local store.
    pub data_dir: PathBuf,
    /// The store of the tables, e.g. `s3://bucket/prefix` (credentials and endpoint from the usual
    /// `AWS_*` variables); unset: `<data-dir>/store`.
    pub url: Option<String>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".atrium"),
            url: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://…` or `sqlite://…`; unset means `<data-dir>/atrium.db`.
    pub url: Option<SecretString>,
}

impl DatabaseConfig {
    pub fn url(&self) -> Option<String> {
        self.url.as_ref().map(|url| url.expose_secret().to_owned())
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub addr: Option<SocketAddr>,
    pub site_root: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration in `{}`: {message}", .path.display())]
    File { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads the configuration. `file` is an explicit `--config` (which must exist); without it,
    /// `atrium.toml` in the working directory is read when present.
    pub fn load(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => read_file(Path::new(DEFAULT_CONFIG_FILE))?,
            None => toml::Table::new(),
        };
        merge_env(&mut table, env)?;
        let mut config: Config = table
            .try_into()
            .map_err(|error: toml::de::Error| ConfigError::Invalid(error.message().to_owned()))?;
        if let Some(data_dir) = &overrides.data_dir {
            config.storage.data_dir = data_dir.clone();
        }
        if let Some(addr) = overrides.addr {
            config.server.addr = addr;
        }
        if let Some(site_root) = &overrides.site_root {
            config.server.site_root = site_root.clone();
        }
        Ok(config)
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    // Checking the file on its own names the file in the error.
    toml::from_str::<Config>(&text).map_err(|error| ConfigError::File {
        path: path.to_owned(),
        message: error.to_string(),
    })?;
    toml::from_str(&text).map_err(|error: toml::de::Error| ConfigError::File {
        path: path.to_owned(),
        message: error.to_string(),
    })
}

/// `ATRIUM_SERVER__ADDR=…` becomes `server.addr`, `ATRIUM_AUTH__OIDC__ISSUER=…` `auth.oidc.issuer`.
/// Values are typed as TOML would type them (numbers, booleans), text otherwise.
fn merge_env(table: &mut toml::Table, env: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (name, value) in env {
        let Some(key) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let path: Vec<String> = key.split("__").map(str::to_lowercase).collect();
        let Some((field, sections)) = path.split_last().filter(|(_, sections)| !sections.is_empty()) else {
            return Err(ConfigError::Invalid(format!(
                "environment variable `{name}` is not of the form {ENV_PREFIX}SECTION__KEY"
            )));
        };
        let mut current = &mut *table;
        for section in sections {
            let entry = current
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(inner) = entry else {
                return Err(ConfigError::Invalid(format!("`{section}` is not a section")));
            };
            current = inner;
        }
        current.insert(field.clone(), env_value(value));
    }
    Ok(())
}

fn env_value(text: &str) -> toml::Value {
    if let Ok(integer) = text.parse::<i64>() {
        return toml::Value::Integer(integer);
    }
    match text {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn load(pairs: &[(&str, &str)], overrides: &Overrides) -> Result<Config, ConfigError> {
        Config::load(Some(Path::new("/dev/null")), &env(pairs), overrides)
    }

    #[test]
    fn defaults_need_no_file() {
        let config = load(&[], &Overrides::default()).expect("loads");
        assert_eq!(config.server.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.storage.data_dir, PathBuf::from(".atrium"));
        assert!(config.database.url().is_none());
    }

    #[test]
    fn environment_then_flags() {
        let vars = [
            ("ATRIUM_DATABASE__URL", "postgres://a:b@h/d"),
            ("ATRIUM_SERVER__ADDR", "0.0.0.0:8080"),
            ("ATRIUM_STORAGE__DATA_DIR", "/srv/atrium"),
            ("PATH", "/bin"),
        ];
        let config = load(&vars, &Overrides::default()).expect("loads");
        assert_eq!(config.database.url().as_deref(), Some("postgres://a:b@h/d"));
        assert_eq!(config.server.addr.to_string(), "0.0.0.0:8080");
        let flags = Overrides {
            data_dir: Some(PathBuf::from("/tmp/x")),
            ..Overrides::default()
        };
        assert_eq!(
            load(&vars, &flags).expect("loads").storage.data_dir,
            PathBuf::from("/tmp/x")
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let error = load(&[("ATRIUM_SERVER__PORT", "1")], &Overrides::default()).expect_err("refused");
        assert!(error.to_string().contains("unknown field `port`"), "{error}");
        let error = load(&[("ATRIUM_DEBUG", "1")], &Overrides::default()).expect_err("refused");
        assert!(error.to_string().contains("ATRIUM_SECTION__KEY"), "{error}");
    }

    #[test]
    fn lists_from_the_environment() {
        let config = load(
            &[
                ("ATRIUM_FENCE__ALLOWED_ADDRESSES", "127.0.0.1, ::1"),
                ("ATRIUM_FENCE__OBJECT_PREFIXES", "s3://landing/"),
            ],
            &Overrides::default(),
        )
        .expect("loads");
        assert_eq!(config.fence.allowed_addresses.len(), 2);
        assert_eq!(config.fence.object_prefixes, vec!["s3://landing/".to_owned()]);
        let error = load(
            &[("ATRIUM_FENCE__ALLOWED_ADDRESSES", "localhost")],
            &Overrides::default(),
        )
        .expect_err("not an address");
        assert!(error.to_string().contains("`localhost`"), "{error}");
    }

    #[test]
    fn nested_sections_from_the_environment() {
        let config = load(
            &[
                ("ATRIUM_AUTH__OIDC__ISSUER", "http://127.0.0.1:9400"),
                ("ATRIUM_AUTH__OIDC__CLIENT_ID", "atrium"),
                ("ATRIUM_AUTH__OIDC__CLIENT_SECRET", "hunter2"),
                (
                    "ATRIUM_AUTH__OIDC__REDIRECT_URL",
                    "http://127.0.0.1:3000/auth/oidc/callback",
                ),
            ],
            &Overrides::default(),
        )
        .expect("loads");
        let oidc = config.auth.oidc.as_ref().expect("configured");
        assert_eq!(oidc.client_id, "atrium");
        assert_eq!(oidc.scopes, ["openid", "profile", "email"]);
        assert!(
            !format!("{config:?}").contains("hunter2"),
            "the client secret is not printed"
        );
    }

    #[test]
    fn secrets_are_not_printed() {
        let config = load(
            &[("ATRIUM_DATABASE__URL", "postgres://a:hunter2@h/d")],
            &Overrides::default(),
        )
        .expect("loads");
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
