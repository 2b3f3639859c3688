//! The size cap for the API server's answers. kube reads a list whole:
//! without a cap, a proxy (or a broken server) sending an endless body
//! would take all memory. Watches and followed logs are streams that may
//! rightly go on for ever; they are not capped.

use crate::backend::answer::MAX_BODY_BYTES;
use futures::future::BoxFuture;
use http::{Request, Response};
use http_body_util::Limited;
use kube::client::Body;
use std::task::{Context, Poll};

/// Wraps kube's service stack: each answer's body is read up to the cap.
#[derive(Clone, Copy, Debug, Default)]
pub struct CapBodies;

impl<S> tower::Layer<S> for CapBodies {
    type Service = Capped<S>;
    fn layer(&self, inner: S) -> Capped<S> {
        Capped(inner)
    }
}

#[derive(Clone)]
pub struct Capped<S>(S);

impl<S, B> tower::Service<Request<Body>> for Capped<S>
where
    S: tower::Service<Request<Body>, Response = Response<B>>,
    S::Future: Send + 'static,
{
    type Response = Response<Limited<B>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let limit = if is_stream(request.uri()) {
            usize::MAX
        } else {
            MAX_BODY_BYTES
        };
        let answer = self.0.call(request);
        Box::pin(async move { Ok(answer.await?.map(|body| Limited::new(body, limit))) })
    }
}

/// A watch or a followed log: answers that go on.
fn is_stream(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "watch=true" || p == "follow=true")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_and_followed_logs_are_streams() {
        let uri = |s: &str| s.parse::<http::Uri>().ok();
        let stream = |s| uri(s).is_some_and(|u| is_stream(&u));
        assert!(stream("/api/v1/pods?watch=true&resourceVersion=1"));
        assert!(stream(
            "/api/v1/namespaces/shop/pods/x/log?container=a&follow=true"
        ));
        assert!(!stream("/api/v1/pods?limit=500"));
        assert!(!stream("/api/v1/namespaces/shop/pods/x/log?follow=false"));
    }
}
