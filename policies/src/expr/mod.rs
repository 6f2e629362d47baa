//! Expressions over an operation's inputs and its upstream operations' outputs, used for
//! conditional scheduling (`conditions`) and queue routing.

mod value;

pub use value::{Params, Value};
