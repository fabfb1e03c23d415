//! `jexpr lsp`: a language server for journey files (`*.json` with
//! `nodes`) and expression files (`*.jexpr`), over stdio: diagnostics as
//! `journey check` and `check` give them, completion (node ids, journeys,
//! events, actions, audiences, and inside expressions events, fields and
//! functions), hover (a function's docs, an expression's type) and go to
//! definition (a `next` to its node, a jump to its journey's file).
//!
//! Synchronous, one request at a time, as the rest of the tools: documents
//! are small and checking one takes milliseconds.

mod analysis;
mod jsonctx;
mod text;

pub use analysis::Workspace;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{Completion, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, GotoDefinitionParams,
    GotoDefinitionResponse, HoverParams, HoverProviderCapability, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
};
use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Serves on standard input and output until the client shuts it down.
pub fn stdio() -> Result<()> {
    let (connection, threads) = Connection::stdio();
    run(&connection)?;
    drop(connection);
    threads.join()?;
    Ok(())
}

/// What the server can do.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                ["{", ".", "\"", "("]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

/// Serves one client on `connection` until it shuts the server down.
pub fn run(connection: &Connection) -> Result<()> {
    let init = connection.initialize(serde_json::to_value(capabilities())?)?;
    let mut ws = Workspace::default();
    if let Some(catalog) = init
        .get("initializationOptions")
        .and_then(|o| o.get("catalog"))
        .and_then(serde_json::Value::as_str)
    {
        ws.catalog = Some(catalog.into());
    }
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = answer(&ws, req);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(n) => {
                if let Some(uri) = update(&mut ws, n) {
                    let diagnostics = ws.diagnostics(uri.as_str());
                    let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
                    connection
                        .sender
                        .send(Message::Notification(Notification::new(
                            PublishDiagnostics::METHOD.to_string(),
                            params,
                        )))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// Applies a document notification; the document whose problems changed.
fn update(ws: &mut Workspace, n: Notification) -> Option<lsp_types::Uri> {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            ws.set(p.text_document.uri.as_str(), p.text_document.text);
            Some(p.text_document.uri)
        }
        DidChangeTextDocument::METHOD => {
            let p: DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            // Full sync: the last change is the whole text.
            let text = p.content_changes.into_iter().last()?.text;
            ws.set(p.text_document.uri.as_str(), text);
            Some(p.text_document.uri)
        }
        DidCloseTextDocument::METHOD => {
            let p: DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            ws.close(p.text_document.uri.as_str());
            None
        }
        _ => None,
    }
}

fn answer(ws: &Workspace, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        Completion::METHOD => serde_json::from_value::<CompletionParams>(req.params).map(|p| {
            let at = p.text_document_position;
            let items = ws.completion(at.text_document.uri.as_str(), at.position);
            serde_json::to_value(CompletionResponse::Array(items))
        }),
        HoverRequest::METHOD => serde_json::from_value::<HoverParams>(req.params).map(|p| {
            let at = p.text_document_position_params;
            serde_json::to_value(ws.hover(at.text_document.uri.as_str(), at.position))
        }),
        GotoDefinition::METHOD => {
            serde_json::from_value::<GotoDefinitionParams>(req.params).map(|p| {
                let at = p.text_document_position_params;
                let found = ws
                    .definition(at.text_document.uri.as_str(), at.position)
                    .map(GotoDefinitionResponse::Scalar);
                serde_json::to_value(found)
            })
        }
        other => {
            return Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("jexpr lsp does not answer {other}"),
            )
        }
    };
    match result {
        Ok(Ok(value)) => Response::new_ok(id, value),
        Ok(Err(e)) | Err(e) => Response::new_err(
            id,
            lsp_server::ErrorCode::InvalidParams as i32,
            e.to_string(),
        ),
    }
}
