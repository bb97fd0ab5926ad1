//! Handlers: async functions whose arguments are extractors and whose
//! result is a response. Each arity is one generic impl, monomorphised
//! once per handler, called from one flat dispatch.
//!
//! ```
//! use core::sync::atomic::{AtomicU32, Ordering};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! struct Counter(AtomicU32);
//!
//! // Any `async fn` whose arguments are extractors is a handler.
//! async fn add(State(c): State<&Counter>, Path(n): Path<u32>, query: Query<'_>) -> String {
//!     let step = n * query.parse::<u32>("times").unwrap_or(1);
//!     (c.0.fetch_add(step, Ordering::Relaxed) + step).to_string()
//! }
//! ferrodot::routes! { Api<Counter> { POST "/add/<int:n>" => add } }
//! static APP: App<Counter, Api> = App::new(Counter(AtomicU32::new(0)), Api);
//!
//! let client = TestClient::new(&APP);
//! assert_eq!(client.post("/add/2?times=3", "").body, b"6");
//! assert_eq!(client.post("/add/x", "").status, Status::NOT_FOUND); // `x` is not an `int`
//! ```

use core::future::Future;

use super::extract::FromRequest;
use super::respond::IntoResponse;
use crate::http::Request;
use crate::server::{RequestBody, ResponseWriter, WriteError};

/// Something that can answer a request: implemented for `async fn`s of
/// up to six extractor arguments.
///
/// `call` returns an `async move` block rather than being an `async fn`:
/// an `async fn` holds each argument twice in its future.
pub trait Handler<'r, S, Args> {
    /// Extracts the arguments from the request, runs the handler and writes its
    /// response into `out`.
    fn call<'b: 'r>(
        &self,
        req: &'r Request<'r>,
        state: &'r S,
        body: &'r RequestBody<'b>,
        out: &mut ResponseWriter<'_>,
    ) -> impl Future<Output = Result<(), WriteError>>;
}

macro_rules! handler_impl {
    ($($arg:ident),*) => {
        impl<'r, S, F, Fut, Res, $($arg),*> Handler<'r, S, ($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut,
            Fut: Future<Output = Res>,
            Res: IntoResponse,
            $($arg: FromRequest<'r, S>,)*
        {
            // Without arguments nothing breaks out of `'extract`: hence
            // the unused label and the code it leaves unreachable.
            #[allow(
                non_snake_case,
                unused_variables,
                unused_labels,
                unreachable_code,
                clippy::diverging_sub_expression,
                clippy::manual_async_fn
            )]
            fn call<'b: 'r>(
                &self,
                req: &'r Request<'r>,
                state: &'r S,
                body: &'r RequestBody<'b>,
                out: &mut ResponseWriter<'_>,
            ) -> impl Future<Output = Result<(), WriteError>> {
                async move {
                    // One `.await` answers every rejection, after the
                    // extractors' results are gone: awaited inside each
                    // `match`, the error reply would sit beside that
                    // extractor's result, once per extractor.
                    let rejection = 'extract: {
                        $(
                            let $arg = match $arg::from_request(req, state, body).await {
                                Ok(value) => value,
                                Err(rejection) => break 'extract rejection,
                            };
                        )*
                        return (self)($($arg),*).await.into_response(out).await;
                    };
                    out.error(rejection).await
                }
            }
        }
    };
}

handler_impl!();
handler_impl!(A1);
handler_impl!(A1, A2);
handler_impl!(A1, A2, A3);
handler_impl!(A1, A2, A3, A4);
handler_impl!(A1, A2, A3, A4, A5);
handler_impl!(A1, A2, A3, A4, A5, A6);

/// Call `handler` for a request: the one generic step behind every
/// dispatch arm. It returns the handler's own future: an `async fn` here
/// would wrap it in one more state machine, holding the arguments again.
pub fn invoke<'r, 'b: 'r, 'h, 'o, 'w, S, A, H: Handler<'r, S, A>>(
    handler: &'h H,
    req: &'r Request<'r>,
    state: &'r S,
    body: &'r RequestBody<'b>,
    out: &'o mut ResponseWriter<'w>,
) -> impl Future<Output = Result<(), WriteError>> + use<'r, 'b, 'h, 'o, 'w, S, A, H> {
    handler.call(req, state, body, out)
}
