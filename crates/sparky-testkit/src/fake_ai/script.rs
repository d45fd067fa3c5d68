//! Scripted answers: [`Script`] and the [`Part`]s, [`Finish`] and [`ErrorKind`] it is made of.

use std::time::Duration;

/// One piece of a scripted answer.
#[derive(Clone, Debug)]
pub enum Part {
    Text(String),
    /// Reasoning: OpenAI `reasoning_content`, an Anthropic thinking block, Ollama `thinking`.
    Reasoning(String),
    /// A tool call begins (`index` is the call's position among the answer's calls).
    ToolStart {
        index: u32,
        id: String,
        name: String,
    },
    /// A fragment of that call's JSON arguments.
    ToolArgs {
        index: u32,
        fragment: String,
    },
}

impl Part {
    pub fn text(t: &str) -> Part {
        Part::Text(t.into())
    }
    pub fn reasoning(t: &str) -> Part {
        Part::Reasoning(t.into())
    }
    pub fn tool_start(index: u32, id: &str, name: &str) -> Part {
        Part::ToolStart {
            index,
            id: id.into(),
            name: name.into(),
        }
    }
    pub fn tool_args(index: u32, fragment: &str) -> Part {
        Part::ToolArgs {
            index,
            fragment: fragment.into(),
        }
    }
}

/// How a scripted answer ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    Stop,
    Length,
    ToolCalls,
}

/// Provider errors, rendered with each format's real status and body shape.
#[derive(Clone, Debug)]
pub enum ErrorKind {
    /// 401.
    Unauthorized,
    /// 404 naming the model.
    ModelNotFound(String),
    /// 400 "context length exceeded" / "prompt is too long".
    ContextTooLong,
    /// 429.
    RateLimited,
    /// 429 "insufficient quota".
    QuotaExceeded,
    /// 500.
    ServerError,
    /// Anthropic 529 `overloaded_error` (503 elsewhere).
    Overloaded,
}

#[derive(Clone, Debug)]
pub(super) enum Reply {
    Answer {
        parts: Vec<Part>,
        finish: Finish,
        usage: Option<(u32, u32)>,
    },
    Error(ErrorKind),
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
}

/// What the fake does with one request.
#[derive(Clone, Debug)]
pub struct Script {
    pub(super) reply: Reply,
    pub(super) headers: Vec<(String, String)>,
    /// Stream only this many parts, then drop the connection.
    pub(super) disconnect_after: Option<usize>,
    /// Stream only this many parts, then send nothing more (keep the connection open).
    pub(super) stall_after: Option<usize>,
    /// Send the body in pieces of this many bytes.
    pub(super) piece_size: Option<usize>,
    /// Wait this long before answering.
    pub(super) delay: Duration,
}

impl Script {
    fn new(reply: Reply) -> Script {
        Script {
            reply,
            headers: Vec::new(),
            disconnect_after: None,
            stall_after: None,
            piece_size: None,
            delay: Duration::ZERO,
        }
    }

    /// An answer made of `parts`, ending with `finish`, reporting 12 input and 7 output tokens.
    pub fn answer(parts: Vec<Part>, finish: Finish) -> Script {
        Script::new(Reply::Answer {
            parts,
            finish,
            usage: Some((12, 7)),
        })
    }

    /// A text answer streamed in the given pieces.
    pub fn text(pieces: &[&str]) -> Script {
        Script::answer(pieces.iter().map(|p| Part::text(p)).collect(), Finish::Stop)
    }

    pub fn error(kind: ErrorKind) -> Script {
        Script::new(Reply::Error(kind))
    }

    /// Any status with a literal body.
    pub fn raw(status: u16, content_type: &str, body: &str) -> Script {
        Script::new(Reply::Raw {
            status,
            content_type: content_type.into(),
            body: body.into(),
        })
    }

    pub fn usage(mut self, input: u32, output: u32) -> Script {
        if let Reply::Answer { usage, .. } = &mut self.reply {
            *usage = Some((input, output));
        }
        self
    }

    pub fn without_usage(mut self) -> Script {
        if let Reply::Answer { usage, .. } = &mut self.reply {
            *usage = None;
        }
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Script {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn disconnect_after(mut self, parts: usize) -> Script {
        self.disconnect_after = Some(parts);
        self
    }

    pub fn stall_after(mut self, parts: usize) -> Script {
        self.stall_after = Some(parts);
        self
    }

    pub fn in_pieces_of(mut self, bytes: usize) -> Script {
        self.piece_size = Some(bytes.max(1));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Script {
        self.delay = delay;
        self
    }
}
