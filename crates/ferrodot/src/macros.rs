//! `routes!`: a route table and its dispatch, written as data.

/// Declare a route table type and its handlers.
///
/// ```
/// use ferrodot::prelude::*;
///
/// struct Camera;
/// async fn status() -> &'static str { "ok" }
/// async fn trigger(State(_cam): State<&Camera>) -> Status { Status::NO_CONTENT }
/// async fn config(Json(interval): Json<u32>) -> Json<u32> { Json(interval) }
///
/// ferrodot::routes! {
///     pub CameraRoutes<Camera> {
///         GET "/status" => status,
///         POST "/trigger" => trigger,
///         PUT "/config" .max_body(64).require_length() => config,
///     }
/// }
/// // The same handlers mounted under a prefix:
/// ferrodot::routes! {
///     pub ApiRoutes<Camera> at "/api" {
///         GET "/status" => status,
///     }
/// }
/// // Groups combine as tuples, with no heap: `/status`, …, `/api/status`.
/// static APP: App<Camera, (CameraRoutes, ApiRoutes)> = App::new(Camera, (CameraRoutes, ApiRoutes));
/// assert_eq!(APP.route_list().count(), 4);
/// ```
///
/// This defines `pub struct CameraRoutes;` whose table is a `static`
/// array (each pattern checked at compile time: a bad pattern or method
/// is a build error) and whose dispatch is one flat chain of
/// comparisons, one arm per route.
#[macro_export]
macro_rules! routes {
    (
        $vis:vis $name:ident < $state:ty > at $prefix:literal {
            $( $method:ident $pattern:literal $( . $opt:ident ( $($arg:expr),* ) )* => $handler:expr ),* $(,)?
        }
    ) => {
        $crate::routes!(@define $vis $name $state;
            $( $method (concat!($prefix, $pattern)) $( . $opt ( $($arg),* ) )* => $handler ),*);
    };
    (
        $vis:vis $name:ident < $state:ty > {
            $( $method:ident $pattern:literal $( . $opt:ident ( $($arg:expr),* ) )* => $handler:expr ),* $(,)?
        }
    ) => {
        $crate::routes!(@define $vis $name $state;
            $( $method ($pattern) $( . $opt ( $($arg),* ) )* => $handler ),*);
    };
    (@define $vis:vis $name:ident $state:ty;
        $( $method:ident ($pattern:expr) $( . $opt:ident ( $($arg:expr),* ) )* => $handler:expr ),*
    ) => {
        #[doc = concat!(
            "The route group `", stringify!($name), "`, declared with `ferrodot::routes!`: ",
            "its routes are in [`Self::TABLE`]."
        )]
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;

        impl $name {
            /// The route table, in match order.
            pub const TABLE: &'static [$crate::__private::Route<'static>] = &[
                $( $crate::__private::Route::from_name(stringify!($method), $pattern) $( . $opt ( $($arg),* ) )* ),*
            ];
        }

        impl $crate::__private::Dispatch<$state> for $name {
            fn route_count(&self) -> usize {
                Self::TABLE.len()
            }

            fn route(&self, index: usize) -> Option<&$crate::__private::Route<'_>> {
                Self::TABLE.get(index)
            }

            async fn call(
                &self,
                index: usize,
                req: &$crate::__private::Request<'_>,
                state: &$state,
                body: &$crate::__private::RequestBody<'_>,
                out: &mut $crate::__private::ResponseWriter<'_>,
            ) -> Result<(), $crate::__private::WriteError> {
                let mut arm = 0usize;
                $(
                    if index == arm {
                        return $crate::__private::invoke(&$handler, req, state, body, out).await;
                    }
                    arm += 1;
                )*
                let _ = arm;
                Ok(())
            }
        }
    };
}
