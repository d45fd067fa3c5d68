//! A small SQL lexer: just enough to find statement boundaries in a migration file.
//!
//! It understands what can hide a `;` — quoted strings, `E'...'` escapes, quoted identifiers,
//! dollar-quoted bodies, line and nested block comments, and SQL-standard `BEGIN ATOMIC ... END`
//! function bodies — so that the runner can (a) neutralise a file's own top-level
//! `BEGIN;`/`COMMIT;` (seed-style files wrap themselves in a transaction, but the runner
//! owns the transaction) and (b) check that a no-transaction file holds a single statement.
//! Pure code, no I/O.

/// One statement of a file, as a byte range into the original text (the `;` excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub start: usize,
    pub end: usize,
}

impl Statement {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }
}

/// Splits `sql` into statements. Statements made only of whitespace and comments are dropped.
pub fn split_statements(sql: &str) -> Vec<Statement> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut stmt_start = 0;
    let mut i = 0;
    // Words seen at top level of the current statement, upper-cased (only the first few
    // matter, plus BEGIN ATOMIC tracking).
    let mut words: Vec<String> = Vec::new();
    let mut atomic_depth = 0usize;
    let mut has_code = false;

    let push = |out: &mut Vec<Statement>, start: usize, end: usize, has_code: bool| {
        if has_code {
            out.push(Statement { start, end });
        }
    };

    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < bytes.len() && depth > 0 {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'\'' => {
                has_code = true;
                let escapes = i > 0
                    && (bytes[i - 1] == b'E' || bytes[i - 1] == b'e')
                    && (i < 2 || !is_ident_byte(bytes[i - 2]));
                i += 1;
                while i < bytes.len() {
                    if escapes && bytes[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'"' => {
                has_code = true;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'"' {
                        if bytes.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'$' if i == 0 || !is_ident_byte(bytes[i - 1]) => {
                if let Some(tag_len) = dollar_tag_len(&bytes[i..]) {
                    has_code = true;
                    let tag = &sql[i..i + tag_len];
                    i += tag_len;
                    match sql[i..].find(tag) {
                        Some(pos) => i += pos + tag_len,
                        None => i = bytes.len(),
                    }
                    continue;
                }
                has_code = true;
                i += 1;
                continue;
            }
            b';' if atomic_depth == 0 => {
                push(&mut out, stmt_start, i, has_code);
                i += 1;
                stmt_start = i;
                words.clear();
                has_code = false;
                continue;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                has_code = true;
                let start = i;
                while i < bytes.len() && is_ident_byte(bytes[i]) {
                    i += 1;
                }
                let word = sql[start..i].to_ascii_uppercase();
                if atomic_depth > 0 {
                    match word.as_str() {
                        "CASE" => atomic_depth += 1,
                        "END" => atomic_depth -= 1,
                        _ => {}
                    }
                } else if word == "ATOMIC"
                    && words.last().map(String::as_str) == Some("BEGIN")
                    && words.first().map(String::as_str) == Some("CREATE")
                {
                    atomic_depth = 1;
                }
                if words.len() < 64 {
                    words.push(word);
                }
                continue;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    has_code = true;
                }
                i += 1;
            }
        }
    }
    push(&mut out, stmt_start, bytes.len(), has_code);
    out
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Length of a dollar-quote opening tag (`$$` or `$tag$`) at the start of `s`, if any.
fn dollar_tag_len(s: &[u8]) -> Option<usize> {
    debug_assert_eq!(s.first(), Some(&b'$'));
    let mut j = 1;
    if s.get(1).is_some_and(|b| b.is_ascii_digit()) {
        return None; // `$1` is a parameter, not a quote
    }
    while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_' || s[j] >= 0x80) {
        j += 1;
    }
    (s.get(j) == Some(&b'$')).then_some(j + 1)
}

/// What a top-level statement does to the transaction, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    Begin,
    Commit,
    Rollback,
}

/// Classifies a statement by its leading keywords (comments skipped).
pub fn transaction_control(stmt: &str) -> Option<TransactionControl> {
    let mut words = leading_words(stmt, 2).into_iter();
    let first = words.next()?;
    let second = words.next();
    match first.as_str() {
        "BEGIN" => Some(TransactionControl::Begin),
        "START" if second.as_deref() == Some("TRANSACTION") => Some(TransactionControl::Begin),
        "COMMIT" | "END" => Some(TransactionControl::Commit),
        "ROLLBACK" | "ABORT" => {
            // `ROLLBACK TO SAVEPOINT` is harmless inside the runner's transaction.
            if second.as_deref() == Some("TO") {
                None
            } else {
                Some(TransactionControl::Rollback)
            }
        }
        _ => None,
    }
}

/// The first `n` words of a statement, upper-cased, skipping comments.
pub fn leading_words(stmt: &str, n: usize) -> Vec<String> {
    let bytes = stmt.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < bytes.len() && out.len() < n {
        if bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let mut depth = 1;
            i += 2;
            while i < bytes.len() && depth > 0 {
                if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
        } else if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && is_ident_byte(bytes[i]) {
                i += 1;
            }
            out.push(stmt[start..i].to_ascii_uppercase());
        } else if bytes[i].is_ascii_whitespace() {
            i += 1;
        } else {
            break;
        }
    }
    out
}

/// Replaces the file's own top-level `BEGIN`/`COMMIT` statements with blanks of the same
/// length (newlines kept), so PostgreSQL's error positions still point into the file.
/// A top-level `ROLLBACK` is refused: in a migration it can only lose work silently.
pub fn neutralise_transaction_control(sql: &str) -> Result<String, String> {
    let mut out = sql.to_string().into_bytes();
    for stmt in split_statements(sql) {
        match transaction_control(stmt.text(sql)) {
            None => {}
            Some(TransactionControl::Rollback) => {
                let text = stmt.text(sql);
                let lead = text.len() - text.trim_start().len();
                let (line, _) = line_col(sql, stmt.start + lead);
                return Err(format!(
                    "line {line}: a migration must not contain ROLLBACK; \
                     the runner rolls back by itself when a statement fails"
                ));
            }
            Some(_) => {
                // Blank the statement and its terminating `;` if present.
                let end = if sql.as_bytes().get(stmt.end) == Some(&b';') {
                    stmt.end + 1
                } else {
                    stmt.end
                };
                for b in &mut out[stmt.start..end] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
            }
        }
    }
    // Only ASCII bytes were replaced, by ASCII, at statement boundaries: still UTF-8.
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// 1-based line and column of a byte offset.
pub fn line_col(sql: &str, byte_offset: usize) -> (usize, usize) {
    let upto = &sql[..byte_offset.min(sql.len())];
    let line = upto.matches('\n').count() + 1;
    let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Byte offset of a 1-based character position, as PostgreSQL reports error positions.
pub fn char_position_to_byte(sql: &str, position: usize) -> usize {
    sql.char_indices()
        .nth(position.saturating_sub(1))
        .map_or(sql.len(), |(b, _)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split_statements(sql)
            .iter()
            .map(|s| s.text(sql).trim().to_string())
            .collect()
    }

    #[test]
    fn splits_plain_statements_and_drops_empty_ones() {
        assert_eq!(
            texts("select 1; select 2;\n-- trailing comment\n;"),
            vec!["select 1", "select 2"]
        );
    }

    #[test]
    fn semicolons_inside_quotes_comments_and_dollar_bodies_do_not_split() {
        let sql = "insert into t values ('a;b', E'c\\';d', \"x;y\");\n\
                   /* a; /* nested; */ b; */ select 1;\n\
                   create function f() returns int language plpgsql as $body$ begin return 1; end $body$;\n\
                   do $$ begin perform 1; end $$;";
        let t = texts(sql);
        assert_eq!(t.len(), 4, "{t:?}");
        assert!(t[2].ends_with("$body$"));
    }

    #[test]
    fn parameters_are_not_dollar_quotes() {
        assert_eq!(texts("select $1; select 2").len(), 2);
    }

    #[test]
    fn begin_atomic_bodies_are_one_statement() {
        let sql = "create function f(a int) returns int begin atomic select case when a > 0 then 1 else 0 end; select 2; end; select 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[1], "select 3");
    }

    #[test]
    fn classifies_transaction_control() {
        use TransactionControl::*;
        assert_eq!(transaction_control("  BEGIN"), Some(Begin));
        assert_eq!(
            transaction_control("-- c\nbegin isolation level serializable"),
            Some(Begin)
        );
        assert_eq!(transaction_control("START TRANSACTION"), Some(Begin));
        assert_eq!(transaction_control("commit"), Some(Commit));
        assert_eq!(transaction_control("END"), Some(Commit));
        assert_eq!(transaction_control("rollback"), Some(Rollback));
        assert_eq!(transaction_control("rollback to savepoint a"), None);
        assert_eq!(transaction_control("select 1"), None);
        assert_eq!(transaction_control("beginning"), None);
    }

    #[test]
    fn neutralising_keeps_positions_and_body_begins() {
        let sql = "BEGIN;\ncreate function f() returns void language plpgsql as $$ begin end $$;\nCOMMIT;\n";
        let out = neutralise_transaction_control(sql).unwrap();
        assert_eq!(out.len(), sql.len());
        assert!(!out.contains("BEGIN"));
        assert!(!out.contains("COMMIT"));
        assert!(out.contains("$$ begin end $$"));
        assert_eq!(out.matches('\n').count(), sql.matches('\n').count());
    }

    #[test]
    fn neutralising_refuses_rollback() {
        let err = neutralise_transaction_control("select 1;\nrollback;").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn line_and_column() {
        let sql = "a\nbc\ndéf";
        assert_eq!(line_col(sql, 0), (1, 1));
        assert_eq!(line_col(sql, 3), (2, 2));
        let byte = char_position_to_byte(sql, 8); // 'f'
        assert_eq!(&sql[byte..], "f");
        assert_eq!(line_col(sql, byte), (3, 3));
    }
}
