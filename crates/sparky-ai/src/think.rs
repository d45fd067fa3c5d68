//! Keeps reasoning out of the answer: local reasoning models (DeepSeek-R1, Qwen3, QwQ...) often
//! write their thinking inline as `<think>…</think>`, and the tags can be split across stream
//! chunks.

/// Tag pairs treated as reasoning.
const TAGS: &[(&str, &str)] = &[("<think>", "</think>"), ("<thinking>", "</thinking>")];

/// A streaming splitter of text into visible text and reasoning.
#[derive(Debug, Default)]
pub(crate) struct ThinkFilter {
    /// Text not yet classified: it may be the start of a tag.
    pending: String,
    /// The closing tag we are waiting for, while inside a reasoning block.
    inside: Option<&'static str>,
    /// Whether visible text has been emitted (leading whitespace after a block is dropped).
    visible_started: bool,
}

/// What one piece of input turned into.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Split {
    pub text: String,
    pub reasoning: String,
}

impl ThinkFilter {
    pub(crate) fn push(&mut self, chunk: &str) -> Split {
        self.pending.push_str(chunk);
        let mut split = Split::default();
        loop {
            match self.inside {
                None => {
                    let found = TAGS
                        .iter()
                        .filter_map(|(open, close)| {
                            self.pending.find(open).map(|at| (at, *open, *close))
                        })
                        .min_by_key(|(at, _, _)| *at);
                    if let Some((at, open, close)) = found {
                        let before: String = self.pending[..at].to_string();
                        self.emit_text(&before, &mut split);
                        self.pending.drain(..at + open.len());
                        self.inside = Some(close);
                        continue;
                    }
                    // Hold back a tail that could be the beginning of an opening tag.
                    let keep = held_back(&self.pending, TAGS.iter().map(|(o, _)| *o));
                    let cut = self.pending.len() - keep;
                    let ready: String = self.pending.drain(..cut).collect();
                    self.emit_text(&ready, &mut split);
                    return split;
                }
                Some(close) => {
                    if let Some(at) = self.pending.find(close) {
                        split.reasoning.push_str(&self.pending[..at]);
                        self.pending.drain(..at + close.len());
                        self.inside = None;
                        continue;
                    }
                    let keep = held_back(&self.pending, std::iter::once(close));
                    let cut = self.pending.len() - keep;
                    split.reasoning.extend(self.pending.drain(..cut));
                    return split;
                }
            }
        }
    }

    /// Releases what was held back at the end of the answer. An unterminated reasoning block
    /// stays reasoning.
    pub(crate) fn finish(&mut self) -> Split {
        let mut split = Split::default();
        let rest = std::mem::take(&mut self.pending);
        if self.inside.is_some() {
            split.reasoning = rest;
        } else {
            self.emit_text(&rest, &mut split);
        }
        split
    }

    fn emit_text(&mut self, text: &str, split: &mut Split) {
        let text = if self.visible_started {
            text
        } else {
            text.trim_start()
        };
        if !text.is_empty() {
            self.visible_started = true;
            split.text.push_str(text);
        }
    }
}

/// Length of the longest tail of `s` that is a proper prefix of one of `tags`.
fn held_back<'a>(s: &str, tags: impl Iterator<Item = &'a str>) -> usize {
    let mut keep = 0;
    for tag in tags {
        for len in (1..tag.len()).rev() {
            if len <= keep {
                break;
            }
            if s.len() >= len && s.is_char_boundary(s.len() - len) && s.ends_with(&tag[..len]) {
                keep = len;
                break;
            }
        }
    }
    keep
}

/// Removes reasoning blocks from a complete text.
pub fn strip_think_blocks(text: &str) -> String {
    let mut filter = ThinkFilter::default();
    let mut out = filter.push(text).text;
    out.push_str(&filter.finish().text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str]) -> Split {
        let mut f = ThinkFilter::default();
        let mut all = Split::default();
        for c in chunks {
            let s = f.push(c);
            all.text.push_str(&s.text);
            all.reasoning.push_str(&s.reasoning);
        }
        let s = f.finish();
        all.text.push_str(&s.text);
        all.reasoning.push_str(&s.reasoning);
        all
    }

    #[test]
    fn think_blocks_split_across_chunks_do_not_leak() {
        let got = run(&[
            "<thi",
            "nk>The user wants",
            " eggs.</th",
            "ink>\n\nTwo eggs",
            " logged.",
        ]);
        assert_eq!(got.text, "Two eggs logged.");
        assert_eq!(got.reasoning, "The user wants eggs.");
        // Every possible split point of the same text gives the same result.
        let whole = "Hi <think>a<b</think>there <thinking>x</thinking>!";
        for cut in 0..=whole.len() {
            let got = run(&[&whole[..cut], &whole[cut..]]);
            assert_eq!(got.text, "Hi there !", "cut at {cut}");
            assert_eq!(got.reasoning, "a<bx", "cut at {cut}");
        }
    }

    #[test]
    fn text_that_only_looks_like_a_tag_is_kept() {
        assert_eq!(run(&["a <b> c <", "thin"]).text, "a <b> c <thin");
        assert_eq!(run(&["5 < 6"]).text, "5 < 6");
    }

    #[test]
    fn unterminated_blocks_stay_reasoning() {
        let got = run(&["<think>still thinking"]);
        assert_eq!(got.text, "");
        assert_eq!(got.reasoning, "still thinking");
    }

    #[test]
    fn strip_removes_blocks() {
        assert_eq!(
            strip_think_blocks("<think>x</think>\n{\"a\":1}"),
            "{\"a\":1}"
        );
    }
}
