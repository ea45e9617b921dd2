//! The one codec of the composite formats (SPEC.md 2.1): wire messages, the client state blob
//! and the server's store records are each described once, field by field, and both written and
//! read from that description.
//!
//! - [`Encode`] / [`Decode`] are a type's own encoding (integers, fixed arrays, keys, tokens,
//!   phone numbers, `Option` behind a presence byte).
//! - A [`Format`] says how a field is framed when its type alone does not: [`Bytes`] is a byte
//!   string or embedded object behind a length prefix, [`List`] a counted list. The prefix width
//!   and the maximum are part of the format's type, so the writer and the reader of a field
//!   cannot disagree. A length the prefix cannot count is an [`EncodeError`], never a cut
//!   prefix; stored formats also refuse a value over its maximum (wire messages write it, and
//!   the receiver refuses it).
//! - [`codec_struct!`] derives a struct's encoding from its fields in order, [`codec_enum!`] a
//!   tagged union's from its variants, and [`tags!`] defines a `#[repr(u8)]` tag enum whose
//!   byte values are written once.

use super::error::{EmbeddedError, WireError};
use crate::account::{AccountId, Channel};
use crate::certificate::{
    phone, Certificate, EncodedCertificate, HostKey, IssuerKeySet, PhoneNumber,
};
use crate::encoding::{DecodeError, DecodeErrorKind, EncodeError, Reader, Writer};
use crate::token::{PendingToken, TokenKeySet};
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

/// A type with one encoding of its own.
pub(crate) trait Encode {
    /// Appends the encoding; `field` names the value in an error.
    fn encode(&self, w: &mut Writer, field: &'static str) -> Result<(), EncodeError>;
}

/// A type with one decoder of its own, which validates everything.
pub(crate) trait Decode: Sized {
    /// Reads one value; `field` names it in an error.
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError>;
}

/// The names a field's errors carry: the field itself and, for a list, each item.
#[derive(Clone, Copy)]
pub(crate) struct Names {
    pub(crate) field: &'static str,
    pub(crate) item: &'static str,
}

impl From<&'static str> for Names {
    fn from(field: &'static str) -> Self {
        Self { field, item: field }
    }
}

impl From<(&'static str, &'static str)> for Names {
    fn from((field, item): (&'static str, &'static str)) -> Self {
        Self { field, item }
    }
}

/// How a field of type `T` is written and read.
pub(crate) trait Format<T> {
    /// Appends `value`.
    fn write(value: &T, w: &mut Writer, names: Names) -> Result<(), EncodeError>;
    /// Reads a value.
    fn read(r: &mut Reader<'_>, names: Names) -> Result<T, WireError>;
}

/// The format a type's own [`Encode`] and [`Decode`] define.
pub(crate) struct Own;

impl<T: Encode + Decode> Format<T> for Own {
    fn write(value: &T, w: &mut Writer, names: Names) -> Result<(), EncodeError> {
        value.encode(w, names.field)
    }

    fn read(r: &mut Reader<'_>, names: Names) -> Result<T, WireError> {
        T::decode(r, names.field)
    }
}

/// The width of a length prefix or count.
pub(crate) trait Width {
    /// Writes `len`, or returns `None` if the width cannot hold it.
    fn write(len: usize, w: &mut Writer) -> Option<()>;
    /// Reads a length.
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<usize, DecodeError>;
}

/// A one-byte length prefix or count.
pub(crate) struct U8;
/// A two-byte length prefix or count.
pub(crate) struct U16;
/// A four-byte length prefix or count.
pub(crate) struct U32;

impl Width for U8 {
    fn write(len: usize, w: &mut Writer) -> Option<()> {
        w.u8(u8::try_from(len).ok()?);
        Some(())
    }

    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<usize, DecodeError> {
        Ok(usize::from(r.u8(field)?))
    }
}

impl Width for U16 {
    fn write(len: usize, w: &mut Writer) -> Option<()> {
        w.u16(u16::try_from(len).ok()?);
        Some(())
    }

    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<usize, DecodeError> {
        Ok(usize::from(r.u16(field)?))
    }
}

impl Width for U32 {
    fn write(len: usize, w: &mut Writer) -> Option<()> {
        w.u32(u32::try_from(len).ok()?);
        Some(())
    }

    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<usize, DecodeError> {
        // On a 16-bit target a count above usize::MAX is over any maximum anyway.
        Ok(usize::try_from(r.u32(field)?).unwrap_or(usize::MAX))
    }
}

/// Writes the length prefix `len` of `field`: refuses a length the width cannot count, and one
/// over `max` if the writer enforces maxima.
fn write_len<W: Width>(
    len: usize,
    max: usize,
    w: &mut Writer,
    field: &'static str,
) -> Result<(), EncodeError> {
    let too_long = EncodeError {
        field,
        length: len,
        max,
    };
    if len > max && w.enforces_maxima() {
        return Err(too_long);
    }
    W::write(len, w).ok_or(too_long)
}

/// Reads the length prefix of `field` and refuses one over `max`.
fn read_len<W: Width>(
    r: &mut Reader<'_>,
    max: usize,
    field: &'static str,
) -> Result<usize, DecodeError> {
    let len = W::read(r, field)?;
    if len > max {
        return Err(DecodeError::new(
            field,
            DecodeErrorKind::TooLong { length: len, max },
        ));
    }
    Ok(len)
}

/// An object whose encoding has a variable length, embedded in a message behind a length
/// prefix ([`Bytes`]).
pub(crate) trait Embedded: Sized {
    /// The object's own encoding.
    fn to_embedded(&self) -> impl AsRef<[u8]>;
    /// Decodes the object from exactly `bytes`.
    fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError>;
}

/// `W` length prefix, then at most `MAX` bytes: a byte string or an embedded object.
pub(crate) struct Bytes<W, const MAX: usize>(PhantomData<W>);

impl<W: Width, const MAX: usize, T: Embedded> Format<T> for Bytes<W, MAX> {
    fn write(value: &T, w: &mut Writer, names: Names) -> Result<(), EncodeError> {
        let encoded = value.to_embedded();
        let bytes = encoded.as_ref();
        write_len::<W>(bytes.len(), MAX, w, names.field)?;
        w.bytes(bytes);
        Ok(())
    }

    fn read(r: &mut Reader<'_>, names: Names) -> Result<T, WireError> {
        let len = read_len::<W>(r, MAX, names.field)?;
        let bytes = r.bytes(names.field, len)?;
        T::from_embedded(bytes).map_err(|cause| WireError::Embedded {
            field: names.field,
            cause,
        })
    }
}

/// `W` count, then at most `MAX` items, each in format `F`.
pub(crate) struct List<W, const MAX: usize, F = Own>(PhantomData<(W, F)>);

impl<W: Width, const MAX: usize, F: Format<T>, T> Format<Vec<T>> for List<W, MAX, F> {
    fn write(value: &Vec<T>, w: &mut Writer, names: Names) -> Result<(), EncodeError> {
        write_items::<W, F, T>(value.len(), value.iter(), MAX, w, names)
    }

    fn read(r: &mut Reader<'_>, names: Names) -> Result<Vec<T>, WireError> {
        let count = read_len::<W>(r, MAX, names.field)?;
        // Never trust a count for allocation beyond what the input could hold.
        let mut out = Vec::with_capacity(count.min(r.remaining()));
        for _ in 0..count {
            out.push(F::read(r, names.item.into())?);
        }
        Ok(out)
    }
}

impl<W: Width, const MAX: usize, F: Format<T>, T> Format<VecDeque<T>> for List<W, MAX, F> {
    fn write(value: &VecDeque<T>, w: &mut Writer, names: Names) -> Result<(), EncodeError> {
        write_items::<W, F, T>(value.len(), value.iter(), MAX, w, names)
    }

    fn read(r: &mut Reader<'_>, names: Names) -> Result<VecDeque<T>, WireError> {
        <Self as Format<Vec<T>>>::read(r, names).map(VecDeque::from)
    }
}

fn write_items<'a, W: Width, F: Format<T>, T: 'a>(
    count: usize,
    items: impl Iterator<Item = &'a T>,
    max: usize,
    w: &mut Writer,
    names: Names,
) -> Result<(), EncodeError> {
    write_len::<W>(count, max, w, names.field)?;
    for item in items {
        F::write(item, w, names.item.into())?;
    }
    Ok(())
}

/// A `#[repr(u8)]` tag enum: its byte values are written here once, and every conversion goes
/// through `to_u8` / `from_u8`.
macro_rules! tags {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        $vis enum $name { $( $(#[$vmeta])* $variant = $value, )* }

        impl $name {
            /// The tag's byte.
            pub const fn to_u8(self) -> u8 {
                match self { $( Self::$variant => $value, )* }
            }

            /// The tag with this byte, if any.
            pub const fn from_u8(byte: u8) -> Option<Self> {
                match byte {
                    $( $value => Some(Self::$variant), )*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use tags;

/// Writes the tag byte `tag`.
pub(crate) fn write_tag(w: &mut Writer, tag: u8) {
    w.u8(tag);
}

/// Reads a tag byte with `from_u8`; an unknown byte is [`WireError::UnknownType`] of `message`.
pub(crate) fn read_tag<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    message: &'static str,
    from_u8: fn(u8) -> Option<T>,
) -> Result<T, WireError> {
    let found = r.u8(field)?;
    from_u8(found).ok_or(WireError::UnknownType { message, found })
}

/// Derives [`Encode`] and [`Decode`] for a struct from its fields, in encoding order:
/// `field: Format = names` (names: a `&str`, or a `(count, item)` pair for a list). Fields
/// listed after `transient` are not encoded and decode as their `Default` (state that lives
/// for one session only).
macro_rules! codec_struct {
    ($ty:ident { $( $field:ident : $format:ty = $names:expr ),* $(,)? }
        $( transient { $( $transient:ident ),* $(,)? } )?) => {
        impl $crate::wire::codec::Encode for $ty {
            fn encode(
                &self,
                w: &mut $crate::encoding::Writer,
                _field: &'static str,
            ) -> Result<(), $crate::encoding::EncodeError> {
                $( <$format as $crate::wire::codec::Format<_>>::write(&self.$field, w, $names.into())?; )*
                Ok(())
            }
        }

        impl $crate::wire::codec::Decode for $ty {
            fn decode(
                r: &mut $crate::encoding::Reader<'_>,
                _field: &'static str,
            ) -> Result<Self, $crate::wire::WireError> {
                Ok(Self {
                    $( $field: <$format as $crate::wire::codec::Format<_>>::read(r, $names.into())?, )*
                    $( $( $transient: Default::default(), )* )?
                })
            }
        }
    };
}
pub(crate) use codec_struct;

/// Derives [`Encode`] and [`Decode`] for a tagged union: a tag byte (of a [`tags!`] enum whose
/// variants have the union's variant names, read by the named function of the tag enum), then
/// the variant's fields in order. Variants are
/// written `Name {}`, `Name(binding: Format = names)` or `Name { field: Format = names, .. }`.
macro_rules! codec_enum {
    (
        $ty:ident by $tag:ident :: $read:ident
        { $( $variant:ident $body:tt ),* $(,)? }
    ) => {
        impl $crate::wire::codec::Encode for $ty {
            fn encode(
                &self,
                w: &mut $crate::encoding::Writer,
                _field: &'static str,
            ) -> Result<(), $crate::encoding::EncodeError> {
                match self {
                    $( $crate::wire::codec::variant_pattern!($ty::$variant $body) => {
                        $crate::wire::codec::write_tag(w, $tag::$variant.to_u8());
                        $crate::wire::codec::variant_write!(w, $body);
                    } )*
                }
                Ok(())
            }
        }

        impl $crate::wire::codec::Decode for $ty {
            fn decode(
                r: &mut $crate::encoding::Reader<'_>,
                _field: &'static str,
            ) -> Result<Self, $crate::wire::WireError> {
                Ok(match $tag::$read(r)? {
                    $( $tag::$variant => $crate::wire::codec::variant_read!(r, $ty::$variant $body), )*
                })
            }
        }
    };
}
pub(crate) use codec_enum;

/// The pattern that binds a variant's fields (for [`codec_enum!`]).
macro_rules! variant_pattern {
    ($ty:ident :: $variant:ident { $( $field:ident : $format:ty = $names:expr ),* $(,)? }) => {
        $ty::$variant { $( $field ),* }
    };
    ($ty:ident :: $variant:ident ( $( $field:ident : $format:ty = $names:expr ),* $(,)? )) => {
        $ty::$variant ( $( $field ),* )
    };
}
pub(crate) use variant_pattern;

/// Writes a variant's bound fields (for [`codec_enum!`]).
macro_rules! variant_write {
    ($w:ident, { $( $field:ident : $format:ty = $names:expr ),* $(,)? }) => {
        $( <$format as $crate::wire::codec::Format<_>>::write($field, $w, $names.into())?; )*
    };
    ($w:ident, ( $( $field:ident : $format:ty = $names:expr ),* $(,)? )) => {
        $( <$format as $crate::wire::codec::Format<_>>::write($field, $w, $names.into())?; )*
    };
}
pub(crate) use variant_write;

/// Reads a variant's fields and builds it (for [`codec_enum!`]).
macro_rules! variant_read {
    ($r:ident, $ty:ident :: $variant:ident { $( $field:ident : $format:ty = $names:expr ),* $(,)? }) => {
        $ty::$variant { $( $field: <$format as $crate::wire::codec::Format<_>>::read($r, $names.into())? ),* }
    };
    ($r:ident, $ty:ident :: $variant:ident ( $( $field:ident : $format:ty = $names:expr ),* $(,)? )) => {
        $ty::$variant ( $( <$format as $crate::wire::codec::Format<_>>::read($r, $names.into())? ),* )
    };
}
pub(crate) use variant_read;

/// Encodes with `write` into a fresh buffer.
pub(crate) fn encode_with(
    write: impl FnOnce(&mut Writer) -> Result<(), EncodeError>,
) -> Result<Vec<u8>, EncodeError> {
    let mut w = Writer::new();
    write(&mut w)?;
    Ok(w.finish())
}

/// The infallible encoding of a wire message (SPEC.md 2.1). A field over its maximum is
/// written whole (the receiver refuses it); a field longer than its length prefix can count is
/// not written: the encoding stops before its prefix, so every decoder refuses the result as
/// truncated and none reads a cut value.
pub(crate) fn message_bytes(write: impl FnOnce(&mut Writer) -> Result<(), EncodeError>) -> Vec<u8> {
    let mut w = Writer::for_messages();
    // The error is the documented stop; what was written up to it is the result.
    let _stopped = write(&mut w);
    w.finish()
}

// ---------------------------------------------------------------------------------------------
// Integers, arrays, flags and optional values.

macro_rules! integers {
    ($( $method:ident => $ty:ty ),* $(,)?) => { $(
        impl Encode for $ty {
            fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
                w.$method(*self);
                Ok(())
            }
        }

        impl Decode for $ty {
            fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
                Ok(r.$method(field)?)
            }
        }
    )* };
}
// A time is its seconds since the epoch, a big-endian u64 (SPEC.md 2.1).
integers!(u8 => u8, u16 => u16, u32 => u32, u64 => u64, time => crate::Time);

impl<const N: usize> Encode for [u8; N] {
    fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.bytes(self);
        Ok(())
    }
}

impl<const N: usize> Decode for [u8; N] {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        Ok(r.array(field)?)
    }
}

/// One byte, 0 or 1.
impl Encode for bool {
    fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.u8(u8::from(*self));
        Ok(())
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        match r.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(invalid(field)),
        }
    }
}

/// A presence byte (0 absent, 1 present), then the value if present.
impl<T: Encode> Encode for Option<T> {
    fn encode(&self, w: &mut Writer, field: &'static str) -> Result<(), EncodeError> {
        match self {
            None => {
                w.u8(0);
                Ok(())
            }
            Some(value) => {
                w.u8(1);
                value.encode(w, field)
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        if bool::decode(r, field)? {
            Ok(Some(T::decode(r, field)?))
        } else {
            Ok(None)
        }
    }
}

/// A presence byte, then the value in format `F` if present.
pub(crate) struct Optional<F>(PhantomData<F>);

impl<T, F: Format<T>> Format<Option<T>> for Optional<F> {
    fn write(value: &Option<T>, w: &mut Writer, names: Names) -> Result<(), EncodeError> {
        w.u8(u8::from(value.is_some()));
        match value {
            None => Ok(()),
            Some(value) => F::write(value, w, names),
        }
    }

    fn read(r: &mut Reader<'_>, names: Names) -> Result<Option<T>, WireError> {
        if bool::decode(r, names.field)? {
            Ok(Some(F::read(r, names)?))
        } else {
            Ok(None)
        }
    }
}

/// The error of a field whose value the format does not allow.
pub(crate) fn invalid(field: &'static str) -> WireError {
    WireError::Decode(DecodeError::new(field, DecodeErrorKind::InvalidValue))
}

// ---------------------------------------------------------------------------------------------
// Identifiers and embedded objects.

impl Encode for AccountId {
    fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.bytes(self.as_bytes());
        Ok(())
    }
}

impl Decode for AccountId {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        Ok(AccountId(r.array(field)?))
    }
}

impl Encode for crate::verification_code::CodeSession {
    fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.bytes(self.as_bytes());
        Ok(())
    }
}

impl Decode for crate::verification_code::CodeSession {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        Ok(Self::from_bytes(r.array(field)?))
    }
}

impl Encode for super::DeliveryHandle {
    fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.bytes(&self.0);
        Ok(())
    }
}

impl Decode for super::DeliveryHandle {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        Ok(super::DeliveryHandle(r.array(field)?))
    }
}

/// Fixed-size objects with their own `to_bytes` / `from_bytes`: written as is, read by their own
/// decoder (whose error is reported as embedded in the field).
macro_rules! fixed_size {
    ($( $ty:ty = $size:expr ),* $(,)?) => { $(
        impl Encode for $ty {
            fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
                let bytes = self.to_bytes();
                w.bytes(bytes.as_ref());
                Ok(())
            }
        }

        impl Decode for $ty {
            fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
                <$ty>::from_bytes(r.bytes(field, $size)?).map_err(super::embedded(field))
            }
        }
    )* };
}

fixed_size! {
    crate::bbs04::GroupPublicKey = crate::bbs04::GroupPublicKey::SIZE,
    crate::bbs04::GroupManagerKey = crate::bbs04::GroupManagerKey::SIZE,
    crate::bbs04::MemberKey = crate::bbs04::MemberKey::SIZE,
    crate::bbs04::MemberId = crate::bbs04::MemberId::SIZE,
    crate::bbs04::RevocationRecord = crate::bbs04::RevocationRecord::SIZE,
    crate::bbs04::GroupSignature = crate::bbs04::GroupSignature::SIZE,
    crate::bls::SecretKey = crate::bls::SECRET_KEY_LEN,
    crate::bls::PublicKey = crate::bls::PUBLIC_KEY_LEN,
    crate::bls::ProofOfPossession = crate::bls::SIGNATURE_LEN,
    crate::bls::Signature = crate::bls::SIGNATURE_LEN,
    crate::token::Token = crate::token::Token::LEN,
    crate::token::TokenRequest = crate::token::TokenRequest::LEN,
    crate::token::TokenResponse = crate::token::TokenResponse::LEN,
}

/// A checkpoint (SPEC.md 4.15): its own count says where it ends; read by its own decoder.
impl Encode for crate::bbs04::Checkpoint {
    fn encode(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.bytes(&self.to_bytes());
        Ok(())
    }
}

impl Decode for crate::bbs04::Checkpoint {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        crate::bbs04::Checkpoint::read(r).map_err(super::embedded(field))
    }
}

/// `vec8 phone` (SPEC.md 8.1), read by the one phone number decoder.
impl Encode for PhoneNumber {
    fn encode(&self, w: &mut Writer, field: &'static str) -> Result<(), EncodeError> {
        write_len::<U8>(self.as_bytes().len(), phone::MAX_LEN, w, field)?;
        w.bytes(self.as_bytes());
        Ok(())
    }
}

impl Decode for PhoneNumber {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        phone::read(r, field).map_err(|e| match e {
            phone::ReadError::Decode(e) => WireError::Decode(e),
            phone::ReadError::Encoded(cause) => WireError::Embedded {
                field,
                cause: cause.into(),
            },
        })
    }
}

impl Embedded for Vec<u8> {
    fn to_embedded(&self) -> impl AsRef<[u8]> {
        self.as_slice()
    }

    fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError> {
        Ok(bytes.to_vec())
    }
}

/// A certificate passed on undecoded (its reader decodes it).
impl Embedded for EncodedCertificate {
    fn to_embedded(&self) -> impl AsRef<[u8]> {
        self.as_bytes()
    }

    fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError> {
        Ok(EncodedCertificate::new(bytes.to_vec()))
    }
}

/// Secret bytes (for example a private key's PKCS#8 encoding), wiped when dropped.
impl Embedded for zeroize::Zeroizing<Vec<u8>> {
    fn to_embedded(&self) -> impl AsRef<[u8]> {
        self.as_slice()
    }

    fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError> {
        Ok(zeroize::Zeroizing::new(bytes.to_vec()))
    }
}

/// UTF-8 text.
impl Embedded for String {
    fn to_embedded(&self) -> impl AsRef<[u8]> {
        self.as_bytes()
    }

    fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError> {
        Ok(String::from_utf8(bytes.to_vec())?)
    }
}

/// A host key, or none as the empty string.
impl Embedded for Option<HostKey> {
    fn to_embedded(&self) -> impl AsRef<[u8]> {
        self.as_ref().map_or(&[][..], HostKey::as_bytes)
    }

    fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError> {
        if bytes.is_empty() {
            Ok(None)
        } else {
            Ok(Some(HostKey::new(bytes)?))
        }
    }
}

macro_rules! embedded {
    ($( $ty:ty ),* $(,)?) => { $(
        impl Embedded for $ty {
            fn to_embedded(&self) -> impl AsRef<[u8]> {
                self.to_bytes()
            }

            fn from_embedded(bytes: &[u8]) -> Result<Self, EmbeddedError> {
                Ok(<$ty>::from_bytes(bytes)?)
            }
        }
    )* };
}

embedded!(
    Certificate,
    IssuerKeySet,
    TokenKeySet,
    PendingToken,
    crate::bulk::BulkProof
);

tags! {
    /// The tag of a [`Channel`] in the client state.
    pub(crate) enum ChannelTag {
        Direct = 0,
        Anonymous = 1,
        Authenticated = 2,
    }
}

impl ChannelTag {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "channel", "channel", Self::from_u8)
    }
}

codec_enum! {
    Channel by ChannelTag::read {
        Direct {},
        Anonymous {},
        Authenticated(account: Own = "channel.account"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_over_its_maximum_is_refused_on_write_and_on_read() {
        type Small = List<U8, 2>;
        let mut w = Writer::new();
        let three = alloc::vec![1u8, 2, 3];
        assert_eq!(
            <Small as Format<Vec<u8>>>::write(&three, &mut w, "l".into()),
            Err(EncodeError {
                field: "l",
                length: 3,
                max: 2
            })
        );
        assert!(
            w.finish().is_empty(),
            "nothing is written for a refused list"
        );
        let mut r = Reader::new(&[3, 1, 2, 3]);
        assert_eq!(
            <Small as Format<Vec<u8>>>::read(&mut r, "l".into()).unwrap_err(),
            WireError::Decode(DecodeError::new(
                "l",
                DecodeErrorKind::TooLong { length: 3, max: 2 }
            ))
        );
    }

    #[test]
    fn a_prefix_too_narrow_for_the_length_is_refused() {
        // A maximum above the width's range is still bounded by the width.
        type Wide = Bytes<U8, 1000>;
        let long = alloc::vec![0u8; 256];
        let mut w = Writer::new();
        assert_eq!(
            <Wide as Format<Vec<u8>>>::write(&long, &mut w, "b".into()),
            Err(EncodeError {
                field: "b",
                length: 256,
                max: 1000
            })
        );
        let ok = alloc::vec![7u8; 255];
        <Wide as Format<Vec<u8>>>::write(&ok, &mut w, "b".into()).unwrap();
        let bytes = w.finish();
        assert_eq!(bytes.len(), 256);
        assert_eq!(bytes[0], 255);
        let back = <Wide as Format<Vec<u8>>>::read(&mut Reader::new(&bytes), "b".into()).unwrap();
        assert_eq!(back, ok);
    }

    #[test]
    fn flags_and_presence_bytes_accept_only_zero_and_one() {
        for (byte, expected) in [(0u8, Some(false)), (1, Some(true)), (2, None), (255, None)] {
            let got = bool::decode(&mut Reader::new(&[byte]), "f").ok();
            assert_eq!(got, expected, "byte {byte}");
        }
        let mut r = Reader::new(&[2, 0, 0, 0, 0]);
        assert_eq!(
            Option::<u32>::decode(&mut r, "o").unwrap_err(),
            invalid("o")
        );
        let mut w = Writer::new();
        Some(5u32).encode(&mut w, "o").unwrap();
        None::<u32>.encode(&mut w, "o").unwrap();
        let bytes = w.finish();
        assert_eq!(bytes, [1, 0, 0, 0, 5, 0]);
        let mut r = Reader::new(&bytes);
        assert_eq!(Option::<u32>::decode(&mut r, "o").unwrap(), Some(5));
        assert_eq!(Option::<u32>::decode(&mut r, "o").unwrap(), None);
        r.finish("o").unwrap();
    }

    #[test]
    fn tags_convert_one_way_and_back() {
        for tag in [
            ChannelTag::Direct,
            ChannelTag::Anonymous,
            ChannelTag::Authenticated,
        ] {
            assert_eq!(ChannelTag::from_u8(tag.to_u8()), Some(tag));
        }
        assert_eq!(ChannelTag::from_u8(3), None);
        let err = Channel::decode(&mut Reader::new(&[3]), "c").unwrap_err();
        assert_eq!(
            err,
            WireError::UnknownType {
                message: "channel",
                found: 3
            }
        );
    }
}
