//! What every conversion in this module is built from: [`Convert`], one step that moves out of
//! owned values and clones out of borrowed ones, its impls for the containers both crates use
//! (with the JSON rules for empty and absent lists and maps), and two macros that write the owned
//! and the borrowed impl from one body.
//!
//! The single-body trick: a body destructures its source with a struct pattern (or matches on
//! it). For an owned source the bindings are the fields themselves, moved out; for a borrowed
//! source, match ergonomics make them references, and `Convert` on a reference clones. So the
//! same text, emitted twice by [`owned_and_borrowed!`], is the moving and the cloning
//! conversion.

use std::collections::BTreeMap;

/// One conversion step that cannot fail.
pub(super) trait Convert<T> {
    /// The converted value.
    fn convert(self) -> T;
}

/// One conversion step for the parts that can fail: a timestamp one side cannot hold, an
/// `apiVersion` or `kind` k8s-openapi does not accept.
pub(super) trait TryConvert<T> {
    /// The converted value, or what did not fit.
    fn try_convert(self) -> Result<T, FieldError>;
}

/// What did not fit, before the top-level conversion names the kind (see
/// [`ConversionError`](super::ConversionError)).
#[derive(Debug)]
pub(super) struct FieldError {
    /// JSON path of the field, for example `metadata.creationTimestamp`.
    pub(super) field: &'static str,
    /// Why the value does not fit.
    pub(super) reason: String,
}

impl FieldError {
    /// The public error, naming the kind that was being converted.
    pub(super) fn of_kind(self, kind: &'static str) -> super::ConversionError {
        super::ConversionError {
            kind,
            field: self.field,
            reason: self.reason,
        }
    }
}

/// Implements [`Convert`] or [`TryConvert`] for `$src` and for `&$src` with one body, in which
/// `$v` is the source (see the module docs for why the same body moves in one and clones in the
/// other). Written like the impl it expands to, without the `self` and the return type.
macro_rules! owned_and_borrowed {
    (impl Convert<$dst:ty> for $src:ty { fn convert($v:ident) $body:block }) => {
        $crate::k8s::convert::owned_and_borrowed!(
            @both Convert<$dst> for $src, convert, $dst, $v, $body
        );
    };
    (impl TryConvert<$dst:ty> for $src:ty { fn try_convert($v:ident) $body:block }) => {
        $crate::k8s::convert::owned_and_borrowed!(
            @both TryConvert<$dst> for $src, try_convert,
            Result<$dst, $crate::k8s::convert::FieldError>, $v, $body
        );
    };
    (@both $trait:ident<$dst:ty> for $src:ty, $method:ident, $ret:ty, $v:ident, $body:block) => {
        impl $trait<$dst> for $src {
            fn $method(self) -> $ret {
                let $v = self;
                $body
            }
        }

        impl $trait<$dst> for &$src {
            fn $method(self) -> $ret {
                let $v = self;
                $body
            }
        }
    };
}
pub(super) use owned_and_borrowed;

/// [`Convert`] both ways between our structs and k8s-openapi's, owned and borrowed, for structs
/// whose fields have the same names on both sides; each field goes through its own `Convert`
/// impl. One `ours = theirs { fields };` entry per pair. A trailing `..` says the k8s-openapi
/// struct has fields we do not model: they are skipped when reading it and left `Default` when
/// building it. Our struct is always destructured without `..`, so a field added to our model
/// does not compile until it is mapped.
macro_rules! fields {
    () => {};
    ($ours:path = $theirs:path { $($field:ident),+ }; $($more:tt)*) => {
        $crate::k8s::convert::fields!(@one $theirs => $ours { $($field),+ } rest [] fill []);
        $crate::k8s::convert::fields!(@one $ours => $theirs { $($field),+ } rest [] fill []);
        $crate::k8s::convert::fields!($($more)*);
    };
    ($ours:path = $theirs:path { $($field:ident),+ , .. }; $($more:tt)*) => {
        $crate::k8s::convert::fields!(@one $theirs => $ours { $($field),+ } rest [..] fill []);
        $crate::k8s::convert::fields!(
            @one $ours => $theirs { $($field),+ } rest [] fill [..Default::default()]
        );
        $crate::k8s::convert::fields!($($more)*);
    };
    (@one $src:path => $dst:path { $($field:ident),+ } rest [$($rest:tt)*] fill [$($fill:tt)*]) => {
        $crate::k8s::convert::owned_and_borrowed! {
            impl Convert<$dst> for $src {
                fn convert(source) {
                    let $src { $($field,)+ $($rest)* } = source;
                    $dst { $($field: $crate::k8s::convert::Convert::convert($field),)+ $($fill)* }
                }
            }
        }
    };
}
pub(super) use fields;

/// Values both sides hold as the same type.
macro_rules! same {
    ($($t:ty),*) => {$(
        impl Convert<$t> for $t {
            fn convert(self) -> $t {
                self
            }
        }

        impl Convert<$t> for &$t {
            fn convert(self) -> $t {
                Clone::clone(self)
            }
        }
    )*};
}
same!(String, i32, bool);

impl<A: Convert<B>, B> Convert<Option<B>> for Option<A> {
    fn convert(self) -> Option<B> {
        self.map(A::convert)
    }
}

impl<'a, A, B> Convert<Option<B>> for &'a Option<A>
where
    &'a A: Convert<B>,
{
    fn convert(self) -> Option<B> {
        self.as_ref().map(Convert::convert)
    }
}

impl<A: Convert<B>, B> Convert<Vec<B>> for Vec<A> {
    fn convert(self) -> Vec<B> {
        self.into_iter().map(A::convert).collect()
    }
}

impl<'a, A, B> Convert<Vec<B>> for &'a Vec<A>
where
    &'a A: Convert<B>,
{
    fn convert(self) -> Vec<B> {
        self.iter().map(Convert::convert).collect()
    }
}

// k8s-openapi keeps optional lists as `Option<Vec<_>>`, we keep a `Vec` that is skipped in JSON
// when empty: an absent list reads as empty, an empty list is written as absent.

impl<A: Convert<B>, B> Convert<Vec<B>> for Option<Vec<A>> {
    fn convert(self) -> Vec<B> {
        self.map(Convert::convert).unwrap_or_default()
    }
}

impl<'a, A, B> Convert<Vec<B>> for &'a Option<Vec<A>>
where
    &'a A: Convert<B>,
{
    fn convert(self) -> Vec<B> {
        self.as_ref().map(Convert::convert).unwrap_or_default()
    }
}

impl<A: Convert<B>, B> Convert<Option<Vec<B>>> for Vec<A> {
    fn convert(self) -> Option<Vec<B>> {
        (!self.is_empty()).then(|| self.convert())
    }
}

impl<'a, A, B> Convert<Option<Vec<B>>> for &'a Vec<A>
where
    &'a A: Convert<B>,
{
    fn convert(self) -> Option<Vec<B>> {
        (!self.is_empty()).then(|| self.convert())
    }
}

// The same rule for string maps (labels, annotations, selectors).

impl<K, V> Convert<BTreeMap<K, V>> for Option<BTreeMap<K, V>> {
    fn convert(self) -> BTreeMap<K, V> {
        self.unwrap_or_default()
    }
}

impl<K: Clone, V: Clone> Convert<BTreeMap<K, V>> for &Option<BTreeMap<K, V>> {
    fn convert(self) -> BTreeMap<K, V> {
        self.clone().unwrap_or_default()
    }
}

impl<K, V> Convert<Option<BTreeMap<K, V>>> for BTreeMap<K, V> {
    fn convert(self) -> Option<BTreeMap<K, V>> {
        (!self.is_empty()).then_some(self)
    }
}

impl<K: Clone, V: Clone> Convert<Option<BTreeMap<K, V>>> for &BTreeMap<K, V> {
    fn convert(self) -> Option<BTreeMap<K, V>> {
        (!self.is_empty()).then(|| self.clone())
    }
}
