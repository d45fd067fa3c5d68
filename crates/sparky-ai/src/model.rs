//! The provider-neutral model of a conversation, of tools, and of what comes back.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::parse_lenient;

/// Who said a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    Tool,
}

/// An image sent to a vision model, already encoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageData {
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`.
    pub media_type: String,
    /// Standard base64 of the image bytes, without a `data:` prefix.
    pub data: String,
}

impl ImageData {
    /// Encodes raw image bytes.
    pub fn from_bytes(media_type: impl Into<String>, bytes: &[u8]) -> ImageData {
        use base64::Engine;
        ImageData {
            media_type: media_type.into(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// `data:{media_type};base64,{data}`, the form OpenAI-style servers take.
    pub fn data_url(&self) -> String {
        format!("data:{};base64,{}", self.media_type, self.data)
    }
}

/// One part of a user message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    Image { image: ImageData },
}

/// A tool call the model made. `arguments` is the JSON text exactly as the model produced it
/// (it may be malformed, see [`ToolCall::parse_arguments`]); it is sent back verbatim in the
/// conversation history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// Tool arguments that could not be read as a JSON object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the arguments of the call to {tool} are not a JSON object: {reason}")]
pub struct MalformedArguments {
    pub tool: String,
    pub reason: String,
    /// The text the model sent.
    pub raw: String,
}

impl ToolCall {
    pub fn new(id: impl Into<String>, name: impl Into<String>, arguments: &Value) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.to_string(),
        }
    }

    /// The arguments as a JSON object, read leniently (code fences, trailing commas, single
    /// quotes and the like are tolerated; empty text is `{}`). The error's Display is meant
    /// to be handed back to the model as the tool's error result so it can retry.
    pub fn parse_arguments(&self) -> Result<Value, MalformedArguments> {
        let malformed = |reason: String| MalformedArguments {
            tool: self.name.clone(),
            reason,
            raw: self.arguments.clone(),
        };
        if self.arguments.trim().is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        match parse_lenient(&self.arguments) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(other) => Err(malformed(format!(
                "expected an object, got {}",
                json_type(&other)
            ))),
            Err(e) => Err(malformed(e.to_string())),
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The outcome of running a tool, answering the [`ToolCall`] with the same id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    pub tool_call_id: String,
    /// What the model reads: usually compact JSON.
    pub content: String,
    /// The tool failed; `content` says why. Anthropic gets `is_error: true`; the OpenAI format
    /// has no such flag, so the content is prefixed with `Error: ` there.
    #[serde(default)]
    pub is_error: bool,
}

/// One message of a conversation (the system prompt is separate, on [`ChatRequest`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    User {
        content: Vec<ContentPart>,
    },
    Assistant {
        #[serde(default)]
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    Tool(ToolResult),
}

impl Message {
    pub fn user(text: impl Into<String>) -> Message {
        Message::User {
            content: vec![ContentPart::Text { text: text.into() }],
        }
    }

    /// A user message with text followed by images.
    pub fn user_with_images(text: impl Into<String>, images: Vec<ImageData>) -> Message {
        let mut content = vec![ContentPart::Text { text: text.into() }];
        content.extend(images.into_iter().map(|image| ContentPart::Image { image }));
        Message::User { content }
    }

    pub fn assistant(text: impl Into<String>) -> Message {
        Message::Assistant {
            text: text.into(),
            tool_calls: Vec::new(),
        }
    }

    pub fn tool_result(
        tool_call_id: impl Into<String>,
        content: impl Into<String>,
        is_error: bool,
    ) -> Message {
        Message::Tool(ToolResult {
            tool_call_id: tool_call_id.into(),
            content: content.into(),
            is_error,
        })
    }

    pub fn role(&self) -> Role {
        match self {
            Message::User { .. } => Role::User,
            Message::Assistant { .. } => Role::Assistant,
            Message::Tool(_) => Role::Tool,
        }
    }

    /// Whether the message carries an image (the history trimmer drops old ones).
    pub fn has_images(&self) -> bool {
        matches!(self, Message::User { content } if content.iter().any(|p| matches!(p, ContentPart::Image { .. })))
    }
}

/// A tool the model may call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    pub name: String,
    pub description: String,
    /// A JSON Schema object describing the arguments.
    pub parameters: Value,
}

/// Per-request settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatOptions {
    /// Upper bound on generated tokens. Anthropic requires one; 4096 is sent when unset.
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    /// Context window to ask for. Only Ollama takes it per request (`options.num_ctx`); when
    /// unset the provider's configured default is used (see `ProviderConfig::context_size`).
    pub context_size: Option<u32>,
}

/// Everything one model call needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDefinition>,
    pub options: ChatOptions,
}

impl ChatRequest {
    pub fn new(model: impl Into<String>) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            ..ChatRequest::default()
        }
    }

    pub fn system(mut self, system: impl Into<String>) -> ChatRequest {
        self.system = Some(system.into());
        self
    }

    pub fn message(mut self, message: Message) -> ChatRequest {
        self.messages.push(message);
        self
    }

    pub fn tool(mut self, tool: ToolDefinition) -> ChatRequest {
        self.tools.push(tool);
        self
    }
}

/// Tokens used by one call, as the provider counted them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// Why the model stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end of the answer.
    Stop,
    /// It hit `max_tokens`.
    Length,
    /// It wants tools run. Reported whenever the answer has tool calls, even from servers
    /// that say `stop`.
    ToolCalls,
    /// The provider's safety filter stopped it.
    ContentFilter,
    Other(String),
}

/// One event of a streamed answer. A stream yields `Result<StreamEvent, AiError>`; after an
/// `Err` it ends. A complete answer ends with [`StreamEvent::Finish`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// Visible answer text. Reasoning (`reasoning_content`, `<think>…</think>`, Anthropic
    /// thinking blocks) never appears here.
    TextDelta(String),
    /// The model's reasoning, for those who want to show it; safe to ignore.
    ReasoningDelta(String),
    /// A tool call has begun (its arguments are still arriving).
    ToolCallStarted { id: String, name: String },
    /// A tool call with all of its arguments. All calls of an answer are reported just before
    /// `Usage`/`Finish`, in the order the model made them.
    ToolCall(ToolCall),
    /// Token counts, when the provider reports them (just before `Finish`).
    Usage(Usage),
    /// The last event of a complete answer.
    Finish(FinishReason),
}

/// A complete answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatResponse {
    pub text: String,
    pub reasoning: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Option<Usage>,
    pub finish_reason: FinishReason,
}

impl ChatResponse {
    /// The assistant message to append to the conversation.
    pub fn to_message(&self) -> Message {
        Message::Assistant {
            text: self.text.clone(),
            tool_calls: self.tool_calls.clone(),
        }
    }
}

/// Folds stream events into a [`ChatResponse`].
#[derive(Debug, Default)]
pub(crate) struct ResponseBuilder {
    text: String,
    reasoning: String,
    tool_calls: Vec<ToolCall>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
}

impl ResponseBuilder {
    pub(crate) fn push(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::TextDelta(t) => self.text.push_str(&t),
            StreamEvent::ReasoningDelta(t) => self.reasoning.push_str(&t),
            StreamEvent::ToolCallStarted { .. } => {}
            StreamEvent::ToolCall(call) => self.tool_calls.push(call),
            StreamEvent::Usage(u) => self.usage = Some(u),
            StreamEvent::Finish(f) => self.finish = Some(f),
        }
    }

    /// `None` until a `Finish` arrived.
    pub(crate) fn build(self) -> Option<ChatResponse> {
        Some(ChatResponse {
            text: self.text,
            reasoning: self.reasoning,
            tool_calls: self.tool_calls,
            usage: self.usage,
            finish_reason: self.finish?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_parse_leniently_and_malformed_ones_say_why() {
        let call = |args: &str| ToolCall {
            id: "c1".into(),
            name: "log_food".into(),
            arguments: args.into(),
        };
        assert_eq!(
            call(r#"{"grams": 120, "food": "egg"}"#)
                .parse_arguments()
                .unwrap(),
            json!({"grams": 120, "food": "egg"})
        );
        assert_eq!(
            call("{'grams': 120,}").parse_arguments().unwrap(),
            json!({"grams": 120})
        );
        assert_eq!(call("").parse_arguments().unwrap(), json!({}));
        let err = call(r#"{"grams": 120, "food": "#)
            .parse_arguments()
            .unwrap_err();
        assert_eq!(err.tool, "log_food");
        assert!(err.to_string().contains("log_food"), "{err}");
        let err = call("[1,2]").parse_arguments().unwrap_err();
        assert!(err.reason.contains("an array"), "{err}");
    }

    #[test]
    fn messages_serialise_with_a_role_tag() {
        let m = Message::user_with_images(
            "what is this",
            vec![ImageData::from_bytes("image/png", b"\x89PNG")],
        );
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["role"], "user");
        assert_eq!(v["content"][1]["type"], "image");
        assert_eq!(v["content"][1]["image"]["data"], "iVBORw==");
        assert!(m.has_images());
        let back: Message = serde_json::from_value(v).unwrap();
        assert_eq!(back, m);
        let t = Message::tool_result("c1", "{}", true);
        assert_eq!(serde_json::to_value(&t).unwrap()["role"], "tool");
        assert_eq!(t.role(), Role::Tool);
    }
}
