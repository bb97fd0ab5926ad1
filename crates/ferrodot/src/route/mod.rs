//! Routing: route patterns compiled at build time, matched by one small
//! interpreter, and route tables that are plain data.

pub mod pattern;
pub mod table;

pub use pattern::{Pattern, PatternError};
pub use table::{Lookup, Route, RouteMatch};
