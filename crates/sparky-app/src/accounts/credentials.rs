//! Secrets: argon2id password hashes, random session tokens and API keys, and the SHA-256
//! form they are stored in (a database leak leaks no credentials).

use std::sync::OnceLock;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// Prefix that makes Sparky keys recognisable (for people and secret scanners).
pub const API_KEY_PREFIX: &str = "spk_";

/// Hex SHA-256: how tokens and keys are stored.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh random secret (256 bits), URL-safe.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How long a hash or verification waits for its turn before the request gets a 503.
/// (Short in unit tests, which hold every turn on purpose.)
const HASHING_WAIT: std::time::Duration = if cfg!(test) {
    std::time::Duration::from_millis(300)
} else {
    std::time::Duration::from_secs(10)
};

/// Turns for Argon2: each run takes about 19 MiB and tens of milliseconds of a core, so a flood
/// of sign-ins or sign-ups (public routes) must queue instead of starting hundreds at once on
/// the blocking threads (memory) and starving every other request of CPU. One per core.
fn hashing_turns() -> &'static tokio::sync::Semaphore {
    static TURNS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    TURNS.get_or_init(|| tokio::sync::Semaphore::new(hashing_turn_count()))
}

fn hashing_turn_count() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 16)
}

async fn hashing_turn() -> AppResult<tokio::sync::SemaphorePermit<'static>> {
    match tokio::time::timeout(HASHING_WAIT, hashing_turns().acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Unavailable(
            "the server is busy checking other passwords; try again shortly".into(),
        )),
    }
}

/// Argon2id with the crate's defaults (RFC 9106 second recommendation), off the async
/// runtime and one per core at a time. The server and `sparky user` hash the same way.
pub async fn hash_password(password: String) -> AppResult<String> {
    let _turn = hashing_turn().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::internal(format!("password hashing: {e}")))?
    .map_err(|e| AppError::internal(format!("password hashing: {e}")))
}

/// Verifies off the async runtime, taking turns like [`hash_password`]. Any malformed stored
/// hash counts as a mismatch.
pub async fn verify_password(password: String, stored: String) -> AppResult<bool> {
    let _turn = hashing_turn().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false))
}

/// A hash of a random password, verified when an email is unknown so that a wrong email costs
/// the same time as a wrong password.
pub async fn dummy_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return h.clone();
    }
    let h = hash_password(random_secret()).await.unwrap_or_default();
    HASH.get_or_init(|| h).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashes_stable() {
        let a = random_secret();
        assert_ne!(a, random_secret());
        assert!(a.len() >= 43);
        assert_eq!(token_hash("x"), token_hash("x"));
        assert_eq!(token_hash("x").len(), 64);
    }

    #[tokio::test]
    async fn passwords_verify() {
        let _one_at_a_time = HASHING_TESTS.lock().await;
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(verify_password("correct horse".into(), h.clone())
            .await
            .unwrap());
        assert!(!verify_password("wrong horse".into(), h).await.unwrap());
        assert!(!verify_password("x".into(), "not a hash".into())
            .await
            .unwrap());
    }

    /// The tests that hash, one at a time: one of them holds every turn on purpose.
    static HASHING_TESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// Sign-in commits its lookup before it waits for a hashing turn: with every turn taken
    /// and a pool of one connection, another request still gets that connection, and the
    /// sign-in goes through once a turn frees up. Were the connection held while waiting, the
    /// other request would wait until the sign-in gave up (503) and the sign-in would fail.
    #[tokio::test]
    async fn a_sign_in_waiting_for_its_turn_holds_no_connection() {
        use crate::accounts::{
            check_credentials, register, LoginInput, LoginLimits, NewAccount, SignIn,
        };
        let _one_at_a_time = HASHING_TESTS.lock().await;
        let test_db = sparky_testkit::TestDb::new().await;
        let db = test_db.database_builder().pool_size(1).build().unwrap();
        let password = "correct horse battery";
        let account = NewAccount {
            email: sparky_core::account::Email::parse("ann@example.com").unwrap(),
            full_name: "Ann".into(),
            password_hash: hash_password(password.into()).await.unwrap(),
        };
        let mut tx = db.anonymous().await.unwrap();
        register(&mut tx, &account, true).await.unwrap();
        tx.commit().await.unwrap();

        let all = hashing_turns()
            .acquire_many(hashing_turn_count() as u32)
            .await
            .unwrap();
        let sign_in = tokio::spawn({
            let db = db.clone();
            async move {
                let limits = LoginLimits {
                    per_ip: 100,
                    per_account: 100,
                };
                let input = LoginInput {
                    email: "ann@example.com".into(),
                    password: password.into(),
                };
                check_credentials(db.anonymous().await?, limits, None, input).await
            }
        });
        // Time for the sign-in to look the account up and start waiting (well within the
        // 300 ms it waits for a turn in these tests).
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut other = db.anonymous().await.unwrap();
        other.query_one("SELECT 1", &[]).await.unwrap();
        other.commit().await.unwrap();
        drop(all);
        let signed_in = sign_in.await.unwrap();
        assert!(
            matches!(signed_in, Ok(SignIn::Accepted(_))),
            "{signed_in:?}"
        );
    }

    #[tokio::test]
    async fn hashing_takes_turns_and_gives_up_with_a_503_when_none_frees() {
        let _one_at_a_time = HASHING_TESTS.lock().await;
        let all = hashing_turns()
            .acquire_many(hashing_turn_count() as u32)
            .await
            .unwrap();
        let r = hash_password("correct horse".into()).await;
        assert!(matches!(r, Err(AppError::Unavailable(_))), "{r:?}");
        let r = verify_password("correct horse".into(), "x".into()).await;
        assert!(matches!(r, Err(AppError::Unavailable(_))), "{r:?}");
        drop(all);
        assert!(hash_password("correct horse".into()).await.is_ok());
    }
}
