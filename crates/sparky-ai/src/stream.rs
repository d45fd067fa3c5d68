//! The typed event stream: assembling text, reasoning and fragmented tool calls into
//! [`StreamEvent`]s, and reading a response body with idle and total timeouts.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::time::Instant;

use crate::error::{AiError, TimeoutPhase};
use crate::model::{ChatResponse, FinishReason, ResponseBuilder, StreamEvent, ToolCall, Usage};
use crate::think::ThinkFilter;

/// Turns the pieces a wire format delivers into provider-neutral events.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    think: ThinkFilter,
    calls: Vec<PartialCall>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    ended: bool,
}

#[derive(Debug, Default)]
struct PartialCall {
    /// The wire's own index for the call (OpenAI `index`, Anthropic block index).
    index: Option<u64>,
    id: String,
    name: String,
    arguments: String,
    started: bool,
}

impl Assembler {
    pub(crate) fn text(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        if text.is_empty() {
            return;
        }
        let split = self.think.push(text);
        if !split.reasoning.is_empty() {
            out.push(StreamEvent::ReasoningDelta(split.reasoning));
        }
        if !split.text.is_empty() {
            out.push(StreamEvent::TextDelta(split.text));
        }
    }

    pub(crate) fn reasoning(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        if !text.is_empty() {
            out.push(StreamEvent::ReasoningDelta(text.to_string()));
        }
    }

    /// An OpenAI-style fragment: the first fragment of a call carries its index, id and
    /// name, later ones the same index and more argument text. A fragment with a different
    /// id at an index already in use starts a new call (some servers number every call 0).
    pub(crate) fn tool_fragment(
        &mut self,
        index: Option<u64>,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<&str>,
        out: &mut Vec<StreamEvent>,
    ) {
        let id = id.filter(|s| !s.is_empty());
        let slot = match index {
            Some(ix) => match self.calls.iter().rposition(|c| c.index == Some(ix)) {
                Some(at)
                    if id.is_some_and(|id| {
                        !self.calls[at].id.is_empty() && self.calls[at].id != id
                    }) =>
                {
                    self.new_call(Some(ix))
                }
                Some(at) => at,
                None => self.new_call(Some(ix)),
            },
            None => match id.and_then(|id| self.calls.iter().position(|c| c.id == id)) {
                Some(at) => at,
                None if id.is_some() || self.calls.is_empty() => self.new_call(None),
                None => self.calls.len() - 1,
            },
        };
        let call = &mut self.calls[slot];
        if let Some(id) = id {
            if call.id.is_empty() {
                call.id = id.to_string();
            }
        }
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            if call.name.is_empty() {
                call.name = name.to_string();
            }
        }
        if let Some(args) = arguments {
            call.arguments.push_str(args);
        }
        self.announce(slot, out);
    }

    /// A call whose id and name are known at once (Anthropic `tool_use` block, Ollama).
    pub(crate) fn tool_start(
        &mut self,
        index: Option<u64>,
        id: Option<&str>,
        name: &str,
        arguments: &str,
        out: &mut Vec<StreamEvent>,
    ) {
        let slot = self.new_call(index);
        let call = &mut self.calls[slot];
        call.id = id.unwrap_or_default().to_string();
        call.name = name.to_string();
        call.arguments = arguments.to_string();
        self.announce(slot, out);
    }

    /// More argument text for the call started at wire index `index`.
    pub(crate) fn tool_arguments(&mut self, index: u64, fragment: &str) -> bool {
        match self.calls.iter_mut().rev().find(|c| c.index == Some(index)) {
            Some(call) => {
                call.arguments.push_str(fragment);
                true
            }
            None => false,
        }
    }

    fn new_call(&mut self, index: Option<u64>) -> usize {
        self.calls.push(PartialCall {
            index,
            ..PartialCall::default()
        });
        self.calls.len() - 1
    }

    fn announce(&mut self, slot: usize, out: &mut Vec<StreamEvent>) {
        let call = &mut self.calls[slot];
        if call.started || call.name.is_empty() {
            return;
        }
        if call.id.is_empty() {
            call.id = generated_call_id();
        }
        call.started = true;
        out.push(StreamEvent::ToolCallStarted {
            id: call.id.clone(),
            name: call.name.clone(),
        });
    }

    /// Merges counts; a provider may report input and output tokens in different events.
    pub(crate) fn usage(&mut self, input: Option<u64>, output: Option<u64>) {
        let usage = self.usage.get_or_insert_with(Usage::default);
        if let Some(i) = input {
            usage.input_tokens = clamp_u32(i);
        }
        if let Some(o) = output {
            usage.output_tokens = clamp_u32(o);
        }
    }

    pub(crate) fn finish_reason(&mut self, reason: FinishReason) {
        self.finish = Some(reason);
    }

    pub(crate) fn has_finish_reason(&self) -> bool {
        self.finish.is_some()
    }

    /// The answer is complete: releases held-back text, then the tool calls, usage and finish.
    pub(crate) fn end(&mut self, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        self.ended = true;
        let split = self.think.finish();
        if !split.reasoning.is_empty() {
            out.push(StreamEvent::ReasoningDelta(split.reasoning));
        }
        if !split.text.is_empty() {
            out.push(StreamEvent::TextDelta(split.text));
        }
        let calls = std::mem::take(&mut self.calls);
        let had_calls = !calls.is_empty();
        for mut call in calls {
            if call.id.is_empty() {
                call.id = generated_call_id();
            }
            out.push(StreamEvent::ToolCall(ToolCall {
                id: call.id,
                name: call.name,
                arguments: call.arguments,
            }));
        }
        if let Some(usage) = self.usage {
            out.push(StreamEvent::Usage(usage));
        }
        let reason = match self.finish.take() {
            Some(FinishReason::Stop) | None if had_calls => FinishReason::ToolCalls,
            Some(reason) => reason,
            None => FinishReason::Stop,
        };
        out.push(StreamEvent::Finish(reason));
    }
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An id for a call the server sent without one (Ollama, some llama.cpp builds).
fn generated_call_id() -> String {
    format!("call_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
}

/// A decoder for one wire format's streamed body.
pub(crate) trait WireDecoder: Send {
    /// Consumes a piece of the body. Events produced before an error are still in `out`.
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), AiError>;
    /// The body ended. An answer cut short is [`AiError::Interrupted`].
    fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), AiError>;
    /// The terminal event was seen; the rest of the body is not needed.
    fn is_done(&self) -> bool;
}

type Item = Result<StreamEvent, AiError>;

/// A streamed answer: `Result<StreamEvent, AiError>` items, ending after
/// [`StreamEvent::Finish`] or after the first error. Dropping it closes the connection.
pub struct ChatStream {
    inner: Pin<Box<dyn Stream<Item = Item> + Send>>,
    provider: String,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChatStream")
    }
}

impl Stream for ChatStream {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl ChatStream {
    /// A stream over already-known events (used for non-streamed answers).
    pub(crate) fn from_events(events: Vec<Item>, provider: String) -> ChatStream {
        ChatStream {
            inner: Box::pin(futures::stream::iter(events)),
            provider,
        }
    }

    /// Reads the rest of the stream into a complete answer.
    pub async fn collect_response(mut self) -> Result<ChatResponse, AiError> {
        use futures::StreamExt;
        let mut builder = ResponseBuilder::default();
        while let Some(item) = self.next().await {
            builder.push(item?);
        }
        builder.build().ok_or_else(|| AiError::Interrupted {
            provider: self.provider.clone(),
            message: "the answer ended without a finish event".into(),
        })
    }

    pub(crate) fn from_body(
        response: reqwest::Response,
        decoder: Box<dyn WireDecoder>,
        provider: String,
        idle: Duration,
        deadline: Instant,
        total: Duration,
    ) -> ChatStream {
        let state = BodyReader {
            response,
            decoder,
            provider: provider.clone(),
            idle,
            deadline,
            total,
            left: MAX_STREAM_BYTES,
            queue: VecDeque::new(),
            done: false,
        };
        ChatStream {
            inner: Box::pin(futures::stream::unfold(state, |mut st| async move {
                let item = st.next_item().await?;
                Some((item, st))
            })),
            provider,
        }
    }
}

struct BodyReader {
    response: reqwest::Response,
    decoder: Box<dyn WireDecoder>,
    provider: String,
    idle: Duration,
    deadline: Instant,
    total: Duration,
    /// Bytes the rest of the body may still have ([`MAX_STREAM_BYTES`]).
    left: usize,
    queue: VecDeque<Item>,
    done: bool,
}

/// The most of one streamed answer read (8 MiB: an answer of the largest `max_tokens` is a
/// few hundred kilobytes of events). Every buffer of a stream (a line, an event's data, a
/// tool call's arguments, the text) grows only with what was read, so this bounds them all: a
/// provider that never stopped sending held a gigabyte for one chat message.
pub const MAX_STREAM_BYTES: usize = 8 * 1024 * 1024;

impl BodyReader {
    async fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let now = Instant::now();
            let remaining = self.deadline.saturating_duration_since(now);
            let (wait, phase) = if remaining <= self.idle {
                (remaining, TimeoutPhase::Total)
            } else {
                (self.idle, TimeoutPhase::Idle)
            };
            let mut events = Vec::new();
            let outcome = match tokio::time::timeout(wait, self.response.chunk()).await {
                Err(_) => Err(AiError::Timeout {
                    provider: self.provider.clone(),
                    phase,
                    after: if phase == TimeoutPhase::Total {
                        self.total
                    } else {
                        self.idle
                    },
                }),
                Ok(Err(e)) => Err(AiError::Interrupted {
                    provider: self.provider.clone(),
                    message: crate::client::root_cause(&e),
                }),
                Ok(Ok(Some(bytes))) if bytes.len() > self.left => {
                    Err(AiError::MalformedResponse {
                        provider: self.provider.clone(),
                        message: format!(
                            "the answer went on past {} MiB without ending (a model that does not stop; lower its max_tokens)",
                            MAX_STREAM_BYTES >> 20
                        ),
                    })
                }
                Ok(Ok(Some(bytes))) => {
                    self.left -= bytes.len();
                    let r = self.decoder.feed(&bytes, &mut events);
                    if r.is_ok() && self.decoder.is_done() {
                        self.done = true;
                    }
                    r
                }
                Ok(Ok(None)) => {
                    self.done = true;
                    self.decoder.finish(&mut events)
                }
            };
            self.queue.extend(events.into_iter().map(Ok));
            if let Err(e) = outcome {
                tracing::warn!(provider = %self.provider, error = %e, "AI stream failed");
                self.queue.push_back(Err(e));
                self.done = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_fragments_are_assembled_by_index() {
        let mut a = Assembler::default();
        let mut out = Vec::new();
        a.tool_fragment(
            Some(0),
            Some("c1"),
            Some("search_foods"),
            Some(""),
            &mut out,
        );
        a.tool_fragment(
            Some(1),
            Some("c2"),
            Some("read_day"),
            Some("{\"da"),
            &mut out,
        );
        a.tool_fragment(Some(0), None, None, Some("{\"query\":"), &mut out);
        a.tool_fragment(Some(1), None, None, Some("te\":\"2024-01-01\"}"), &mut out);
        a.tool_fragment(Some(0), None, None, Some("\"egg\"}"), &mut out);
        a.finish_reason(FinishReason::ToolCalls);
        a.end(&mut out);
        let calls: Vec<_> = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].id, "c1");
        assert_eq!(calls[0].arguments, "{\"query\":\"egg\"}");
        assert_eq!(calls[1].name, "read_day");
        assert_eq!(calls[1].arguments, "{\"date\":\"2024-01-01\"}");
        assert_eq!(
            out.last(),
            Some(&StreamEvent::Finish(FinishReason::ToolCalls))
        );
    }

    #[test]
    fn same_index_with_a_new_id_is_a_new_call_and_missing_ids_are_made_up() {
        let mut a = Assembler::default();
        let mut out = Vec::new();
        a.tool_fragment(Some(0), Some("a"), Some("f"), Some("{}"), &mut out);
        a.tool_fragment(Some(0), Some("b"), Some("g"), Some("{}"), &mut out);
        a.tool_fragment(None, None, Some("h"), Some("{\"x\":1}"), &mut out);
        // A server that says "stop" despite making calls.
        a.finish_reason(FinishReason::Stop);
        a.end(&mut out);
        let started: Vec<_> = out
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCallStarted { .. }))
            .collect();
        assert_eq!(started.len(), 2, "{out:?}");
        let calls: Vec<_> = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1].id, "b");
        assert_eq!(calls[1].arguments, "{}{\"x\":1}");
        assert_eq!(
            out.last(),
            Some(&StreamEvent::Finish(FinishReason::ToolCalls))
        );

        let mut a = Assembler::default();
        let mut out = Vec::new();
        a.tool_start(None, None, "log_food", "{}", &mut out);
        a.end(&mut out);
        match &out[0] {
            StreamEvent::ToolCallStarted { id, .. } => assert!(id.starts_with("call_")),
            other => panic!("{other:?}"),
        }
    }
}
