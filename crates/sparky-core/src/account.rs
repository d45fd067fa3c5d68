//! Account input, parsed once at the edge (an `Email` is always normalised and plausible).

use std::fmt;

/// A normalised email address: trimmed and lowercased, one `@`, a dot in the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, &'static str> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("is required");
        }
        if s.len() > 255 {
            return Err("is longer than 255 characters");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("is not an email address");
        };
        let plausible = !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err("is not an email address");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Argon2 takes any length, but a megabyte "password" is a denial-of-service attempt.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Passwords that appear at the top of every breach list (all of at least 10 characters,
/// since shorter ones are refused anyway).
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1q2w3e4r5t",
    "qwertyuiop",
    "0123456789",
    "9876543210",
    "1111111111",
    "0000000000",
    "123123123123",
    "1234512345",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "p@ssw0rd123",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "abcdefghij",
    "abcd123456",
    "abc1234567",
    "iloveyou12",
    "iloveyou123",
    "sunshine123",
    "princess123",
    "football123",
    "baseball123",
    "welcome123",
    "welcome1234",
    "letmein123",
    "trustno1234",
    "superman123",
    "michael123",
    "monkey1234",
    "dragon1234",
    "master1234",
    "shadow1234",
    "starwars123",
    "whatever123",
    "administrator",
    "admin12345",
    "admin123456",
    "changeme123",
    "qwertyuiop123",
    "asdfghjkl1",
    "asdfghjkl123",
    "zxcvbnm123",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "11111111111",
    "123456789012",
    "1234567890a",
    "aaaaaaaaaa",
    "qazwsxedc123",
    "passwordpassword",
    "fitness123",
    "fitness1234",
    "myfitnesspal",
    "sparkyfitness",
    "password!1",
    "football1234",
    "computer123",
    "internet123",
    "liverpool123",
    "chelsea1234",
    "jordan2323",
    "samsung123",
];

/// Checks a new password: length and the common-password list (case-insensitive).
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err("must be at least 10 characters");
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err("must be at most 1024 bytes (about 1000 letters)");
    }
    // Sign-in refuses control characters (no form can type them): a password holding one
    // could never be used.
    if password.chars().any(char::is_control) {
        return Err("must not contain control characters (tabs, line breaks, NUL)");
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("is one of the most common passwords; choose another");
    }
    if lower
        .chars()
        .all(|c| c == lower.chars().next().unwrap_or(' '))
    {
        return Err("must not be one character repeated");
    }
    Ok(())
}

/// A new password for the account with `email`: [`check_new_password`], and not the email
/// address or its name part (the first thing anyone tries).
pub fn check_password_for(password: &str, email: &str) -> Result<(), &'static str> {
    check_new_password(password)?;
    let typed = password.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    let name = email.split('@').next().unwrap_or_default();
    if typed == email || typed == name {
        return Err("must not be your email address");
    }
    Ok(())
}

/// A person's display name: trimmed, 1 to 255 characters.
pub fn parse_full_name(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    if s.is_empty() {
        return Err("is required");
    }
    if s.chars().count() > 255 {
        return Err("is longer than 255 characters");
    }
    if s.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters");
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a@b@c.com",
            "an n@x.com",
            "ann@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_new_password("short").is_err());
        assert!(
            check_new_password("Password123").is_err(),
            "common, case-insensitively"
        );
        assert!(check_new_password("aaaaaaaaaaaa").is_err());
        assert!(check_new_password("correct horse battery").is_ok());
        assert!(
            check_new_password("correct\thorse battery").is_err(),
            "a tab"
        );
        assert!(
            check_new_password("correct horse\nbattery").is_err(),
            "a line break"
        );
        assert_eq!(
            check_password_for("Ann.Example@Mail.com", "ann.example@mail.com"),
            Err("must not be your email address")
        );
        assert!(check_password_for("annexample1", "annexample1@mail.com").is_err());
        assert!(check_password_for("correct horse battery", "ann@mail.com").is_ok());
        assert!(check_new_password(&"x".repeat(2000)).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(parse_full_name("  Ann Lee ").unwrap(), "Ann Lee");
        assert!(parse_full_name("   ").is_err());
        assert!(parse_full_name(&"a".repeat(256)).is_err());
    }
}
