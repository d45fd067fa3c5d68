//! The assistant: a tool registry over the application's operations (shared with the MCP
//! server), the log of its writes for undo, and the agent loop that drives a model through
//! `sparky-ai`; photos of meals and nutrition labels read by the user's vision model.

pub mod actions;
pub mod agent;
pub mod config;
pub mod label;
pub mod mcp;
mod model_values;
pub mod photos;
pub mod proposals;
pub mod tools;

pub use actions::{Action, Card, Undo};
pub use agent::{AgentSettings, ChatEvent, PreparedTurn, TurnInput};
pub use tools::{Question, ToolContext, ToolOutput};
