//! Response compression for the clients that ask for it: tower-http's [`CompressionLayer`] wraps every response
//! body (one more boxed body per answer) even when the request has no `Accept-Encoding`, so such requests go
//! straight to the inner service here and only the others pass through the compressor.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::ACCEPT_ENCODING;
use axum::response::Response;
use futures_util::FutureExt as _;
use futures_util::future::{Either, Map};
use tower::{Layer, Service};
use tower_http::compression::predicate::Predicate;
use tower_http::compression::{Compression, CompressionBody, CompressionLayer};

/// [`CompressionLayer`] applied only to requests that send `Accept-Encoding`.
#[derive(Debug, Clone)]
pub struct AskedCompressionLayer<P> {
    compression: CompressionLayer<P>,
}

impl<P> AskedCompressionLayer<P> {
    /// Compresses as `compression` does, for requests that send `Accept-Encoding`.
    pub fn new(compression: CompressionLayer<P>) -> Self {
        AskedCompressionLayer { compression }
    }
}

impl<S: Clone, P: Predicate> Layer<S> for AskedCompressionLayer<P> {
    type Service = AskedCompression<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        AskedCompression {
            plain: inner.clone(),
            compressed: self.compression.layer(inner),
        }
    }
}

/// The service of [`AskedCompressionLayer`].
#[derive(Clone)]
pub struct AskedCompression<S, P> {
    plain: S,
    compressed: Compression<S, P>,
}

impl<S, P> std::fmt::Debug for AskedCompression<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AskedCompression").finish_non_exhaustive()
    }
}

type Compressed = Result<Response<CompressionBody<Body>>, Infallible>;

fn into_body(result: Compressed) -> Result<Response, Infallible> {
    result.map(|response| response.map(Body::new))
}

impl<S, P> Service<Request> for AskedCompression<S, P>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
    P: Predicate,
    Compression<S, P>:
        Service<Request, Response = Response<CompressionBody<Body>>, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        S::Future,
        Map<
            <Compression<S, P> as Service<Request>>::Future,
            fn(Compressed) -> Result<Response, Infallible>,
        >,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self.plain.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.compressed.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.headers().contains_key(ACCEPT_ENCODING) {
            let into_body: fn(Compressed) -> Result<Response, Infallible> = into_body;
            Either::Right(self.compressed.call(request).map(into_body))
        } else {
            Either::Left(self.plain.call(request))
        }
    }
}
