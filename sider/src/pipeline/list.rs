//! [`ReplyList`]: the type-level list of a pipeline's reply types, and its flat tuple.
//!
//! A pipeline's list grows by nesting, `((((), A), B), C)`, because each command appends one
//! type; `execute()` hands it out flat, `(A, B, C)`. The impls for every length up to 48 come
//! from one macro.

use super::slot;
use crate::error::Error;
use crate::pipeline::Names;
use crate::reply::FromReply;
use crate::resp::Frame;

/// The reply types of a pipeline's commands, in order.
#[diagnostic::on_unimplemented(
    message = "a typed pipeline holds at most 48 commands",
    label = "this pipeline's reply list is too long for a tuple",
    note = "use `client.batch()` for long or looped pipelines; it returns a `Vec`"
)]
pub trait ReplyList {
    /// The decoded replies as a flat tuple.
    type Tuple;
    /// Each reply's own `Result`, as a flat tuple.
    type Each;
    /// How many commands.
    const LEN: usize;

    /// Decodes every reply; the first failure is the error.
    #[doc(hidden)]
    ///
    /// # Errors
    ///
    /// The first error reply or undecodable reply, with its position and command.
    fn decode(frames: Vec<Frame>, names: &Names) -> Result<Self::Tuple, Error>;

    /// Decodes every reply into its own `Result`.
    #[doc(hidden)]
    fn decode_each(frames: Vec<Frame>, names: &Names) -> Self::Each;
}

macro_rules! nest {
    (@acc $acc:ty ;) => { $acc };
    (@acc $acc:ty ; $head:ident $($tail:ident)*) => { nest!(@acc ($acc, $head) ; $($tail)*) };
    ($($t:ident)*) => { nest!(@acc () ; $($t)*) };
}

macro_rules! reply_list {
    ($len:expr; $($t:ident $i:tt)*) => {
        impl<$($t: FromReply),*> ReplyList for nest!($($t)*) {
            type Tuple = ($($t,)*);
            type Each = ($(Result<$t, Error>,)*);
            const LEN: usize = $len;

            #[allow(unused_variables, unused_mut)]
            fn decode(frames: Vec<Frame>, names: &Names) -> Result<Self::Tuple, Error> {
                let mut frames = frames.into_iter();
                Ok(($(slot::<$t>(frames.next(), $i, $len, names)?,)*))
            }

            #[allow(unused_variables, unused_mut, clippy::unused_unit)]
            fn decode_each(frames: Vec<Frame>, names: &Names) -> Self::Each {
                let mut frames = frames.into_iter();
                ($(slot::<$t>(frames.next(), $i, $len, names),)*)
            }
        }
    };
}

macro_rules! reply_lists {
    (@go [$($done:tt)*] ; $n:expr ;) => {};
    (@go [$($done:tt)*] ; $n:expr ; $t:ident $i:tt $($rest:tt)*) => {
        reply_list!($n + 1; $($done)* $t $i);
        reply_lists!(@go [$($done)* $t $i] ; $n + 1 ; $($rest)*);
    };
    ($($all:tt)*) => {
        reply_list!(0;);
        reply_lists!(@go [] ; 0 ; $($all)*);
    };
}

reply_lists! {
    T0 0 T1 1 T2 2 T3 3 T4 4 T5 5 T6 6 T7 7 T8 8 T9 9 T10 10 T11 11 T12 12 T13 13 T14 14 T15 15
    T16 16 T17 17 T18 18 T19 19 T20 20 T21 21 T22 22 T23 23 T24 24 T25 25 T26 26 T27 27 T28 28
    T29 29 T30 30 T31 31 T32 32 T33 33 T34 34 T35 35 T36 36 T37 37 T38 38 T39 39 T40 40 T41 41
    T42 42 T43 43 T44 44 T45 45 T46 46 T47 47
}
