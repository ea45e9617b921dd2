//! The error codes of responses (SPEC.md 11.4): one per failure reason.

use core::fmt;

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $name:ident = $code:literal, $text:literal; )*) => {
        /// Why the server refused a request. The numeric codes are part of the wire format.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $name, )*
            /// A code this library version does not know (from a newer server).
            Unknown(u16),
        }

        impl ErrorCode {
            /// The code's number on the wire.
            pub fn to_u16(self) -> u16 {
                match self {
                    $( ErrorCode::$name => $code, )*
                    ErrorCode::Unknown(code) => code,
                }
            }

            /// The code with this number.
            pub fn from_u16(code: u16) -> Self {
                match code {
                    $( $code => ErrorCode::$name, )*
                    other => ErrorCode::Unknown(other),
                }
            }

            /// The code's name as SPEC.md writes it.
            pub fn name(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => $text, )*
                    ErrorCode::Unknown(_) => "unknown",
                }
            }

            /// Every known code, for tests and documentation.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];
        }
    };
}

error_codes! {
    /// The request did not decode.
    Malformed = 1, "malformed";
    /// The request type is not allowed on the channel it came by.
    WrongChannel = 2, "wrong_channel";
    /// The store failed; nothing was changed.
    Internal = 3, "internal";
    /// The code session has used up its verification code checks.
    TooManyAttempts = 10, "too_many_attempts";
    /// The verification code is wrong or expired, or no code was requested for the session.
    WrongCode = 11, "wrong_code";
    /// The identity key's proof of possession does not verify.
    BadProofOfPossession = 12, "bad_proof_of_possession";
    /// The registration carries more token requests than allowed.
    TooManyTokenRequests = 13, "too_many_token_requests";
    /// The identity key is registered to another phone number.
    AccountConflict = 14, "account_conflict";
    /// The code session already registered another request: one code, one registration.
    CodeUsed = 15, "code_used";
    /// No account has this id.
    UnknownRecipient = 20, "unknown_recipient";
    /// The token does not verify under the purpose's keys and challenge.
    InvalidToken = 21, "invalid_token";
    /// The token is already attached, spent or renewed.
    TokenSpent = 22, "token_spent";
    /// The sealed payload exceeds the server's limit.
    PayloadTooLarge = 23, "payload_too_large";
    /// The signature names another generation of the group key.
    StaleGeneration = 30, "stale_generation";
    /// The timestamp is too far from the server's clock.
    ClockSkew = 31, "clock_skew";
    /// The group signature does not verify.
    BadSignature = 32, "bad_signature";
    /// This signature was already accepted.
    Replayed = 33, "replayed";
    /// No token is attached under this delivery handle.
    UnknownHandle = 40, "unknown_handle";
    /// The token is attached to another account.
    NotYourToken = 41, "not_your_token";
    /// The token has not been released yet.
    NotReleased = 42, "not_released";
    /// The token was never attached.
    UnknownToken = 43, "unknown_token";
    /// The revocation record does not apply to the current group key.
    BadRevocation = 50, "bad_revocation";
    /// The new group key does not have a later generation.
    BadRotation = 51, "bad_rotation";
    /// The request names another discovery window.
    WrongWindow = 60, "wrong_window";
    /// A limit per phone number and period is reached: discovery tokens, code requests or
    /// registrations.
    RateLimited = 61, "rate_limited";
    /// The lookup batch exceeds the server's limit.
    TooManyNumbers = 62, "too_many_numbers";
    /// The server offers no bulk-sender tier (SPEC.md 18.2).
    BulkNotOffered = 70, "bulk_not_offered";
    /// The bulk-sender proof's chain leads to no trust anchor of the operator.
    BulkUntrusted = 71, "bulk_untrusted";
    /// A certificate of the bulk-sender proof is expired or not yet valid.
    BulkExpired = 72, "bulk_expired";
    /// The bulk-sender proof's certificate is not valid for its domain.
    BulkWrongDomain = 73, "bulk_wrong_domain";
    /// The bulk-sender proof's signature does not verify with the certificate's key.
    BulkBadSignature = 74, "bulk_bad_signature";
    /// The bulk-sender proof's signature scheme is not supported.
    BulkUnsupportedScheme = 75, "bulk_unsupported_scheme";
    /// The operator revoked the domain's bulk-sender tier.
    BulkRevoked = 76, "bulk_revoked";
    /// The operator grants the proof's domain no bulk-sender tier.
    BulkNoTier = 77, "bulk_no_tier";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.to_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(ErrorCode::from_u16(code.to_u16()), *code);
            for other in &ErrorCode::ALL[i + 1..] {
                assert_ne!(code.to_u16(), other.to_u16());
                assert_ne!(code.name(), other.name());
            }
        }
        assert_eq!(ErrorCode::from_u16(9999), ErrorCode::Unknown(9999));
    }
}
