//! `routes!`: a route table and its dispatch, written as data.

/// Declare a route table type and its handlers.
///
/// ```ignore
/// ferrodot::routes! {
///     pub CameraRoutes<Camera> {
///         GET "/status" => status,
///         POST "/trigger" => trigger,
///         PUT "/config" .max_body(256).require_length() => set_config,
///     }
/// }
/// ```
///
/// This defines `pub struct CameraRoutes;` whose table is a `static`
/// array (each pattern checked at compile time) and whose dispatch is one
/// flat chain of comparisons, one arm per route.
#[macro_export]
macro_rules! routes {
    (
        $vis:vis $name:ident < $state:ty > {
            $( $method:ident $pattern:literal $( . $opt:ident ( $($arg:expr),* ) )* => $handler:expr ),* $(,)?
        }
    ) => {
        #[derive(Clone, Copy, Debug, Default)]
        $vis struct $name;

        impl $name {
            /// The route table, in match order.
            pub const TABLE: &'static [$crate::__private::Route<'static>] = &[
                $( $crate::__private::Route::from_name(stringify!($method), $pattern) $( . $opt ( $($arg),* ) )* ),*
            ];
        }

        impl $crate::__private::Dispatch<$state> for $name {
            fn routes(&self) -> &[$crate::__private::Route<'_>] {
                Self::TABLE
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
