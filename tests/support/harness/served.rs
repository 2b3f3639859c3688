//! A loopback server that gives fixed answers by path (the query is not
//! looked at): for answers made from the recordings, larger or stranger
//! than any recorded one (see `bodies`), sent to the app's real clients.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// What the server answers to one path.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Arc<Vec<u8>>,
}

impl Answer {
    pub fn json(body: Vec<u8>) -> Self {
        Answer::with_status(200, "application/json", body)
    }

    pub fn with_status(status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Answer {
            status,
            content_type,
            body: Arc::new(body),
        }
    }
}

/// Serves `answers` (path → answer) on a free loopback port; returns its
/// base URL. Other paths are a 404, as a real server's unknown route.
pub async fn start(answers: HashMap<String, Answer>) -> String {
    let answers = Arc::new(answers);
    let app = Router::new().fallback(move |request: Request<Body>| {
        let answer = answers.get(request.uri().path()).cloned();
        async move { respond(answer) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("served") });
    url
}

fn respond(answer: Option<Answer>) -> Response {
    let Some(answer) = answer else {
        return (StatusCode::NOT_FOUND, "404 page not found\n").into_response();
    };
    let status = StatusCode::from_u16(answer.status).expect("a status code");
    let body = Body::from(answer.body.as_ref().clone());
    (status, [(header::CONTENT_TYPE, answer.content_type)], body).into_response()
}
