//! The server's secret key for API keys at rest: loading or creating it, sealing and opening.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The file the generated secret key lives in, inside the data directory.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// The server's key for secrets at rest.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let t = text.trim();
    let bytes = hex::decode(t)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(t).ok())?;
    bytes.try_into().ok()
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// `SPARKY_SECRET_KEY` (64 hex digits or base64 of 32 bytes) when given, else the key file
    /// in `data_dir`, created (mode 0600) with a random key the first time.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<SecretKey, String> {
        if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
            return decode_key(v).map(SecretKey).ok_or_else(|| {
                "SPARKY_SECRET_KEY must be 32 bytes as 64 hex digits or base64".to_string()
            });
        }
        let path = data_dir.join(SECRET_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => decode_key(&text)
                .map(SecretKey)
                .ok_or_else(|| format!("{} does not hold a 32-byte key in hex", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                std::fs::create_dir_all(data_dir)
                    .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
                write_private(&path, &hex::encode(key))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(SecretKey(key))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Encrypts `plain` bound to `owner` (a ciphertext moved to another user does not open).
    pub fn seal(&self, owner: Uuid, plain: &str) -> AppResult<(Vec<u8>, Vec<u8>)> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| AppError::internal("encrypting the API key failed"))?;
        Ok((nonce.to_vec(), sealed))
    }

    pub fn open(&self, owner: Uuid, nonce: &[u8], sealed: &[u8]) -> AppResult<String> {
        if nonce.len() != 24 {
            return Err(AppError::internal("stored API key has a bad nonce"));
        }
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| {
                AppError::conflict(
                    "your saved AI key cannot be decrypted (the server's secret key changed): enter it again",
                )
            })?;
        String::from_utf8(plain).map_err(|_| AppError::internal("stored API key is not text"))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_open_only_for_their_owner_and_with_the_same_key() {
        let k = SecretKey::from_bytes([7; 32]);
        let ann = Uuid::new_v4();
        let (n, c) = k.seal(ann, "sk-secret").unwrap();
        assert!(!c.windows(9).any(|w| w == b"sk-secret"));
        assert_eq!(k.open(ann, &n, &c).unwrap(), "sk-secret");
        assert!(k.open(Uuid::new_v4(), &n, &c).is_err());
        assert!(SecretKey::from_bytes([8; 32]).open(ann, &n, &c).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("sparky-key-{}", Uuid::new_v4()));
        let a = SecretKey::load(None, &dir).unwrap();
        let b = SecretKey::load(None, &dir).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(SECRET_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let from_env = SecretKey::load(Some(&"ab".repeat(32)), &dir).unwrap();
        assert_eq!(from_env.0, [0xab; 32]);
        assert!(SecretKey::load(Some("short"), &dir).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
