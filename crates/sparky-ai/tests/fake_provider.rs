//! The real client against the fake provider server, in every wire format.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use sparky_ai::{
    extract_json, AiClient, AiError, ChatOptions, ChatRequest, FinishReason, ImageData, Message,
    ProviderConfig, ProviderKind, RetryNotice, RetryPolicy, StreamEvent, TimeoutPhase, Timeouts,
    ToolCall, ToolDefinition, Usage,
};
use sparky_testkit::fake_ai::{ErrorKind, FakeAi, Finish, Part, RecordedRequest, Script, Wire};

const KINDS: [ProviderKind; 4] = [
    ProviderKind::OpenAi,
    ProviderKind::Anthropic,
    ProviderKind::Ollama,
    ProviderKind::OpenAiCompatible,
];

fn wire(kind: ProviderKind) -> Wire {
    match kind {
        ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => Wire::OpenAi,
        ProviderKind::Anthropic => Wire::Anthropic,
        ProviderKind::Ollama => Wire::Ollama,
    }
}

/// The base URL as a person might paste it for each kind.
fn pasted_url(fake: &FakeAi, kind: ProviderKind) -> String {
    match kind {
        ProviderKind::OpenAi => format!("{}/v1/", fake.url()),
        ProviderKind::Anthropic => format!("{}/v1/messages", fake.url()),
        ProviderKind::Ollama => fake.url().to_string(),
        ProviderKind::OpenAiCompatible => format!("{}/v1/chat/completions", fake.url()),
    }
}

fn config(fake: &FakeAi, kind: ProviderKind) -> ProviderConfig {
    let mut c = ProviderConfig::new(kind)
        .base_url(pasted_url(fake, kind))
        .api_key("sk-test");
    c.retry = RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_secs(5),
        on_retry: None,
    };
    c
}

fn client(fake: &FakeAi, kind: ProviderKind) -> AiClient {
    AiClient::new(config(fake, kind)).unwrap()
}

/// A client whose retry notices are recorded.
fn observed_client(fake: &FakeAi, kind: ProviderKind) -> (AiClient, Arc<Mutex<Vec<RetryNotice>>>) {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let mut c = config(fake, kind);
    let sink = notices.clone();
    c.retry.on_retry = Some(Arc::new(move |n: &RetryNotice| {
        sink.lock().unwrap().push(n.clone())
    }));
    (AiClient::new(c).unwrap(), notices)
}

fn request() -> ChatRequest {
    ChatRequest::new("fake-model")
        .system("You are Sparky.")
        .message(Message::user("I had two eggs"))
        .tool(ToolDefinition {
            name: "search_foods".into(),
            description: "Search the food catalog".into(),
            parameters: json!({"type": "object", "properties": {"query": {"type": "string"}}}),
        })
}

async fn events(client: &AiClient, req: &ChatRequest) -> Vec<Result<StreamEvent, AiError>> {
    client.stream(req).await.unwrap().collect().await
}

fn text_of(events: &[Result<StreamEvent, AiError>]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Ok(StreamEvent::TextDelta(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn only_request(fake: &FakeAi) -> RecordedRequest {
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    requests.into_iter().next().unwrap()
}

#[tokio::test]
async fn plain_text_streams_in_every_format() {
    for kind in KINDS {
        for pieces in [None, Some(3)] {
            let fake = FakeAi::start().await;
            let mut script = Script::text(&["Two eggs ", "are about ", "140 kcal."]).usage(120, 9);
            if let Some(n) = pieces {
                script = script.in_pieces_of(n);
            }
            fake.push(script);
            let c = client(&fake, kind);
            let got = events(&c, &request()).await;
            assert!(got.iter().all(Result::is_ok), "{kind:?}: {got:?}");
            assert_eq!(text_of(&got), "Two eggs are about 140 kcal.", "{kind:?}");
            let n = got.len();
            assert_eq!(
                got[n - 2].as_ref().unwrap(),
                &StreamEvent::Usage(Usage {
                    input_tokens: 120,
                    output_tokens: 9
                }),
                "{kind:?}"
            );
            assert_eq!(
                got[n - 1].as_ref().unwrap(),
                &StreamEvent::Finish(FinishReason::Stop)
            );

            let sent = only_request(&fake);
            assert_eq!(sent.wire, Some(wire(kind)), "{kind:?}");
            assert_eq!(sent.method, "POST");
            assert_eq!(sent.body["stream"], true);
            assert_eq!(sent.body["model"], "fake-model");
            match kind {
                ProviderKind::Anthropic => {
                    assert_eq!(sent.path, "/v1/messages");
                    assert_eq!(sent.header("x-api-key"), Some("sk-test"));
                    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
                    assert_eq!(sent.header("authorization"), None);
                    assert_eq!(sent.body["system"], "You are Sparky.");
                    assert_eq!(sent.body["tools"][0]["input_schema"]["type"], "object");
                    assert_eq!(sent.body["max_tokens"], 4096);
                }
                ProviderKind::Ollama => {
                    assert_eq!(sent.path, "/api/chat");
                    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
                    assert_eq!(sent.body["messages"][0]["role"], "system");
                    assert_eq!(sent.body["tools"][0]["function"]["name"], "search_foods");
                    assert_eq!(sent.body["options"]["num_ctx"], 16384);
                }
                ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => {
                    assert_eq!(sent.path, "/v1/chat/completions");
                    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
                    assert_eq!(
                        sent.body["messages"][0],
                        json!({"role": "system", "content": "You are Sparky."})
                    );
                    assert_eq!(
                        sent.body["messages"][1],
                        json!({"role": "user", "content": "I had two eggs"})
                    );
                    assert_eq!(sent.body["tools"][0]["function"]["name"], "search_foods");
                    assert!(sent.body.get("options").is_none());
                }
            }
            assert!(sent.header("user-agent").unwrap().starts_with("Sparky/"));
        }
    }
}

fn tool_call_script(pieces: usize) -> Script {
    Script::answer(
        vec![
            Part::text("Let me look that up."),
            Part::tool_start(0, "call_1", "search_foods"),
            Part::tool_args(0, "{\"qu"),
            Part::tool_args(0, "ery\": \"eg"),
            Part::tool_args(0, "g\", \"limit\": 5}"),
        ],
        Finish::ToolCalls,
    )
    .in_pieces_of(pieces)
}

#[tokio::test]
async fn tool_calls_split_across_chunks_are_assembled() {
    for kind in KINDS {
        for pieces in [1, 7, 4096] {
            let fake = FakeAi::start().await;
            fake.push(tool_call_script(pieces));
            let got = events(&client(&fake, kind), &request()).await;
            let started = got
                .iter()
                .position(|e| matches!(e, Ok(StreamEvent::ToolCallStarted { id, name }) if id == "call_1" && name == "search_foods"))
                .unwrap_or_else(|| panic!("{kind:?}: no start in {got:?}"));
            let done = got
                .iter()
                .position(|e| matches!(e, Ok(StreamEvent::ToolCall(_))))
                .unwrap();
            assert!(started < done);
            let response = {
                let fake2 = FakeAi::start().await;
                fake2.push(tool_call_script(pieces));
                client(&fake2, kind).complete(&request()).await.unwrap()
            };
            assert_eq!(response.text, "Let me look that up.", "{kind:?}");
            assert_eq!(response.tool_calls.len(), 1, "{kind:?}");
            let call = &response.tool_calls[0];
            assert_eq!(call.id, "call_1");
            assert_eq!(call.name, "search_foods");
            assert_eq!(
                call.parse_arguments().unwrap(),
                json!({"query": "egg", "limit": 5})
            );
            assert_eq!(response.finish_reason, FinishReason::ToolCalls, "{kind:?}");
        }
    }
}

#[tokio::test]
async fn parallel_tool_calls_are_kept_apart() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(
            Script::answer(
                vec![
                    Part::tool_start(0, "call_a", "log_food"),
                    Part::tool_args(0, "{\"food\": \"egg\","),
                    Part::tool_start(1, "call_b", "log_food"),
                    Part::tool_args(1, "{\"food\": \"toast\","),
                    Part::tool_args(0, " \"grams\": 100}"),
                    Part::tool_args(1, " \"grams\": 30}"),
                ],
                Finish::ToolCalls,
            )
            .in_pieces_of(11),
        );
        let response = client(&fake, kind).complete(&request()).await.unwrap();
        let calls: Vec<(String, Value)> = response
            .tool_calls
            .iter()
            .map(|c| (c.id.clone(), c.parse_arguments().unwrap()))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("call_a".to_string(), json!({"food": "egg", "grams": 100})),
                ("call_b".to_string(), json!({"food": "toast", "grams": 30})),
            ],
            "{kind:?}"
        );
        assert_eq!(response.text, "");
        assert_eq!(response.finish_reason, FinishReason::ToolCalls, "{kind:?}");
    }
}

#[tokio::test]
async fn malformed_tool_arguments_are_reported_not_fatal() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(Script::answer(
            vec![
                Part::tool_start(0, "call_bad", "log_food"),
                Part::tool_args(0, "{\"food\": \"egg\", \"grams\": "),
                Part::tool_start(1, "call_loose", "log_food"),
                Part::tool_args(1, "{'food': 'toast', 'grams': 30,}"),
            ],
            Finish::ToolCalls,
        ));
        let response = client(&fake, kind).complete(&request()).await.unwrap();
        assert_eq!(response.tool_calls.len(), 2, "{kind:?}");
        let bad = response.tool_calls[0].parse_arguments().unwrap_err();
        assert_eq!(bad.tool, "log_food");
        assert!(bad.raw.contains("\"grams\": "), "{kind:?}: {bad:?}");
        assert!(
            bad.to_string()
                .starts_with("the arguments of the call to log_food"),
            "{bad}"
        );
        assert_eq!(
            response.tool_calls[1].parse_arguments().unwrap(),
            json!({"food": "toast", "grams": 30}),
            "{kind:?}"
        );
        // The history with the malformed call can be sent back.
        let mut next = request();
        next.messages.push(response.to_message());
        next.messages
            .push(Message::tool_result("call_bad", bad.to_string(), true));
        next.messages.push(Message::tool_result(
            "call_loose",
            "{\"logged\": true}",
            false,
        ));
        fake.push(Script::text(&["Sorry, ", "how many grams?"]));
        let again = client(&fake, kind).complete(&next).await.unwrap();
        assert_eq!(again.text, "Sorry, how many grams?");
        let sent = &fake.requests()[1].body;
        match kind {
            ProviderKind::Anthropic => {
                let msgs = sent["messages"].as_array().unwrap();
                assert_eq!(msgs.last().unwrap()["content"][0]["is_error"], true);
                assert_eq!(msgs[1]["content"][0]["input"], json!({}));
            }
            ProviderKind::Ollama => {
                let msgs = sent["messages"].as_array().unwrap();
                assert_eq!(msgs[msgs.len() - 2]["tool_name"], "log_food");
                assert!(msgs[msgs.len() - 2]["content"]
                    .as_str()
                    .unwrap()
                    .starts_with("Error: "));
            }
            _ => {
                let msgs = sent["messages"].as_array().unwrap();
                assert_eq!(
                    msgs[2]["tool_calls"][0]["function"]["arguments"],
                    "{\"food\": \"egg\", \"grams\": "
                );
                assert_eq!(msgs[3]["tool_call_id"], "call_bad");
            }
        }
    }
}

#[tokio::test]
async fn reasoning_never_reaches_the_text() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(
            Script::answer(
                vec![
                    Part::reasoning("The user ate eggs."),
                    Part::text("<thi"),
                    Part::text("nk>Inline musing</th"),
                    Part::text("ink>\n\nLogged "),
                    Part::text("two eggs."),
                ],
                Finish::Stop,
            )
            .in_pieces_of(5),
        );
        let response = client(&fake, kind).complete(&request()).await.unwrap();
        assert_eq!(response.text, "Logged two eggs.", "{kind:?}");
        assert!(
            response.reasoning.contains("The user ate eggs."),
            "{kind:?}"
        );
        assert!(response.reasoning.contains("Inline musing"), "{kind:?}");
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(Script::error(ErrorKind::RateLimited).header("retry-after", "1"));
        fake.push(Script::text(&["ok"]));
        let (c, notices) = observed_client(&fake, kind);
        let response = c.complete(&request()).await.unwrap();
        assert_eq!(response.text, "ok");
        assert_eq!(fake.requests().len(), 2, "{kind:?}");
        let notices = notices.lock().unwrap().clone();
        assert_eq!(notices.len(), 1, "{kind:?}");
        assert_eq!(notices[0].delay, Duration::from_secs(1), "{kind:?}");
        assert!(notices[0].from_retry_after);
        assert!(
            notices[0].reason.contains("rate limiting"),
            "{}",
            notices[0].reason
        );
    }
}

#[tokio::test]
async fn a_500_is_retried_with_backoff_then_succeeds() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(Script::error(ErrorKind::ServerError));
        fake.push(Script::error(ErrorKind::Overloaded));
        fake.push(Script::text(&["fine"]));
        let (c, notices) = observed_client(&fake, kind);
        assert_eq!(c.complete(&request()).await.unwrap().text, "fine");
        let delays: Vec<Duration> = notices.lock().unwrap().iter().map(|n| n.delay).collect();
        assert_eq!(
            delays,
            vec![Duration::from_millis(10), Duration::from_millis(20)],
            "{kind:?}"
        );
        assert_eq!(fake.requests().len(), 3);
    }
}

#[tokio::test]
async fn rate_limits_that_persist_end_in_a_clear_error() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        for _ in 0..4 {
            fake.push(Script::error(ErrorKind::RateLimited).header("retry-after", "0"));
        }
        let err = client(&fake, kind).stream(&request()).await.unwrap_err();
        assert!(
            matches!(err, AiError::RateLimited { attempts: 4, .. }),
            "{kind:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("is rate limiting requests (429)"),
            "{err}"
        );
        assert!(err.to_string().contains("after 4 attempts"), "{err}");
        assert_eq!(fake.requests().len(), 4);
    }
    // A wait longer than the cap is not waited for; the error says how long.
    let fake = FakeAi::start().await;
    fake.push(Script::error(ErrorKind::RateLimited).header("retry-after", "120"));
    let err = client(&fake, ProviderKind::Anthropic)
        .stream(&request())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        AiError::RateLimited {
            provider: "Anthropic".into(),
            retry_after: Some(Duration::from_secs(120)),
            attempts: 1
        }
    );
    assert!(err.to_string().contains("asks to wait 120 s"), "{err}");
    assert_eq!(fake.requests().len(), 1);
    // No quota left is final.
    let fake = FakeAi::start().await;
    fake.push(Script::error(ErrorKind::QuotaExceeded));
    let err = client(&fake, ProviderKind::OpenAi)
        .stream(&request())
        .await
        .unwrap_err();
    assert!(matches!(err, AiError::QuotaExceeded { .. }), "{err:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_disconnect_mid_stream_is_an_error_not_a_short_answer() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(Script::text(&["Two ", "eggs ", "and ", "toast"]).disconnect_after(2));
        let c = client(&fake, kind);
        let got = events(&c, &request()).await;
        let last = got.last().unwrap();
        assert!(
            matches!(last, Err(AiError::Interrupted { .. })),
            "{kind:?}: {got:?}"
        );
        assert!(!got.iter().any(|e| matches!(e, Ok(StreamEvent::Finish(_)))));
        // The text streamed before the cut was delivered.
        assert_eq!(text_of(&got), "Two eggs ", "{kind:?}");
        fake.push(Script::text(&["Two ", "eggs"]).disconnect_after(1));
        let err = c.complete(&request()).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("closed before the answer was complete"),
            "{err}"
        );
        // Nothing is retried once the answer has started.
        assert_eq!(fake.requests().len(), 2);
    }
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(Script::text(&["Hello", " there"]).stall_after(1));
        let mut cfg = config(&fake, kind);
        cfg.timeouts = Timeouts {
            idle: Duration::from_millis(300),
            ..Timeouts::default()
        };
        let err = AiClient::new(cfg)
            .unwrap()
            .complete(&request())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AiError::Timeout {
                    phase: TimeoutPhase::Idle,
                    ..
                }
            ),
            "{kind:?}: {err:?}"
        );
        assert!(err.to_string().contains("stopped sending"), "{err}");
    }
    let fake = FakeAi::start().await;
    fake.push(Script::text(&["late"]).delay(Duration::from_secs(5)));
    let mut cfg = config(&fake, ProviderKind::Ollama);
    cfg.timeouts.response = Duration::from_millis(200);
    let err = AiClient::new(cfg)
        .unwrap()
        .stream(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AiError::Timeout {
                phase: TimeoutPhase::Response,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Ollama did not start answering within 200 ms"
    );
}

#[tokio::test]
async fn images_are_sent_in_each_format_and_the_answer_read_as_json() {
    let image = ImageData::from_bytes("image/jpeg", b"\xff\xd8\xff\xe0fake-jpeg");
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(Script::text(&[
            "Here is my estimate:\n```json\n{\"items\": [{\"name\": \"fried egg\", \"grams\": 9",
            "0}, {\"name\": \"toast\", \"grams\": 35},]}\n```",
        ]));
        let req = ChatRequest::new("fake-vision").message(Message::user_with_images(
            "Estimate this meal",
            vec![image.clone()],
        ));
        let response = client(&fake, kind).complete(&req).await.unwrap();
        assert_eq!(
            extract_json(&response.text).unwrap(),
            json!({"items": [{"name": "fried egg", "grams": 90}, {"name": "toast", "grams": 35}]}),
            "{kind:?}"
        );
        let sent = only_request(&fake).body;
        let user = &sent["messages"].as_array().unwrap().last().unwrap().clone();
        match kind {
            ProviderKind::Anthropic => {
                assert_eq!(
                    user["content"][0],
                    json!({"type": "text", "text": "Estimate this meal"})
                );
                assert_eq!(
                    user["content"][1],
                    json!({"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": image.data}})
                );
            }
            ProviderKind::Ollama => {
                assert_eq!(user["content"], "Estimate this meal");
                assert_eq!(user["images"], json!([image.data]));
            }
            _ => {
                assert_eq!(
                    user["content"][0],
                    json!({"type": "text", "text": "Estimate this meal"})
                );
                assert_eq!(user["content"][1]["type"], "image_url");
                assert_eq!(
                    user["content"][1]["image_url"]["url"],
                    format!("data:image/jpeg;base64,{}", image.data)
                );
            }
        }
    }
}

#[tokio::test]
async fn provider_errors_become_actionable_messages() {
    for kind in KINDS {
        let label = match kind {
            ProviderKind::OpenAiCompatible => "127.0.0.1".to_string(),
            other => other.display_name().to_string(),
        };
        let fake = FakeAi::start().await;
        let c = client(&fake, kind);

        fake.push(Script::error(ErrorKind::Unauthorized));
        let err = c.stream(&request()).await.unwrap_err();
        assert!(
            matches!(err, AiError::AuthFailed { status: 401, .. }),
            "{kind:?}: {err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("the API key was refused by {label}")),
            "{kind:?}: {err}"
        );
        assert!(err.to_string().contains("(401)"), "{err}");
        assert!(!err.to_string().contains("sk-test"));

        fake.push(Script::error(ErrorKind::ModelNotFound("gpt-nope".into())));
        let err = c
            .stream(&ChatRequest::new("gpt-nope").message(Message::user("hi")))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AiError::ModelNotFound { ref model, .. } if model == "gpt-nope"),
            "{kind:?}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("does not know the model \"gpt-nope\""),
            "{err}"
        );

        fake.push(Script::error(ErrorKind::ContextTooLong));
        let err = c.stream(&request()).await.unwrap_err();
        assert!(
            matches!(err, AiError::ContextTooLong { .. }),
            "{kind:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("the conversation is too long"),
            "{err}"
        );

        fake.push(Script::raw(404, "text/plain", "404 page not found"));
        let err = c.stream(&request()).await.unwrap_err();
        assert!(
            matches!(err, AiError::EndpointNotFound { .. }),
            "{kind:?}: {err:?}"
        );
        assert!(err.to_string().contains(&c.chat_url()), "{err}");

        // None of these is retried.
        assert_eq!(fake.requests().len(), 4, "{kind:?}");
    }
}

#[tokio::test]
async fn errors_inside_a_stream_and_garbage_are_reported() {
    let fake = FakeAi::start().await;
    fake.push(Script::raw(
        200,
        "text/event-stream",
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
    ));
    let got = events(&client(&fake, ProviderKind::Anthropic), &request()).await;
    assert!(
        matches!(
            got.last(),
            Some(Err(AiError::Unavailable { status: 529, .. }))
        ),
        "{got:?}"
    );

    let fake = FakeAi::start().await;
    fake.push(Script::raw(
        200,
        "text/event-stream",
        "data: {\"choices\": [{\"delta\": {\"content\": \"hi\"}}]}\n\ndata: {not json\n\n",
    ));
    let got = events(&client(&fake, ProviderKind::OpenAi), &request()).await;
    assert_eq!(text_of(&got), "hi");
    let last = got.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(last, AiError::MalformedResponse { .. }),
        "{last:?}"
    );
    assert!(last.to_string().contains("cannot read"), "{last}");

    let fake = FakeAi::start().await;
    fake.push(Script::raw(
        200,
        "application/x-ndjson",
        "{\"error\":\"model requires more system memory (9 GiB) than is available\"}\n",
    ));
    let got = events(&client(&fake, ProviderKind::Ollama), &request()).await;
    let last = got.last().unwrap().as_ref().unwrap_err();
    assert_eq!(
        last.to_string(),
        "Ollama reported an error: model requires more system memory (9 GiB) than is available"
    );
}

#[tokio::test]
async fn non_streaming_answers_are_parsed_like_streams() {
    for kind in KINDS {
        let fake = FakeAi::start().await;
        fake.push(
            Script::answer(
                vec![
                    Part::reasoning("thinking"),
                    Part::text("<think>more</think>I'll search."),
                    Part::tool_start(0, "call_9", "search_foods"),
                    Part::tool_args(0, "{\"query\": \"toast\"}"),
                ],
                Finish::ToolCalls,
            )
            .usage(50, 6),
        );
        let response = client(&fake, kind)
            .complete_unstreamed(&request())
            .await
            .unwrap();
        assert_eq!(response.text, "I'll search.", "{kind:?}");
        assert!(response.reasoning.contains("thinking") && response.reasoning.contains("more"));
        let calls: Vec<(&str, &str, Value)> = response
            .tool_calls
            .iter()
            .map(|c: &ToolCall| (c.id.as_str(), c.name.as_str(), c.parse_arguments().unwrap()))
            .collect();
        assert_eq!(
            calls,
            vec![("call_9", "search_foods", json!({"query": "toast"}))],
            "{kind:?}"
        );
        assert_eq!(response.finish_reason, FinishReason::ToolCalls, "{kind:?}");
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: 50,
                output_tokens: 6
            })
        );
        assert_eq!(only_request(&fake).body["stream"], false, "{kind:?}");

        // The same, handed over as a stream.
        fake.push(Script::text(&["plain"]));
        let got: Vec<_> = client(&fake, kind)
            .stream_unstreamed(&request())
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(text_of(&got), "plain");
        assert!(matches!(
            got.last(),
            Some(Ok(StreamEvent::Finish(FinishReason::Stop)))
        ));
    }
}

#[tokio::test]
async fn ollama_gets_an_explicit_context_size() {
    let fake = FakeAi::start().await;
    fake.push(Script::text(&["a"]));
    fake.push(Script::text(&["b"]));
    fake.push(Script::text(&["c"]));
    let default = client(&fake, ProviderKind::Ollama);
    default.complete(&request()).await.unwrap();
    let mut req = request();
    req.options = ChatOptions {
        context_size: Some(32768),
        max_tokens: Some(256),
        temperature: Some(0.1),
    };
    default.complete(&req).await.unwrap();
    let mut cfg = config(&fake, ProviderKind::Ollama);
    cfg.context_size = 8192;
    AiClient::new(cfg)
        .unwrap()
        .complete(&request())
        .await
        .unwrap();
    let sent = fake.requests();
    assert_eq!(sent[0].body["options"], json!({"num_ctx": 16384}));
    assert_eq!(sent[1].body["options"]["num_ctx"], 32768);
    assert_eq!(sent[1].body["options"]["num_predict"], 256);
    assert!((sent[1].body["options"]["temperature"].as_f64().unwrap() - 0.1).abs() < 1e-6);
    assert_eq!(sent[2].body["options"]["num_ctx"], 8192);
    assert!(sent.iter().all(|r| r.path == "/api/chat"));
}

#[tokio::test]
async fn a_closed_port_says_which_provider_cannot_be_reached() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for (kind, base, expected) in [
        (
            ProviderKind::Ollama,
            format!("http://127.0.0.1:{port}/v1"),
            format!("cannot reach Ollama at http://127.0.0.1:{port}: "),
        ),
        (
            ProviderKind::OpenAiCompatible,
            format!("127.0.0.1:{port}"),
            format!("cannot reach 127.0.0.1:{port} at http://127.0.0.1:{port}/v1: "),
        ),
    ] {
        let notices = Arc::new(Mutex::new(0u32));
        let sink = notices.clone();
        let mut cfg = ProviderConfig::new(kind).base_url(base);
        cfg.retry = RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            on_retry: Some(Arc::new(move |_: &RetryNotice| *sink.lock().unwrap() += 1)),
        };
        let err = AiClient::new(cfg)
            .unwrap()
            .complete(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, AiError::Unreachable { .. }), "{err:?}");
        assert!(err.to_string().starts_with(&expected), "{err}");
        assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
        assert_eq!(err.code(), "ai_unreachable");
        assert_eq!(
            *notices.lock().unwrap(),
            2,
            "connection failures are retried"
        );
    }
}

#[tokio::test]
async fn model_lists_test_a_configuration() {
    let fake = FakeAi::start().await;
    let models = client(&fake, ProviderKind::OpenAiCompatible)
        .list_models()
        .await
        .unwrap();
    assert_eq!(models, vec!["fake-model", "fake-vision"]);
    let models = client(&fake, ProviderKind::Ollama)
        .list_models()
        .await
        .unwrap();
    assert_eq!(models, vec!["fake-model:latest"]);
    let sent = fake.requests();
    assert_eq!(sent[0].path, "/v1/models");
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[1].path, "/api/tags");
    assert_eq!(fake.scripts_left(), 0);
}

#[tokio::test]
async fn extra_headers_and_a_missing_key_for_local_servers() {
    let fake = FakeAi::start().await;
    fake.push(Script::text(&["x"]));
    let mut cfg = ProviderConfig::new(ProviderKind::OpenAiCompatible).base_url(fake.url());
    cfg.extra_headers = vec![("X-Title".into(), "Sparky".into())];
    AiClient::new(cfg)
        .unwrap()
        .complete(&request())
        .await
        .unwrap();
    let sent = only_request(&fake);
    assert_eq!(sent.header("x-title"), Some("Sparky"));
    assert_eq!(sent.header("authorization"), None, "no key, no header");
}

/// No client follows a redirect (it could lead anywhere, the server's own network included);
/// the error says where it pointed.
#[tokio::test]
async fn redirects_are_not_followed() {
    let fake = FakeAi::start().await;
    let target = FakeAi::start().await;
    let c = client(&fake, ProviderKind::OpenAi);
    let location = format!("{}/v1/chat/completions", target.url());
    fake.push(Script::raw(307, "text/plain", "").header("Location", &location));
    let err = c.stream(&request()).await.unwrap_err();
    assert!(
        matches!(err, AiError::Redirected { status: 307, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&location), "{err}");
    assert!(err.is_configuration_problem());
    assert_eq!(fake.requests().len(), 1, "not retried");
    assert!(target.requests().is_empty(), "the redirect was followed");
}

/// A client for a provider a user chose (`public_only`) reaches public addresses only: a
/// literal private address is refused when the client is built, a name that resolves to one
/// at every connection. Without the flag the same server answers.
#[tokio::test]
async fn a_public_only_client_refuses_private_addresses() {
    let fake = FakeAi::start().await;
    let port = reqwest::Url::parse(fake.url()).unwrap().port().unwrap();

    let mut literal = config(&fake, ProviderKind::OpenAi);
    literal.public_only = true;
    let err = AiClient::new(literal).unwrap_err();
    assert!(matches!(err, AiError::InvalidConfig { .. }), "{err:?}");
    assert!(err.to_string().contains("private-network address"), "{err}");

    let by_name = |public_only: bool| {
        let mut c = ProviderConfig::new(ProviderKind::OpenAi)
            .base_url(format!("http://localhost:{port}/v1"))
            .api_key("sk-test");
        c.retry.max_retries = 0;
        c.public_only = public_only;
        AiClient::new(c).unwrap()
    };
    let err = by_name(true).stream(&request()).await.unwrap_err();
    assert!(matches!(err, AiError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("private-network address"), "{err}");
    assert!(fake.requests().is_empty(), "a private address was reached");

    fake.push(Script::text(&["hello"]));
    let mut stream = by_name(false).stream(&request()).await.unwrap();
    while let Some(event) = stream.next().await {
        event.unwrap();
    }
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_whole_json_answer_is_read_a_web_page_is_named_and_an_endless_stream_is_cut() {
    // A server that ignores `"stream": true` and answers one JSON document.
    let fake = FakeAi::start().await;
    fake.push(Script::raw(
        200,
        "application/json; charset=utf-8",
        &json!({"id": "x", "object": "chat.completion", "model": "fake-model", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Two eggs are 143 kcal."}, "finish_reason": "stop"}
        ]})
        .to_string(),
    ));
    let got = events(&client(&fake, ProviderKind::OpenAiCompatible), &request()).await;
    assert_eq!(text_of(&got), "Two eggs are 143 kcal.", "{got:?}");
    assert!(got.iter().all(|e| e.is_ok()), "{got:?}");

    // A wrong base URL that serves a web page.
    let fake = FakeAi::start().await;
    fake.push(Script::raw(
        200,
        "text/html",
        "<html><body>Welcome</body></html>",
    ));
    let err = client(&fake, ProviderKind::OpenAiCompatible)
        .stream(&request())
        .await
        .unwrap_err();
    assert!(matches!(err, AiError::MalformedResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("check the base URL"), "{err}");

    // A stream that goes on past the bound ends with an error instead of being held.
    let fake = FakeAi::start().await;
    let chunk = format!(
        "data: {}\n\n",
        json!({"choices": [{"delta": {"content": "x".repeat(60_000)}}]})
    );
    let body = chunk.repeat(sparky_ai::MAX_STREAM_BYTES / chunk.len() + 2);
    fake.push(Script::raw(200, "text/event-stream", &body));
    let got = events(&client(&fake, ProviderKind::OpenAi), &request()).await;
    let last = got.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(last, AiError::MalformedResponse { .. }),
        "{last:?}"
    );
    assert!(last.to_string().contains("without ending"), "{last}");
    assert!(text_of(&got).len() <= sparky_ai::MAX_STREAM_BYTES);
}
