//! The installation's PII hashing secret: configured, or generated once into `<data-dir>/pii.key`
//! (readable by its owner only) so that hashes stay joinable across runs and restarts.

use crate::{PlatformError, PlatformSettings, Result};

pub(crate) async fn pii_secret(settings: &PlatformSettings) -> Result<Vec<u8>> {
    if let Some(secret) = &settings.pii_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = settings.data_dir.join("pii.key");
    let storage_error = |source| PlatformError::Storage {
        path: path.clone(),
        source,
    };
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => return Ok(text.trim().as_bytes().to_vec()),
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(storage_error(error)),
        Err(_) => {}
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| storage_error(std::io::Error::other(error.to_string())))?;
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    write_private(&path, &secret).await.map_err(storage_error)?;
    Ok(secret.into_bytes())
}

async fn write_private(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    use tokio::io::AsyncWriteExt;
    let mut file = options.open(path).await?;
    file.write_all(secret.as_bytes()).await?;
    file.sync_all().await
}
