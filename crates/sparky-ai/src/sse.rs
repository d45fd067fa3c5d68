//! Byte-level decoders for streamed bodies: server-sent events (OpenAI, Anthropic) and
//! newline-delimited JSON (Ollama). Input arrives in arbitrary pieces; a line or an event may
//! be split anywhere, including inside a UTF-8 character.

/// One dispatched server-sent event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, empty when absent.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Splits bytes into lines ending in `\n`, `\r\n` or `\r`.
#[derive(Debug, Default)]
struct Lines {
    buf: Vec<u8>,
    /// The previous piece ended in `\r`, so a leading `\n` belongs to that line end.
    after_cr: bool,
}

impl Lines {
    fn feed(&mut self, mut bytes: &[u8], mut line: impl FnMut(&str)) {
        if self.after_cr {
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
            self.after_cr = false;
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' | b'\r' => {
                    self.buf.extend_from_slice(&bytes[start..i]);
                    line(&String::from_utf8_lossy(&self.buf));
                    self.buf.clear();
                    if bytes[i] == b'\r' {
                        if i + 1 == bytes.len() {
                            self.after_cr = true;
                        } else if bytes[i + 1] == b'\n' {
                            i += 1;
                        }
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
    }

    /// The unterminated last line, if any.
    fn finish(&mut self) -> Option<String> {
        if self.buf.is_empty() {
            return None;
        }
        let line = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        Some(line)
    }
}

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    lines: Lines,
    event: String,
    data: String,
    has_data: bool,
}

impl SseDecoder {
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut lines = std::mem::take(&mut self.lines);
        lines.feed(bytes, |line| self.line(line, &mut events));
        self.lines = lines;
        events
    }

    /// End of the body: an event missing its final blank line is still dispatched (some
    /// servers end that way).
    pub(crate) fn finish(&mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        if let Some(line) = self.lines.finish() {
            self.line(&line, &mut events);
        }
        self.line("", &mut events);
        events
    }

    fn line(&mut self, line: &str, events: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                events.push(SseEvent {
                    event: std::mem::take(&mut self.event),
                    data: std::mem::take(&mut self.data),
                });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return; // comment / keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {} // id, retry: not used
        }
    }
}

/// Newline-delimited JSON: yields each non-blank line.
#[derive(Debug, Default)]
pub(crate) struct NdjsonDecoder {
    lines: Lines,
}

impl NdjsonDecoder {
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        self.lines.feed(bytes, |line| {
            if !line.trim().is_empty() {
                out.push(line.to_string());
            }
        });
        out
    }

    pub(crate) fn finish(&mut self) -> Vec<String> {
        self.lines
            .finish()
            .filter(|l| !l.trim().is_empty())
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut d = SseDecoder::default();
        let mut events = Vec::new();
        for chunk in body.chunks(piece) {
            events.extend(d.feed(chunk));
        }
        events.extend(d.finish());
        events
    }

    #[test]
    fn events_survive_any_split() {
        let body = "event: message_start\ndata: {\"a\":\"é\"}\n\n: ping\r\n\r\ndata: line1\r\ndata:line2\r\n\r\nevent: x\rdata: [DONE]\r\r".as_bytes();
        let expected = vec![
            SseEvent {
                event: "message_start".into(),
                data: "{\"a\":\"é\"}".into(),
            },
            SseEvent {
                event: "".into(),
                data: "line1\nline2".into(),
            },
            SseEvent {
                event: "x".into(),
                data: "[DONE]".into(),
            },
        ];
        for piece in 1..=body.len() {
            assert_eq!(decode_in_pieces(body, piece), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn a_last_event_without_blank_line_is_dispatched() {
        assert_eq!(
            decode_in_pieces(b"data: {\"x\":1}", 4),
            vec![SseEvent {
                event: "".into(),
                data: "{\"x\":1}".into()
            }]
        );
        assert!(decode_in_pieces(b"event: only\n\n", 3).is_empty());
    }

    #[test]
    fn ndjson_lines_survive_any_split() {
        let body = b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
        for piece in 1..=body.len() {
            let mut d = NdjsonDecoder::default();
            let mut lines = Vec::new();
            for chunk in body.chunks(piece) {
                lines.extend(d.feed(chunk));
            }
            lines.extend(d.finish());
            assert_eq!(
                lines,
                vec!["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"],
                "pieces of {piece}"
            );
        }
    }
}
