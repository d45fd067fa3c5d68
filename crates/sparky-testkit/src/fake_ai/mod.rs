//! A fake AI provider for tests: axum on 127.0.0.1:0 speaking OpenAI chat-completions
//! (`…/chat/completions`), Anthropic Messages (`…/messages`) and Ollama's native chat
//! (`/api/chat`), plus model lists (`…/models`, `/api/tags`).
//!
//! Each chat request takes the next [`Script`] from a queue and gets it rendered in the wire
//! format of the path it was sent to, as a stream or as one JSON answer depending on the
//! request's `"stream"`. Every request is recorded so tests can assert what was sent
//! (tools, images, `num_ctx`, headers). An empty queue answers 500 with a message saying so.

mod answer;
mod error;
mod request;
mod script;
mod server;
mod stream;

pub use request::{RecordedRequest, Wire};
pub use script::{ErrorKind, Finish, Part, Script};
pub use server::FakeAi;
